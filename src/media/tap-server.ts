// The camera process's end of the detection tap: a Unix socket server that hands each tap frame
// to the connected detector, but only when the previous frame has drained. A slow, hung or
// absent detector therefore costs this process nothing but a counter: frames are dropped here,
// never queued, and the recording branch (in GStreamer threads) never sees the difference.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { encodeHeader } from '../detection/frame-protocol';

export interface TapServerCounters {
  /** Frames written to the detector. */
  sent: number;
  /** Frames dropped because no detector was connected or it had not drained the last one. */
  dropped: number;
  connected: boolean;
}

export class TapServer {
  private server: net.Server | null = null;
  private client: net.Socket | null = null;
  private seq = 0;
  readonly counters: TapServerCounters = { sent: 0, dropped: 0, connected: false };

  constructor(private readonly socketPath: string, private readonly onError: (msg: string) => void) {}

  start(): void {
    fs.mkdirSync(path.dirname(this.socketPath), { recursive: true });
    // A previous camera process may have left its socket file behind (SIGKILL).
    fs.rmSync(this.socketPath, { force: true });
    this.server = net.createServer((sock) => this.accept(sock));
    this.server.on('error', (err) => this.onError(`tap socket ${this.socketPath}: ${err.message}`));
    this.server.listen(this.socketPath);
  }

  private accept(sock: net.Socket): void {
    // One detector per camera: a newer connection (a restarted detector) replaces the old one.
    this.client?.destroy();
    this.client = sock;
    this.counters.connected = true;
    sock.on('error', () => sock.destroy());
    sock.on('close', () => {
      if (this.client === sock) {
        this.client = null;
        this.counters.connected = false;
      }
    });
    // The detector never writes; anything it sends is ignored.
    sock.resume();
  }

  /** Offers one RGB frame; written only when the socket has drained, else dropped and counted. */
  offer(frame: Buffer, width: number, height: number): void {
    const c = this.client;
    if (!c || c.destroyed || c.writableLength > 0) {
      this.counters.dropped++;
      return;
    }
    c.write(encodeHeader({ seq: ++this.seq, tsMs: Date.now(), width, height, length: frame.length }));
    c.write(frame);
    this.counters.sent++;
  }

  stop(): void {
    this.client?.destroy();
    this.server?.close();
    fs.rmSync(this.socketPath, { force: true });
  }
}
