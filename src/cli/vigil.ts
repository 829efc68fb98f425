#!/usr/bin/env node
// vigil: the technician's CLI. Parses the global flags, finds the verb in cli/verbs/index.ts
// and runs it; verbs that need the daemon talk to it over the local socket.
// Exit codes (cli/verb.ts EXIT): 0 ok, 1 the command answered with an error, 2 bad usage,
// 3 daemon unreachable, 4 doctor found a FAIL.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../config/load';
import { callDaemon, DaemonUnreachable } from './client';
import { EXIT, UsageError, type CliContext, type CliVerb } from './verb';
import { VERBS } from './verbs';

const BUNDLED_CONFIG = path.resolve(__dirname, '../../../provisioning/dev.yaml');

function usage(): string {
  return [
    'usage: vigil [--json] [--socket PATH | --config PATH] <command> [args]',
    'commands:',
    ...VERBS.map((v) => `  ${v.usage}\n      ${v.summary}`),
    'options:',
    '  --json           machine-readable output on stdout',
    '  --socket PATH    the daemon socket (default: data_dir/vigil.sock of the config)',
    '  --config PATH    config file (default: $VIGIL_CONFIG, /etc/vigil/config.yaml, or the checkout dev config)',
    'exit codes: 0 ok, 1 command error, 2 bad usage, 3 daemon unreachable, 4 doctor found a FAIL',
  ].join('\n');
}

interface Globals { json: boolean; socket?: string; config?: string; help: boolean; verb?: string; rest: string[] }

/** Global flags go anywhere; before the verb anything else that looks like a flag is an error. */
export function parseGlobals(argv: string[]): Globals {
  const g: Globals = { json: false, help: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (flag === '--json') g.json = true;
    else if ((flag === '-h' || flag === '--help') && !g.verb) g.help = true;
    else if (flag === '--socket' || flag === '--config') {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`option ${flag} needs a value`);
      g[flag === '--socket' ? 'socket' : 'config'] = v;
    } else if (!g.verb) {
      if (a.startsWith('-')) throw new UsageError(`unknown option "${a}"`);
      g.verb = a;
    } else g.rest.push(a);
  }
  return g;
}

/** --config, $VIGIL_CONFIG, /etc/vigil/config.yaml, else the checkout's dev config. */
function configPath(g: Globals): string | null {
  if (g.config) return g.config;
  if (process.env.VIGIL_CONFIG) return process.env.VIGIL_CONFIG;
  return ['/etc/vigil/config.yaml', BUNDLED_CONFIG].find((c) => fs.existsSync(c)) ?? null;
}

function socketPath(g: Globals, config: string | null): string {
  if (g.socket) return g.socket;
  if (process.env.VIGIL_SOCKET) return process.env.VIGIL_SOCKET;
  if (!config) throw new UsageError('no config found; pass --config PATH or --socket PATH');
  try {
    return path.join(loadConfig(config).data_dir, 'vigil.sock');
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

async function main(argv: string[]): Promise<number> {
  const err = (t: string): void => void process.stderr.write(t);
  let g: Globals;
  try {
    g = parseGlobals(argv);
  } catch (e) {
    err(`vigil: ${(e as Error).message}\n${usage()}\n`);
    return EXIT.usage;
  }
  if (g.help) {
    process.stdout.write(`${usage()}\n`);
    return EXIT.ok;
  }
  const verb: CliVerb | undefined = VERBS.find((v) => v.name === g.verb);
  if (!verb) {
    err(g.verb ? `vigil: unknown command "${g.verb}"\n${usage()}\n` : `${usage()}\n`);
    return EXIT.usage;
  }
  const cfg = configPath(g);
  const ctx: CliContext = {
    json: g.json,
    configPath: cfg,
    call: (command, args = {}) => callDaemon(socketPath(g, cfg), command, args),
    out: (t) => void process.stdout.write(t),
    err,
  };
  try {
    return await verb.run(g.rest, ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`vigil ${verb.name}: ${e.message}\nusage: vigil ${verb.usage}\n`);
      return EXIT.usage;
    }
    if (e instanceof DaemonUnreachable) {
      err(`vigil: ${e.message}\n`);
      return EXIT.unreachable;
    }
    err(`vigil: ${(e as Error).stack ?? String(e)}\n`);
    return EXIT.commandError;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => {
    // Let stdout drain before exiting (large --json output into a pipe).
    process.stdout.write('', () => process.exit(code));
  });
}
