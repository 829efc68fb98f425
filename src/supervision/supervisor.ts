// Supervisor: one 1 s loop over the stage table. It reads each stage's health, counts the stage
// events (restarts, stalls, escalations, recoveries), measures the main event loop's lag and
// speaks the systemd notify protocol: READY once the cameras are recording, WATCHDOG only while
// every critical stage is healthy, STATUS when the summary changes, STOPPING at shutdown.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { EventBus } from '../bus';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { SystemdNotifier } from './notify';

const LOOP_MS = 1000;
/** STATUS= goes out at most this often, and only when the text changed. */
const STATUS_EVERY_MS = 3000;
/** READY=1 goes out by then at the latest, naming the cameras that are late. */
const READY_DEADLINE_MS = 60000;
/** Event-loop delay histogram resolution. */
const LAG_RESOLUTION_MS = 10;

/** One stage as its owner sees it now; the App builds these from the stage table. */
export interface StageReading {
  name: string;
  critical: boolean;
  state: string;
  healthy: boolean;
  /** The owner's own account of the last problem, when it keeps one (retention's last error). */
  cause?: string | null;
}

export interface StageStatus {
  name: string;
  state: string;
  critical: boolean;
  healthy: boolean;
  restarts: number;
  last_cause: string | null;
  /** Epoch ms of the last state change. */
  since: number;
}

export interface SupervisorStatus {
  loop_lag_p99_ms: number | null;
  ticks: number;
  ready: boolean;
  watchdog_pings: number;
  /** Critical stages that withhold the watchdog ping now. */
  unhealthy_critical: string[];
  events: Record<VigilEvents['stage']['state'], number>;
}

export interface Readiness {
  ready: boolean;
  /** Cameras that have neither recorded nor failed yet. */
  late: string[];
}

export interface SupervisorContext {
  readings: () => StageReading[];
  readiness: () => Readiness;
  /** One line for systemd's STATUS= (and `systemctl status`). */
  statusLine: () => string;
  notifier: SystemdNotifier | null;
  bus: EventBus<VigilEvents>;
  log: Logger;
}

export class Supervisor {
  private timer: NodeJS.Timeout | null = null;
  private readonly lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  private lagP99: number | null = null;
  private ticks = 0;
  private startedAt = 0;
  private readySent = false;
  private pings = 0;
  private lastPingAt = 0;
  private lastStatusAt = 0;
  private unhealthy: string[] = [];
  private readonly stages = new Map<string, StageStatus>();
  private readonly events: SupervisorStatus['events'] = { running: 0, stalled: 0, restarting: 0, degraded: 0, failed: 0, stopped: 0 };
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly ctx: SupervisorContext) {}

  start(): void {
    this.startedAt = Date.now();
    this.lag.enable();
    this.unsubscribe = this.ctx.bus.on('stage', 'supervisor', (e) => this.onStageEvent(e));
    this.tick();
    this.timer = setInterval(() => this.tick(), LOOP_MS);
  }

  /** Stops the loop (no more WATCHDOG) and tells systemd the daemon is stopping. */
  async stop(status = 'stopping'): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.lag.disable();
    await this.ctx.notifier?.stopping(status);
  }

  stageStatus(): StageStatus[] {
    return [...this.stages.values()].map((s) => ({ ...s }));
  }

  snapshot(): SupervisorStatus {
    return { loop_lag_p99_ms: this.lagP99, ticks: this.ticks, ready: this.readySent, watchdog_pings: this.pings, unhealthy_critical: [...this.unhealthy], events: { ...this.events } };
  }

  private onStageEvent(e: VigilEvents['stage']): void {
    this.events[e.state]++;
    // The journal keeps every restart, stall, escalation and recovery, also without a fleet link.
    this.ctx.log[e.state === 'running' ? 'info' : e.state === 'failed' ? 'error' : 'warn']({ event: e }, 'stage event');
    const s = this.entry(e.stage);
    if (e.state === 'restarting') s.restarts++;
    s.last_cause = e.cause;
  }

  private entry(name: string, critical = false): StageStatus {
    let s = this.stages.get(name);
    if (!s) {
      s = { name, state: 'unknown', critical, healthy: false, restarts: 0, last_cause: null, since: Date.now() };
      this.stages.set(name, s);
    }
    return s;
  }

  private tick(): void {
    const now = Date.now();
    this.ticks++;
    const p99 = this.lag.percentile(99);
    this.lagP99 = Number.isFinite(p99) && p99 > 0 ? Math.round(p99 / 1e4) / 100 : null;
    this.lag.reset();
    let readings: StageReading[];
    try {
      readings = this.ctx.readings();
    } catch (err) {
      // A broken reading must not pass for healthy: withhold the watchdog this round.
      this.ctx.log.error({ err }, 'stage readings failed');
      return;
    }
    const names = new Set(readings.map((r) => r.name));
    for (const name of this.stages.keys()) if (!names.has(name)) this.stages.delete(name);
    for (const r of readings) {
      const s = this.entry(r.name, r.critical);
      if (s.state !== r.state) s.since = now;
      Object.assign(s, { state: r.state, critical: r.critical, healthy: r.healthy });
      if (r.cause !== undefined && r.cause !== null) s.last_cause = r.cause;
    }
    this.unhealthy = readings.filter((r) => r.critical && !r.healthy).map((r) => r.name);
    this.notify(now);
  }

  private notify(now: number): void {
    const n = this.ctx.notifier;
    if (!n?.enabled) return;
    if (!this.readySent) {
      const r = this.ctx.readiness();
      const overdue = now - this.startedAt >= READY_DEADLINE_MS;
      if (!r.ready && !overdue) return;
      this.readySent = true;
      const line = this.ctx.statusLine();
      void n.ready(r.ready ? line : `${line}; late: ${r.late.join(', ')} (no segment after ${READY_DEADLINE_MS / 1000} s)`);
      if (!r.ready) this.ctx.log.warn({ late: r.late }, 'READY sent with cameras still late');
      this.lastStatusAt = now;
    }
    const interval = n.watchdogIntervalMs;
    // Half a tick of slack: the loop and the interval are both about 1 s, and timers drift.
    if (interval !== null && this.unhealthy.length === 0 && now - this.lastPingAt >= interval - LOOP_MS / 2) {
      this.lastPingAt = now;
      this.pings++;
      void n.watchdog();
    }
    if (now - this.lastStatusAt >= STATUS_EVERY_MS) {
      this.lastStatusAt = now;
      void n.status(this.ctx.statusLine());
    }
  }
}
