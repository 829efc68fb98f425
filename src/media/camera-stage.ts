// CameraStage: the daemon's side of one camera. It runs the camera's child process, feeds its
// segment messages to the SegmentRecorder, watches that frames keep advancing, and restarts
// the child when it dies, hangs, stalls or reports a pipeline error. Crashes consume the
// restart budget (RestartPolicy); source trouble is waited out with a gentle backoff forever.
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { VigilEvents } from '../events';
import { ProgressWatch } from '../supervision/progress';
import { classifyPipelineError, RestartPolicy, type FailureKind } from '../supervision/restart-policy';
import { newRunId, ZERO_COUNTERS as ZERO, type CameraStageContext, type CameraState, type CameraStatus } from './camera-status';
import type { CameraProcessSpec, ChildMessage, PipelineCounters } from './protocol';
import { tapGeometry } from '../pipeline/build';

const HEARTBEAT_MS = 1000;
const EOS_TIMEOUT_MS = 5000;
/** Extra time a child gets after EOS before SIGKILL. */
const KILL_GRACE_MS = 2000;
/** A child that has recorded this long resets the backoff. */
const HEALTHY_RESET_MS = 60000;
/** Threads the binding may hold per pipeline (pollBus + appsink pull) plus fs work (SPIKE.md). */
const CHILD_THREADPOOL = '6';

export type { CameraStageContext, CameraState, CameraStatus } from './camera-status';

export class CameraStage {
  private child: ChildProcess | null = null;
  /** True until start() and again from stop(): no child may be (re)spawned while set. */
  private stopping = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private watchTimer: NodeJS.Timeout | null = null;
  private readonly policy: RestartPolicy;
  private readonly progress = new ProgressWatch();
  /** Why the current child is being stopped, decided by whoever stopped it. */
  private pendingKind: FailureKind | null = null;
  /** When the source went away; null while frames flow. */
  private sourceLostAt: number | null = null;
  private lastStopReason: string | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly status: CameraStatus;

  constructor(private readonly ctx: CameraStageContext) {
    this.policy = new RestartPolicy(ctx.policy);
    this.status = {
      camera: ctx.camera.name, state: 'stopped', pid: null, encoder: ctx.encoder, runId: null, startedAt: null,
      restarts: 0, lastCause: null, fpsIn: 0, counters: { ...ZERO }, segmentsOpened: 0, segmentsClosed: 0, degraded: ctx.degraded ?? false,
    };
  }

  get name(): string {
    return this.ctx.camera.name;
  }

  snapshot(): CameraStatus {
    return { ...this.status, counters: { ...this.status.counters } };
  }

  /** Watchdog view: recording with frames advancing, or waiting for a source that went away. */
  healthy(now = Date.now()): boolean {
    if (this.status.state === 'waiting_for_source' || (this.status.state === 'stopped' && this.stopping)) return true;
    return this.status.state === 'recording' && this.progress.progressing(now, this.ctx.camera.watchdog.stall_after_s * 1000);
  }

