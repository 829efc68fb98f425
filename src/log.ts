// Logger factory: pretty lines in a terminal, JSON lines otherwise (journald, files, CI).
// Modules get a child logger from the composition root; nothing here is a singleton.
import pino, { type Logger, type LevelWithSilent } from 'pino';
import pinoPretty from 'pino-pretty';

export type { Logger };

export interface LogOptions {
  level?: LevelWithSilent;
  /** Force pretty (true) or JSON (false); default: pretty when stderr is a terminal. */
  pretty?: boolean;
  name?: string;
}

export function createLogger(opts: LogOptions = {}): Logger {
  const level = opts.level ?? (process.env.VIGIL_LOG_LEVEL as LevelWithSilent | undefined) ?? 'info';
  const pretty = opts.pretty ?? process.stderr.isTTY === true;
  const base = { name: opts.name ?? 'vigild' };
  // Secrets never reach the log even if a caller passes a whole config object.
  const redact = { paths: ['*.password', '*.key', '*.password_file', 'password', 'headers.authorization'], censor: '[redacted]' };
  if (pretty) {
    // Synchronous pretty stream: a worker-thread transport could lose lines on a crash exit.
    const stream = pinoPretty({ colorize: true, sync: true, destination: 2, ignore: 'pid,hostname,name', translateTime: 'SYS:HH:MM:ss.l' });
    return pino({ level, base, redact }, stream);
  }
  return pino({ level, base, redact, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination({ fd: 2, sync: true }));
}
