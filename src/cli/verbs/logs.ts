// vigil logs [-f] [-n N]: the journal of the unit, through journalctl (vigild logs JSON lines to
// stderr, which journald keeps).
import { spawn } from 'node:child_process';
import { EXIT, type CliVerb } from '../verb';
import { intOption, parseVerbArgs } from './format';

export const UNIT = 'vigil.service';

export const logsVerb: CliVerb = {
  name: 'logs',
  usage: 'logs [-f] [-n N]',
  summary: `the journal of ${UNIT} (journalctl); -f follows`,
  async run(argv, ctx) {
    const { values } = parseVerbArgs(argv, { follow: { type: 'boolean', short: 'f' }, lines: { type: 'string', short: 'n' } });
    const lines = intOption('lines', values.lines as string | undefined, 100, 100000);
    const args = ['-u', UNIT, '--no-pager', '-n', String(lines), '-o', ctx.json ? 'json' : 'short-iso', ...(values.follow ? ['-f'] : [])];
    return new Promise((resolve) => {
      const child = spawn('journalctl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      child.stdout.setEncoding('utf8').on('data', (c: string) => ctx.out(c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => ctx.err(c));
      // Ctrl-C reaches journalctl too (same process group); we only wait for it to go.
      process.once('SIGINT', () => undefined);
      child.on('error', (err: NodeJS.ErrnoException) => {
        ctx.err(err.code === 'ENOENT' ? 'journalctl not found: this system does not run systemd-journald; vigild logs to stderr\n' : `journalctl: ${err.message}\n`);
        resolve(EXIT.commandError);
      });
      child.on('close', (code, signal) => {
        if (code === 0 || signal === 'SIGINT') return resolve(EXIT.ok);
        ctx.err(`journalctl exited with ${code ?? signal}\n`);
        resolve(EXIT.commandError);
      });
    });
  },
};
