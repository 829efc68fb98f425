// vigil doctor: PASS / WARN / FAIL per check with a fix hint; exit 4 on any FAIL. Runs locally,
// so it works with the daemon down (the daemon check then WARNs).
import { formatDoctor, runDoctor } from '../../field/doctor';
import { EXIT, type CliVerb } from '../verb';
import { parseVerbArgs } from './format';

export const doctorVerb: CliVerb = {
  name: 'doctor',
  usage: 'doctor [--root DIR]',
  summary: 'check config, GStreamer, encoder, cameras, disk, clock, broker/TLS, service and watchdog; exit 4 on FAIL',
  async run(argv, ctx) {
    // --root checks the systemd files of a mounted image (or a test tree) instead of this system's.
    const { values } = parseVerbArgs(argv, { root: { type: 'string' } });
    const results = await runDoctor({ configPath: ctx.configPath ?? '/etc/vigil/config.yaml', root: (values.root as string | undefined) ?? '/' });
    const failed = results.some((r) => r.level === 'FAIL');
    ctx.out(ctx.json ? `${JSON.stringify({ ok: !failed, checks: results }, null, 2)}\n` : formatDoctor(results));
    return failed ? EXIT.checkFailed : EXIT.ok;
  },
};
