// A real RTSP server for integration tests: GStreamer's RTSP server (python3-gi, see
// rtsp_server.py) serving a live H.264 test pattern on 127.0.0.1. The test can kill it and start
// it again on the same port to simulate a camera or network outage.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './mosquitto';

/** tsc does not copy the .py file: look next to this file first, then in the source tree. */
function scriptPath(): string {
  const beside = path.join(__dirname, 'rtsp_server.py');
  if (fs.existsSync(beside)) return beside;
  return path.resolve(__dirname, '../../../test/helpers/rtsp_server.py');
}

/** The distribution's python has python3-gi; a pyenv/venv python3 first on PATH usually does not. */
function python(): string {
  return fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
}

/** True when python3-gi and the GstRtspServer typelib are installed (provisioning/dev-setup.sh). */
export function rtspServerAvailable(): boolean {
  const typelibDirs = ['/usr/lib/x86_64-linux-gnu/girepository-1.0', '/usr/lib/aarch64-linux-gnu/girepository-1.0', '/usr/lib/girepository-1.0'];
  return typelibDirs.some((d) => fs.existsSync(path.join(d, 'GstRtspServer-1.0.typelib')));
}

export interface RtspServerOptions {
  port?: number;
  width?: number;
  height?: number;
  fps?: number;
  /** stdout/stderr of the server go here (appended), for post-mortems. */
  logFile?: string;
}

export class RtspServer {
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  port = 0;

  constructor(private readonly opts: RtspServerOptions = {}) {}

  get uri(): string {
    return `rtsp://127.0.0.1:${this.port}/cam`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  get pid(): number | null {
    return this.proc?.pid ?? null;
  }

  /** Starts the server (on the same port as before when restarting) and waits for its READY line. */
  async start(timeoutMs = 15000): Promise<void> {
    if (this.proc) throw new Error('RTSP server already running');
    if (!this.port) this.port = this.opts.port ?? (await freePort());
    const o = this.opts;
    const args = [scriptPath(), String(this.port), String(o.width ?? 320), String(o.height ?? 240), String(o.fps ?? 15)];
    // The port may still be held a moment after a kill; retry the bind for a few seconds.
    const until = Date.now() + timeoutMs;
    for (;;) {
      const err = await this.spawnOnce(args, Math.max(1000, until - Date.now()));
      if (!err) return;
      if (Date.now() >= until) throw err;
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  private spawnOnce(args: string[], timeoutMs: number): Promise<Error | null> {
    const log = this.opts.logFile ? fs.openSync(this.opts.logFile, 'a') : null;
    const proc = spawn(python(), args, { stdio: ['ignore', 'pipe', log ?? 'ignore'] });
    if (log !== null) fs.closeSync(log);
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    return new Promise((resolve) => {
      let out = '';
      let settled = false;
      const done = (err: Error | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        proc.stdout?.removeAllListeners('data');
        if (err) {
          proc.kill('SIGKILL');
        } else {
          this.proc = proc;
          proc.once('exit', () => {
            if (this.proc === proc) this.proc = null;
          });
          // Keep draining stdout so the server never blocks on a full pipe.
          proc.stdout?.on('data', (d: Buffer) => {
            if (this.opts.logFile) fs.appendFileSync(this.opts.logFile, d);
          });
        }
        resolve(err);
      };
      const timer = setTimeout(() => done(new Error(`RTSP server not ready after ${timeoutMs} ms: ${out.trim()}`)), timeoutMs);
      proc.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (/^READY \d+/m.test(out)) done(null);
        else if (/^FAILED/m.test(out)) done(new Error(out.trim()));
      });
      proc.once('exit', (code, signal) => {
        done(new Error(`RTSP server exited (${code ?? signal}) before ready: ${out.trim()}`));
      });
      proc.once('error', (err) => done(err));
    });
  }

  /**
   * SIGSTOP: the server freezes with its TCP connections open, so clients see a source that
   * stops sending without any error (a hung camera or a stalled network path).
   */
  pause(): void {
    const pid = this.proc?.pid;
    if (pid === undefined) throw new Error('RTSP server not running');
    process.kill(pid, 'SIGSTOP');
  }

  /** SIGCONT: a paused server carries on where it stopped. */
  resume(): void {
    const pid = this.proc?.pid;
    if (pid === undefined) throw new Error('RTSP server not running');
    process.kill(pid, 'SIGCONT');
  }

  /** SIGKILL: the connections drop at once, like a camera losing power. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    proc.kill('SIGKILL');
    await this.exited;
    this.proc = null;
  }
}
