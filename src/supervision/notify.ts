// systemd notify protocol without native code: Node cannot open AF_UNIX datagram sockets, so
// messages go through the `systemd-notify` tool, which ships with systemd on every Jetson, Pi
// and Debian/Ubuntu box. It follows each message with a BARRIER, so systemd has processed it
// before the tool exits (no race with the sender's exit). The unit needs NotifyAccess=all
// because the sender is the tool's process, not vigild's main PID.
import { execFile } from 'node:child_process';
import type { Logger } from '../log';

const SEND_TIMEOUT_MS = 3000;

export interface NotifierOptions {
  /** $NOTIFY_SOCKET; nothing is sent when unset. */
  socket: string | undefined;
  /** $WATCHDOG_USEC; the watchdog is off when unset. */
  watchdogUsec: string | undefined;
  log: Logger;
  /** Path of the tool (tests may point elsewhere). */
  tool?: string;
}

export class SystemdNotifier {
  private chain: Promise<void> = Promise.resolve();
  private lastStatus = '';

  constructor(private readonly opts: NotifierOptions) {}

  get enabled(): boolean {
    return !!this.opts.socket;
  }

  /** Interval at which WATCHDOG=1 is due (half the configured timeout), or null when off. */
  get watchdogIntervalMs(): number | null {
    const usec = Number(this.opts.watchdogUsec);
    return this.enabled && Number.isFinite(usec) && usec > 0 ? Math.max(500, Math.floor(usec / 2000)) : null;
  }

  ready(status: string): Promise<void> {
    this.lastStatus = status;
    return this.send([`--pid=${process.pid}`, 'READY=1', `STATUS=${status}`]);
  }

  status(status: string): Promise<void> {
    if (status === this.lastStatus) return Promise.resolve();
    this.lastStatus = status;
    return this.send([`STATUS=${status}`]);
  }

  watchdog(): Promise<void> {
    return this.send(['WATCHDOG=1']);
  }

  stopping(status = 'stopping'): Promise<void> {
    return this.send(['STOPPING=1', `STATUS=${status}`]);
  }

  /** Messages go out one at a time and in order; a failure is logged, never thrown. */
  private send(args: string[]): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    const run = (): Promise<void> => new Promise((resolve) => {
      execFile(this.opts.tool ?? 'systemd-notify', args, { timeout: SEND_TIMEOUT_MS, env: { ...process.env, NOTIFY_SOCKET: this.opts.socket } }, (err, _out, stderr) => {
        if (err) this.opts.log.warn({ err: err.message, stderr: stderr.trim(), args }, 'systemd notify failed');
        resolve();
      });
    });
    this.chain = this.chain.then(run);
    return this.chain;
  }
}
