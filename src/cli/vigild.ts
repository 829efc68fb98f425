#!/usr/bin/env node
// vigild: the appliance daemon. Parses arguments, loads the config, runs the App and turns
// signals into a bounded graceful stop.
import { parseArgs } from 'node:util';
import { App, VERSION } from '../app';
import { ConfigError, loadConfig } from '../config/load';
import { configJsonSchema, type Config } from '../config/schema';
import { createLogger, type Logger } from '../log';
import { resolveAll } from '../pipeline/plan';
import { SystemdNotifier } from '../supervision/notify';
import { StatusLine } from './status-line';

/** A camera failed beyond its restart budget: systemd restarts the unit (Restart=always). */
const EXIT_ESCALATED = 3;
/** systemd's TimeoutStopSec is longer; this keeps the whole stop, EOS included, under 10 s. */
const STOP_DEADLINE_MS = 9500;

const USAGE = `usage: vigild [--config PATH] [--check-config FILE] [--print-pipeline] [--status-line] [--json-schema] [--version]
  --config PATH      config file (default /etc/vigil/config.yaml)
  --check-config FILE  validate FILE with the loader vigild boots with; exit 0 if valid, 2 with one line per problem
  --print-pipeline   print each camera's resolved GStreamer launch string and exit
  --status-line      draw a live one-line status on the terminal
  --json-schema      print the config file's JSON Schema and exit
  --version          print the version and exit`;

function parse(): { config: string; checkConfig?: string; printPipeline: boolean; statusLine: boolean; jsonSchema: boolean; version: boolean } {
  try {
    const { values } = parseArgs({
      options: {
        config: { type: 'string', default: process.env.VIGIL_CONFIG ?? '/etc/vigil/config.yaml' },
        'check-config': { type: 'string' },
        'print-pipeline': { type: 'boolean', default: false },
        'status-line': { type: 'boolean', default: false },
        'json-schema': { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    return { config: values.config, checkConfig: values['check-config'], printPipeline: values['print-pipeline'], statusLine: values['status-line'], jsonSchema: values['json-schema'], version: values.version };
  } catch (err) {
    process.stderr.write(`vigild: ${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
}

function load(file: string): Config {
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`vigild: invalid config ${err.source}\n${err.lines.map((l) => `  ${l}`).join('\n')}\n`);
      process.exit(2);
    }
    throw err;
  }
}

async function printPipelines(config: Config, log: Logger): Promise<void> {
  const plans = await resolveAll(config, log);
  for (const p of plans) {
    process.stdout.write(`# camera ${p.camera.name}: ${p.encoder.element} (${p.encoder.hardware ? 'hardware' : 'software'}) — ${p.encoder.reason}\n`);
    process.stdout.write(`${p.buildLaunch('RUNID')}\n`);
  }
}

async function main(): Promise<void> {
  const args = parse();
  if (args.version) {
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  if (args.jsonSchema) {
    process.stdout.write(`${JSON.stringify(configJsonSchema(), null, 2)}\n`);
    return;
  }
  if (args.checkConfig !== undefined) {
    // enroll.sh validates the file it is about to install with exactly what vigild will run.
    const checked = load(args.checkConfig);
    process.stdout.write(`ok: ${args.checkConfig} is valid (device ${checked.device.id}, ${checked.cameras.length} camera(s)${checked.mqtt ? `, broker ${checked.mqtt.url}` : ''})\n`);
    return;
  }
  const config = load(args.config);
  const log = createLogger({ level: config.log.level });
  if (args.printPipeline) {
    try {
      await printPipelines(config, log);
    } catch (err) {
      process.stderr.write(`vigild: ${(err as Error).message}\n`);
      process.exit(1);
    }
    return;
  }

  // Nothing is sent when NOTIFY_SOCKET is unset (not under systemd, or Type=simple).
  const notifier = new SystemdNotifier({ socket: process.env.NOTIFY_SOCKET, watchdogUsec: process.env.WATCHDOG_USEC, log: log.child({ module: 'notify' }) });
  let stopping = false;
  let escalate: (cause: string) => void = () => undefined;
  const app = new App({ config, log, configPath: args.config, notifier, onFatal: (cause) => escalate(cause) });
  const statusLine = args.statusLine ? new StatusLine(() => app.status()) : null;

  const shutdown = async (why: string, code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    statusLine?.stop();
    log.info({ why }, 'stopping');
    const deadline = setTimeout(() => {
      log.error('graceful stop overran its deadline; killing camera processes');
      app.killCameras();
      process.exit(code || 1);
    }, STOP_DEADLINE_MS);
    try {
      await app.stop();
    } catch (err) {
      log.error({ err }, 'error while stopping');
    }
    clearTimeout(deadline);
    log.info('stopped');
    process.exit(code);
  };

  escalate = (cause) => {
    log.fatal({ cause, exitCode: EXIT_ESCALATED }, 'escalating: stopping vigild for systemd to restart it');
    void shutdown(`escalation: ${cause}`, EXIT_ESCALATED);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    app.killCameras();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    log.fatal({ err }, 'unhandled rejection');
    app.killCameras();
    process.exit(1);
  });

  try {
    await app.start();
  } catch (err) {
    log.fatal({ err }, 'start failed');
    await shutdown('start failed', 1);
    return;
  }
  statusLine?.start();
}

void main();
