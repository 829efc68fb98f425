// CameraStage: the daemon's side of one camera. It runs the camera's child process, feeds its
// segment messages to the SegmentRecorder, watches that frames keep advancing, and restarts
// the child with backoff when it dies, stalls or reports a pipeline error.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { EventBus } from '../bus';
import type { CameraConfig } from '../config/schema';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { SegmentRecorder } from '../recording/segment-recorder';
import { Backoff } from '../supervision/backoff';
import type { CameraProcessSpec, ChildMessage, PipelineCounters } from './protocol';

const HEARTBEAT_MS = 1000;
const EOS_TIMEOUT_MS = 5000;
/** Extra time a child gets after EOS before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** Time allowed from spawn to first frame (RTSP connect, sensor warm-up) on top of stall_after_s. */
const STARTUP_GRACE_MS = 10000;
/** A child that has recorded this long resets the backoff. */
const HEALTHY_RESET_MS = 60000;
/** Threads the binding may hold per pipeline (pollBus + appsink pull) plus fs work (SPIKE.md). */
const CHILD_THREADPOOL = '6';

export type CameraState = 'starting' | 'recording' | 'restarting' | 'stopped' | 'failed';

export interface CameraStatus {
  camera: string;
  state: CameraState;
  pid: number | null;
  encoder: string;
  runId: string | null;
  startedAt: number | null;
  restarts: number;
  lastCause: string | null;
  fpsIn: number;
  counters: PipelineCounters;
  segmentsOpened: number;
  segmentsClosed: number;
}

export interface CameraStageContext {
  camera: CameraConfig;
  encoder: string;
  /** The launch string for one run; runId makes segment names unique per run. */
  buildLaunch: (runId: string) => string;
  /** Folder the launch string writes segments into; created before each run. */
  segmentDir: string;
  recorder: SegmentRecorder;
  bus: EventBus<VigilEvents>;
  log: Logger;
  /** Path of the compiled camera-process.js (overridable for tests). */
  childScript?: string;
}

const ZERO: PipelineCounters = { framesIn: 0, framesOut: 0, framesDropped: 0, framesDuplicated: 0, tapFrames: 0, recQueueFrames: 0 };

export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:.]/g, '');
}

export class CameraStage {
  private child: ChildProcess | null = null;
  /** True until start() and again from stop(): no child may be (re)spawned while set. */
  private stopping = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff({ initialMs: 1000, maxMs: 30000 });
  private lastProgressAt = 0;
  private lastHeartbeat: { at: number; framesIn: number } | null = null;
  private lastStopReason: string | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly status: CameraStatus;

  constructor(private readonly ctx: CameraStageContext) {
    this.status = {
      camera: ctx.camera.name, state: 'stopped', pid: null, encoder: ctx.encoder, runId: null, startedAt: null,
      restarts: 0, lastCause: null, fpsIn: 0, counters: { ...ZERO }, segmentsOpened: 0, segmentsClosed: 0,
    };
  }

  get name(): string {
    return this.ctx.camera.name;
  }

  snapshot(): CameraStatus {
    return { ...this.status, counters: { ...this.status.counters } };
  }

  /** False once stopped (daemon stop, operator command) until start() runs again. */
  get running(): boolean {
    return !this.stopping;
  }

  /** Spawns the child unless one is running; a child waiting out a backoff starts at once. */
  start(cause?: string): void {
    if (!this.stopping && this.child) return;
    this.stopping = false;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    if (cause) this.status.lastCause = cause;
    this.spawn();
    this.watchTimer ??= setInterval(() => this.checkProgress(), HEARTBEAT_MS);
  }

  /** Finalises the open segment (EOS), waits for the child (killing it if it overstays) and stays stopped. */
  async stop(cause = 'daemon stopping'): Promise<void> {
    await this.halt(cause);
    this.setState('stopped', cause);
  }

  /** Operator restart: graceful stop, then a fresh child at once; nothing failed, so no backoff. */
  async restart(cause: string): Promise<void> {
    this.setState('restarting', cause);
    this.ctx.bus.emit('stage', { stage: `camera:${this.name}`, camera: this.name, state: 'restarting', cause, attempt: 0, nextRetryS: 0 });
    await this.halt(cause);
    this.start();
  }