  private emitStage(state: VigilEvents['stage']['state'], cause: string, attempt: number, nextRetryS: number | null): void {
    this.ctx.bus.emit('stage', { stage: `camera:${this.name}`, camera: this.name, state, cause, attempt, nextRetryS });
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
    this.emitStage('restarting', cause, 0, 0);
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
      tap: this.ctx.tapSocket ? { socket: this.ctx.tapSocket, ...tapGeometry(this.ctx.camera) } : null,
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
    this.progress.spawned(Date.now());
    this.lastStopReason = null;
    this.pendingKind = null;
    // While the source is away the camera keeps saying so until frames come back.
    if (this.sourceLostAt === null) this.setState('starting', this.status.lastCause ?? 'start');
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
        this.onPipelineError(m.element, m.message, m.debug);
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

  /** The pipeline keeps "running" after an error but usually produces nothing: rebuild it. */
  private onPipelineError(element: string, message: string, debug?: string): void {
    if (this.pendingKind || this.stopping) return;
    const kind = classifyPipelineError(element);
    this.ctx.log.error({ element, message, debug, kind }, 'pipeline error');
    const cause = element === 'wd' ? `source stalled (watchdog: ${message})` : kind === 'source' ? `source unavailable (${element}: ${message})` : `${element}: ${message}`;
    if (kind === 'source') this.emitStage('stalled', cause, 0, null);
    void this.stopChild(cause, kind);
  }

  private onHeartbeat(at: number, c: PipelineCounters): void {
    const now = Date.now();
    const advanced = this.progress.heartbeat(now, at, c);
    this.status.fpsIn = this.progress.fpsIn;
    this.status.counters = c;
    if (advanced && this.sourceLostAt !== null) {
      const cause = `source back after ${Math.round((now - this.sourceLostAt) / 1000)} s`;
      this.sourceLostAt = null;
      this.policy.sourceBack();
      this.ctx.log.info({ cause }, 'source back');
      this.setState('starting', cause);
      this.emitStage('running', cause, 0, null);
    }
    if (this.status.startedAt && now - this.status.startedAt > HEALTHY_RESET_MS) this.policy.healthy();
  }

  /**
   * Progress, not liveness. A child that stops sending heartbeats is hung (SIGSTOP, a wedged
   * binding): it cannot finalise anything, so it is killed at once and counts as a crash. One
   * that answers but whose frames stopped is stalled; while the source is away that is source
   * trouble, otherwise the pipeline is wedged, which is a crash.
   */
  private checkProgress(): void {
    const child = this.child;
    if (!child || this.stopping || this.pendingKind) return;
    const verdict = this.progress.check(Date.now(), this.ctx.camera.watchdog.stall_after_s * 1000);
    if (verdict?.kind === 'hang') {
      const cause = `hang: no heartbeat for ${(verdict.silentMs / 1000).toFixed(1)} s`;
      this.ctx.log.warn({ silentMs: verdict.silentMs, pid: child.pid }, 'camera process hung; killing it');
      this.emitStage('stalled', cause, 0, null);
      this.pendingKind = 'crash';
      this.status.lastCause = cause;
      this.setState('restarting', cause);
      child.kill('SIGKILL');
    } else if (verdict?.kind === 'stall') {
      const kind: FailureKind = this.sourceLostAt !== null ? 'source' : 'crash';
      const cause = `stall: no frames for ${(verdict.idleMs / 1000).toFixed(1)} s`;
      this.ctx.log.warn({ idleMs: verdict.idleMs, kind }, 'camera stalled');
      this.emitStage('stalled', cause, 0, null);
      void this.stopChild(cause, kind);
    }
  }

  private async stopChild(cause: string, kind: FailureKind | null = null): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return this.exited;
    this.pendingKind ??= kind;
    // The outage starts when the source trouble is seen, not when the child has exited.
    if (this.pendingKind === 'source') this.sourceLostAt ??= Date.now();
    this.status.lastCause = cause;
    if (!this.stopping) this.setState(this.pendingKind === 'source' ? 'waiting_for_source' : 'restarting', cause);
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
    const ended = this.lastStopReason === 'source ended';
    if (ended && src.kind === 'file' && !src.loop) {
      this.setState('stopped', 'file source ended (loop: false)');
      return;
    }
    // A clean exit says why in its 'stopped' message (source ended, stop requested for a restart).
    const cleanCause = ended ? 'source ended' : (this.status.lastCause ?? this.lastStopReason ?? 'camera process exited');
    const cause = this.pendingKind === null && signal ? `camera process killed by ${signal}` : code !== 0 && code !== null ? `camera process exited with code ${code}` : cleanCause;
    this.status.lastCause = cause;
    this.status.restarts++;
    // Looping a demo file: start over at once, unless the file ends as soon as it starts.
    if (ended && src.kind === 'file' && ranMs > 2000) return this.scheduleSpawn(0, cause, 0, 'restarting');
    // A source that ended is away (camera rebooting); anything we did not ask for is a crash.
    const kind: FailureKind = ended ? 'source' : (this.pendingKind ?? 'crash');
    const now = Date.now();
    const decision = this.policy.failed(kind, now);
    if (decision.budgetSpent) {
      this.ctx.log.error({ cause, used: this.policy.budget.used(now) }, 'restart budget spent; escalating');
      this.setState('failed', cause);
      this.ctx.onBudgetSpent(cause);
      return;
    }
    if (kind === 'source') this.sourceLostAt ??= now;
    this.ctx.log.warn({ code, signal, cause, kind, retryInMs: decision.delayMs }, 'camera process exited; restarting');
    this.scheduleSpawn(decision.delayMs, cause, decision.attempt, kind === 'source' ? 'waiting_for_source' : 'restarting');
  }

  private scheduleSpawn(delayMs: number, cause: string, attempt: number, state: 'restarting' | 'waiting_for_source'): void {
    this.setState(state, cause);
    this.emitStage('restarting', cause, attempt, Math.round(delayMs / 100) / 10);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, delayMs);
  }

  private setState(state: CameraState, cause: string): void {
    if (this.status.state === state) return;
    this.status.state = state;
    this.ctx.bus.emit('recording', { camera: this.name, state, cause });
  }
}
