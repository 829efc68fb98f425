// A live one-line summary for `npm start` in a terminal: cameras, fps, segments and disk.
import { formatSize } from '../config/size';
import type { AppStatus } from '../app';

const REFRESH_MS = 1000;

export function formatStatusLine(s: AppStatus): string {
  const cams = s.cameras.map((c) => {
    const seg = s.segments.find((x) => x.camera === c.camera);
    return `${c.camera}: ${c.state} ${c.fpsIn.toFixed(0)} fps ${c.encoder} segs ${seg?.segments ?? 0}${c.restarts ? ` restarts ${c.restarts}` : ''}`;
  });
  const d = s.retention.disk;
  const disk = d ? `disk ${s.retention.state} ${formatSize(d.freeBytes)} free (${d.freePercent}%)` : 'disk ?';
  return `[vigil ${s.uptimeS}s] ${cams.join(' | ')} | ${disk}`;
}

export class StatusLine {
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly read: () => AppStatus, private readonly out: NodeJS.WriteStream = process.stderr) {}

  start(): void {
    const tty = this.out.isTTY === true;
    // In a terminal the line is redrawn in place; elsewhere it would flood the log, so print rarely.
    this.timer = setInterval(() => {
      const line = formatStatusLine(this.read());
      if (tty) this.out.write(`\r\x1b[K${line.slice(0, (this.out.columns || 200) - 1)}`);
      else this.out.write(`${line}\n`);
    }, tty ? REFRESH_MS : 10 * REFRESH_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }
}