  private async halt(cause: string): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.restartTimer = null;
    this.watchTimer = null;
    this.status.lastCause = cause;
    await this.stopChild(cause);
    await this.ctx.recorder.drain(this.name);
  }

  private spawn(): void {
    const runId = newRunId();
    const spec: CameraProcessSpec = {
      camera: this.name, launch: this.ctx.buildLaunch(runId), runId, heartbeatMs: HEARTBEAT_MS, eosTimeoutMs: EOS_TIMEOUT_MS,
    };
    fs.mkdirSync(this.ctx.segmentDir, { recursive: true });
    const script = this.ctx.childScript ?? path.join(__dirname, 'camera-process.js');
    const child = fork(script, [JSON.stringify(spec)], {
      // TZ=UTC: clockoverlay formats with localtime, and burnt-in stamps must match the index.
      env: { ...process.env, UV_THREADPOOL_SIZE: CHILD_THREADPOOL, TZ: 'UTC' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    Object.assign(this.status, { pid: child.pid ?? null, runId, startedAt: Date.now(), fpsIn: 0, counters: { ...ZERO } });
    this.lastProgressAt = Date.now() + STARTUP_GRACE_MS;
    this.lastHeartbeat = null;
    this.lastStopReason = null;
    this.setState('starting', this.status.lastCause ?? 'start');
    this.ctx.log.info({ pid: child.pid, runId, encoder: this.ctx.encoder }, 'camera process started');
    child.on('message', (m: ChildMessage) => this.onMessage(runId, m));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.onExit(child, code, signal);
        resolve();
      });
    });
  }

  private onMessage(runId: string, m: ChildMessage): void {
    switch (m.type) {
      case 'segment-opened':
        this.status.segmentsOpened++;
        this.ctx.recorder.opened(this.name, runId, m.path, m.startMs);
        if (this.status.state !== 'recording') this.setState('recording', 'first segment opened');
        break;
      case 'segment-closed':
        this.status.segmentsClosed++;
        this.ctx.recorder.closed(this.name, m.path, m.endMs);
        break;
      case 'heartbeat':
        this.onHeartbeat(m.at, m.counters);
        break;
      case 'pipeline-error':
        // The pipeline keeps "running" after an error but usually produces nothing: rebuild it.
        this.ctx.log.error({ element: m.element, message: m.message, debug: m.debug }, 'pipeline error');
        void this.stopChild(m.element === 'wd' ? `source stalled (watchdog: ${m.message})` : `${m.element}: ${m.message}`);
        break;
      case 'pipeline-warning':
        this.ctx.log.warn({ element: m.element, message: m.message }, 'pipeline warning');
        break;
      case 'fatal':
        this.status.lastCause = `${m.phase}: ${m.message.split('\n')[0]}`;
        this.ctx.log.error({ phase: m.phase, message: m.message }, 'camera process failed');
        break;
      case 'stopped':
        this.lastStopReason = m.reason;
        this.status.counters = m.counters;
        this.ctx.log.info({ reason: m.reason, eos: m.eos, counters: m.counters }, 'camera process stopped');
        break;
      case 'playing':
      case 'eos':
        break;
    }
  }

  private onHeartbeat(at: number, c: PipelineCounters): void {
    const prev = this.lastHeartbeat;
    if (prev && at > prev.at) this.status.fpsIn = Math.round(((c.framesIn - prev.framesIn) * 1000 / (at - prev.at)) * 10) / 10;
    if (c.framesOut > this.status.counters.framesOut) this.lastProgressAt = Date.now();
    this.lastHeartbeat = { at, framesIn: c.framesIn };
    this.status.counters = c;
    if (this.status.startedAt && Date.now() - this.status.startedAt > HEALTHY_RESET_MS) this.backoff.reset();
  }

  /** Progress, not liveness: a child that answers but whose frames stopped is stalled. */
  private checkProgress(): void {
    if (!this.child || this.stopping || this.status.state === 'restarting') return;
    const stallMs = this.ctx.camera.watchdog.stall_after_s * 1000;
    const idle = Date.now() - this.lastProgressAt;
    if (idle > stallMs) {
      const cause = `no frames for ${(idle / 1000).toFixed(1)} s`;
      this.ctx.log.warn({ idleMs: idle }, 'camera stalled');
      this.ctx.bus.emit('stage', { stage: `camera:${this.name}`, camera: this.name, state: 'stalled', cause, attempt: this.backoff.attempt, nextRetryS: null });
      void this.stopChild(cause);
    }
  }

  private async stopChild(cause: string): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.exited;
    this.status.lastCause = cause;
    if (!this.stopping) this.setState('restarting', cause);
    if (child.connected) child.send({ type: 'stop', reason: cause });
    else child.kill('SIGTERM');
    const killer = setTimeout(() => {
      this.ctx.log.warn({ pid: child.pid }, 'camera process did not stop in time; killing it');
      child.kill('SIGKILL');
    }, EOS_TIMEOUT_MS + KILL_GRACE_MS);
    await this.exited;
    clearTimeout(killer);
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child === child) this.child = null;
    this.status.pid = null;
    // Whatever the way out, a segment may have been left open: probe and index it now.
    void this.ctx.recorder.recoverOpen(this.name);
    if (this.stopping) return;
    const src = this.ctx.camera.source;
    const ranMs = Date.now() - (this.status.startedAt ?? Date.now());
    if (this.lastStopReason === 'source ended' && src.kind === 'file') {
      if (!src.loop) {
        this.setState('stopped', 'file source ended (loop: false)');
        return;
      }
      // Looping a demo file: start over at once, unless the file ends as soon as it starts.
      if (ranMs > 2000) this.backoff.reset();
    }
    // A clean exit says why in its 'stopped' message (source ended, stop requested for a restart).
    const cleanCause = this.lastStopReason === 'source ended' ? 'source ended' : (this.status.lastCause ?? this.lastStopReason ?? 'camera process exited');
    this.status.lastCause = signal ? `camera process killed by ${signal}` : code === 0 ? cleanCause : `camera process exited with code ${code}`;
    this.status.restarts++;
    const delay = this.backoff.next();
    this.ctx.log.warn({ code, signal, cause: this.status.lastCause, retryInMs: delay }, 'camera process exited; restarting');
    this.setState('restarting', this.status.lastCause);
    this.ctx.bus.emit('stage', {
      stage: `camera:${this.name}`, camera: this.name, state: 'restarting', cause: this.status.lastCause,
      attempt: this.backoff.attempt, nextRetryS: Math.round(delay / 100) / 10,
    });
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, delay);
  }

  private setState(state: CameraState, cause: string): void {
    if (this.status.state === state) return;
    this.status.state = state;
    this.ctx.bus.emit('recording', { camera: this.name, state, cause });
  }
}
