// DetectorStage: the daemon's side of one camera's detector process. It spawns the process,
// turns its object events into bus events, watches its heartbeat and inference counter, and
// restarts it when it dies, hangs or stops inferring while frames arrive. It is a non-critical
// stage: a bad model is reported as failed and left alone (retrying cannot fix a config), and a
// detector that keeps crashing spends its budget and the camera records without detection.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { EventBus } from '../bus';
import type { DetectingCamera } from '../supervision/stages';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import { RestartPolicy, type PolicySpec } from '../supervision/restart-policy';
import type { DetectorCounters, DetectorMessage, DetectorSpec } from './detector-protocol';
import { resolveLabels } from './labels';
import { modelPlugin } from './models';
import { snapshotDir, tapSocketPath } from './paths';

export type DetectorState = 'starting' | 'running' | 'restarting' | 'failed' | 'degraded' | 'stopped';

export interface DetectorStatus {
  camera: string;
  state: DetectorState;
  pid: number | null;
  provider: string | null;
  loadMs: number | null;
  restarts: number;
  lastCause: string | null;
  warnings: string[];
  counters: DetectorCounters | null;
  since: number;
}

export interface DetectorStageContext {
  camera: DetectingCamera;
  dataDir: string;
  bus: EventBus<VigilEvents>;
  log: Logger;
  policy: PolicySpec;
  /** Called for every object event before it goes on the bus (the SQLite store). */
  onObject?: (e: VigilEvents['detection']) => void;
  script?: string;
}

const HEARTBEAT_MS = 1000;
const STOP_GRACE_MS = 3000;

export class DetectorStage {
  private child: ChildProcess | null = null;
  private stopping = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private readonly policy: RestartPolicy;
  private lastBeat = 0;
  /** Last time inferences advanced, or frames were not arriving (idle is not a stall). */
  private lastProgress = 0;
  private prev: DetectorCounters | null = null;
  private exited: Promise<void> = Promise.resolve();
  private killCause: string | null = null;
  private readonly status: DetectorStatus;

  constructor(private readonly ctx: DetectorStageContext) {
    this.policy = new RestartPolicy(ctx.policy);
    this.status = { camera: ctx.camera.name, state: 'stopped', pid: null, provider: null, loadMs: null, restarts: 0, lastCause: null, warnings: [], counters: null, since: Date.now() };
  }

  get name(): string {
    return `detector:${this.ctx.camera.name}`;
  }

  snapshot(): DetectorStatus {
    return { ...this.status, warnings: [...this.status.warnings], counters: this.status.counters && { ...this.status.counters } };
  }

  /** Non-critical: unhealthy states are reported, never withhold the systemd watchdog. */
  healthy(): boolean {
    return this.status.state === 'running' || this.status.state === 'stopped';
  }

  start(): void {
    this.stopping = false;
    this.policy.reset();
    this.spawn();
    this.watchTimer = setInterval(() => this.watch(), 250);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.restartTimer = null;
    this.watchTimer = null;
    const child = this.child;
    if (child) {
      child.send?.({ type: 'stop', reason: 'stopping' }, () => undefined);
      const t = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await this.exited;
      clearTimeout(t);
    }
    this.setState('stopped', 'stopped', false);
  }

  pid(): number | null {
    return this.child?.pid ?? null;
  }

