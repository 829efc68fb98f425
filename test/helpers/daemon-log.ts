// Reads vigild's JSON log lines (pino) for tests and benches that time what the daemon saw.
import fs from 'node:fs';

export interface LogLine {
  /** ms since the epoch */
  time: number;
  level: number;
  msg: string;
  camera?: string;
  module?: string;
  event?: { camera?: string; state?: string; cause?: string };
  cause?: unknown;
  element?: unknown;
  [key: string]: unknown;
}

/** Every JSON line of a daemon log file; lines that are not JSON (a partial last line) are skipped. */
export function readLogLines(file: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const l = JSON.parse(line) as Omit<LogLine, 'time'> & { time: number | string };
      out.push({ ...l, time: typeof l.time === 'number' ? l.time : Date.parse(l.time) } as LogLine);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err;
    }
  }
  return out;
}

export function aboutCamera(l: LogLine, camera: string): boolean {
  return l.camera === camera || l.event?.camera === camera;
}

/** "msg [element] state: cause", for diagnostics. */
export function describeLine(l: LogLine): string {
  const cause = l.event?.cause ?? (typeof l.cause === 'string' ? l.cause : undefined);
  return `${l.msg}${typeof l.element === 'string' ? ` [${l.element}]` : ''}${l.event?.state ? ` ${l.event.state}` : ''}${cause ? `: ${cause}` : ''}`;
}
