// vigil pipeline [camera]: the launch string vigild would run for each camera on this board,
// resolved from the config and the GStreamer registry without the daemon.
import { ConfigError, loadConfig } from '../../config/load';
import { createLogger } from '../../log';
import { resolveAll } from '../../pipeline/plan';
import { detectPlatform } from '../../pipeline/platform';
import { EXIT, UsageError, type CliVerb } from '../verb';
import { parseVerbArgs } from './format';

export const pipelineVerb: CliVerb = {
  name: 'pipeline',
  usage: 'pipeline [camera]',
  summary: "each camera's resolved GStreamer launch string and encoder choice (daemon not needed)",
  async run(argv, ctx) {
    const { positionals } = parseVerbArgs(argv, {}, true);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const wanted = positionals[0];
    if (!ctx.configPath) throw new UsageError('no config found; pass --config PATH');
    let config;
    try {
      config = loadConfig(ctx.configPath);
    } catch (err) {
      if (err instanceof ConfigError) {
        ctx.err(`${err.message}\n`);
        return EXIT.commandError;
      }
      throw err;
    }
    const cams = wanted === undefined ? config.cameras : config.cameras.filter((c) => c.name === wanted);
    if (cams.length === 0) {
      ctx.err(`unknown camera "${wanted}"; known: ${config.cameras.map((c) => c.name).join(', ')}\n`);
      return EXIT.commandError;
    }
    let plans;
    try {
      plans = await resolveAll({ ...config, cameras: cams.map((c) => ({ ...c, enabled: true })) }, createLogger({ level: 'silent' }), { platform: detectPlatform(process.env.VIGIL_PLATFORM_ROOT ?? '/') });
    } catch (err) {
      ctx.err(`${(err as Error).message}\n`);
      return EXIT.commandError;
    }
    const rows = plans.map((p) => ({ camera: p.camera.name, enabled: cams.find((c) => c.name === p.camera.name)?.enabled ?? true, platform: p.platform, encoder: { element: p.encoder.element, hardware: p.encoder.hardware, reason: p.encoder.reason }, launch: p.buildLaunch('RUNID') }));
    if (ctx.json) ctx.out(`${JSON.stringify(rows, null, 2)}\n`);
    else {
      for (const r of rows) {
        ctx.out(`# camera ${r.camera}${r.enabled ? '' : ' (disabled)'} on ${r.platform}: ${r.encoder.element} (${r.encoder.hardware ? 'hardware' : 'software'}) — ${r.encoder.reason}\n${r.launch}\n`);
      }
    }
    return EXIT.ok;
  },
};