  private spawn(): void {
    const d = this.ctx.camera.detection;
    const name = this.ctx.camera.name;
    let labels: string[];
    try {
      labels = [...(modelPlugin(d.model.kind).fixedLabels ?? resolveLabels(d.model.labels))];
    } catch (err) {
      return this.fail(`detection.model.labels: ${(err as Error).message}`);
    }
    const spec: DetectorSpec = {
      camera: name, tapSocket: tapSocketPath(this.ctx.dataDir, name), snapshotDir: snapshotDir(this.ctx.dataDir, name), heartbeatMs: HEARTBEAT_MS,
      zones: d.zones.map((z) => ({ name: z.name, points: z.points as Array<[number, number]> })),
      tracker: { minHits: d.event.min_hits, lostAfterMs: d.event.lost_after_s * 1000, iouMatch: 0.3, updateMinIntervalMs: 1000, boxChange: 0.2, scoreChange: 0.05 },
      worker: {
        modelPath: d.model.path, kind: d.model.kind, providers: d.providers, inputSize: d.model.input_size, labels,
        scoreThreshold: d.score_threshold, nmsIou: d.nms_iou, classes: d.classes ?? null, minArea: d.min_area,
        frameW: this.ctx.camera.video.width, frameH: this.ctx.camera.video.height,
        threads: Number(process.env.VIGIL_DETECTOR_THREADS ?? 2), faultDelayMs: Number(process.env.VIGIL_FAULT_INFER_DELAY_MS ?? 0),
      },
    };
    const script = this.ctx.script ?? path.join(__dirname, 'detector-process.js');
    const child = fork(script, [JSON.stringify(spec)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
    this.child = child;
    this.killCause = null;
    this.prev = null;
    this.lastBeat = Date.now();
    this.lastProgress = Date.now();
    Object.assign(this.status, { pid: child.pid ?? null, counters: null });
    this.setState('starting', 'spawned', false);
    let loadError: string | null = null;
    child.on('message', (m: DetectorMessage) => {
      if (m.type === 'fatal' && m.phase === 'load') loadError = m.message;
      this.onMessage(m);
    });
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = null;
        this.status.pid = null;
        resolve();
        if (this.stopping) return;
        if (loadError) return this.fail(loadError);
        this.crashed(this.killCause ?? `detector exited (${signal ?? `code ${code}`})`);
      });
    });
  }

  private onMessage(m: DetectorMessage): void {
    const log = this.ctx.log;
    switch (m.type) {
      case 'ready':
        Object.assign(this.status, { provider: m.provider, loadMs: m.loadMs, warnings: m.warnings });
        for (const w of m.warnings) log.warn({ camera: this.ctx.camera.name }, w);
        log.info({ provider: m.provider, loadMs: m.loadMs, labels: m.labels.length }, 'detector ready');
        this.setState('running', `model loaded in ${m.loadMs} ms on ${m.provider}`, this.status.restarts > 0);
        this.lastBeat = Date.now();
        this.lastProgress = Date.now();
        break;
      case 'heartbeat':
        this.onHeartbeat(m.counters);
        break;
      case 'object':
        try {
          this.ctx.onObject?.(m.event);
        } catch (err) {
          log.error({ err }, 'could not store object event');
        }
        this.ctx.bus.emit('detection', m.event);
        break;
      case 'warning':
        log.warn({ camera: this.ctx.camera.name }, m.message);
        break;
      case 'fatal':
        log.error({ phase: m.phase, cause: m.message }, 'detector failed');
        break;
      case 'stopped':
        this.status.counters = m.counters;
        break;
    }
  }

  private onHeartbeat(c: DetectorCounters): void {
    const now = Date.now();
    this.lastBeat = now;
    const p = this.prev;
    // Progress: inferences advanced, or no frames are coming (camera stopped): idle is healthy.
    if (!p || c.inferences > p.inferences || c.framesIn === p.framesIn) this.lastProgress = now;
    this.prev = c;
    this.status.counters = c;
    if (this.status.state === 'running' && c.inferences > 0 && now - this.status.since > 60000) this.policy.healthy();
  }

  private watch(): void {
    if (this.stopping || !this.child || this.status.state !== 'running' && this.status.state !== 'starting') return;
    const stallMs = this.ctx.camera.detection.stall_after_s * 1000;
    const now = Date.now();
    // Model loading may take long (a big model on a Pi); heartbeats still arrive meanwhile.
    if (now - this.lastBeat > stallMs) this.kill(`no heartbeat for ${Math.round((now - this.lastBeat) / 1000)} s (hung)`);
    else if (this.status.state === 'running' && now - this.lastProgress > stallMs) this.kill(`no inference for ${Math.round((now - this.lastProgress) / 1000)} s while frames arrive (stalled)`);
  }

  private kill(cause: string): void {
    this.ctx.log.warn({ cause }, 'detector stalled; killing it');
    this.ctx.bus.emit('stage', { stage: this.name, camera: this.ctx.camera.name, state: 'stalled', cause, attempt: this.status.restarts, nextRetryS: null });
    this.killCause = cause;
    // SIGKILL works on a SIGSTOPped process too; a hung native call would ignore anything softer.
    this.child?.kill('SIGKILL');
  }

  private crashed(cause: string): void {
    const d = this.policy.failed('crash', Date.now());
    this.status.restarts++;
    if (d.budgetSpent) {
      const msg = `restart budget spent (${cause}); recording continues without detection`;
      this.ctx.log.error({ cause }, msg);
      this.setState('degraded', msg, true, d.attempt, null);
      return;
    }
    this.ctx.log.warn({ cause, delayMs: d.delayMs, attempt: d.attempt }, 'detector down; restarting');
    this.setState('restarting', cause, true, d.attempt, d.delayMs / 1000);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, d.delayMs);
  }

  /** A configuration problem: reported once and left failed until the config or an operator changes something. */
  private fail(cause: string): void {
    this.ctx.log.error({ cause }, 'detector cannot start; recording continues without detection');
    this.setState('failed', cause, true, 0, null);
  }

  private setState(state: DetectorState, cause: string, event: boolean, attempt = 0, nextRetryS: number | null = null): void {
    if (this.status.state !== state) this.status.since = Date.now();
    this.status.state = state;
    if (event) this.status.lastCause = cause;
    if (!event) return;
    // The event vocabulary of stages: 'running' after a recovery, the rest as they are.
    const stageState = state === 'starting' ? 'restarting' : state;
    this.ctx.bus.emit('stage', { stage: this.name, camera: this.ctx.camera.name, state: stageState, cause, attempt, nextRetryS: nextRetryS === null ? null : Math.round(nextRetryS * 10) / 10 });
  }
}
