// CameraSet: the daemon's camera stages, by name. Starts and stops them together for the
// daemon's lifecycle and one at a time for operator commands and config changes. It remembers
// which cameras an operator stopped, so neither a restart nor a config change starts one of
// them behind the operator's back.
import { isDeepStrictEqual } from 'node:util';
import type { EventBus } from '../bus';
import type { CameraConfig, Config } from '../config/schema';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { CameraPlan } from '../pipeline/plan';
import { segmentDir, type SegmentRecorder } from '../recording/segment-recorder';
import { planEscalation, type PolicySpec } from '../supervision/restart-policy';
import { CameraStage, type CameraState, type CameraStatus } from './camera-stage';
import { tapSocketPath } from '../detection/paths';

export const STOPPED_BY_COMMAND = 'stopped by command';
export const STARTED_BY_COMMAND = 'started by command';

export interface CameraSetContext {
  dataDir: string;
  recorder: SegmentRecorder;
  bus: EventBus<VigilEvents>;
  /** Parent logger; each camera gets a child with its name. */
  log: Logger;
  childScript?: string;
  /** Restart policy and budget of every camera (the stage table's). */
  policy: PolicySpec;
  /** Resolves a plan for one camera config (degraded mode). */
  rebuild: (camera: CameraConfig) => Promise<CameraPlan>;
  /** A camera spent its budget with nothing left to fall back to: the daemon must exit. */
  onFatal: (cause: string) => void;
}

/** A configured camera without a stage is one the config disables. */
export type CameraChangeState = CameraState | 'disabled';

/** What a start/stop command did to one camera. */
export interface CameraChange {
  camera: string;
  previous: CameraChangeState;
  state: CameraChangeState;
  changed: boolean;
  note?: string;
}

/** Cameras that must be (re)built for `next`: enabled there and new, re-enabled or changed. */
export function camerasToBuild(prev: Config, next: Config): CameraConfig[] {
  return next.cameras.filter((cam) => {
    const old = prev.cameras.find((c) => c.name === cam.name);
    return cam.enabled && !(old?.enabled && isDeepStrictEqual(old, cam));
  });
}

export class CameraSet {
  private readonly stages = new Map<string, CameraStage>();
  private readonly held = new Set<string>();

  constructor(private readonly ctx: CameraSetContext) {}

  names(): string[] {
    return [...this.stages.keys()];
  }

  has(name: string): boolean {
    return this.stages.has(name);
  }

  isHeld(name: string): boolean {
    return this.held.has(name);
  }

  snapshots(): CameraStatus[] {
    return [...this.stages.values()].map((s) => s.snapshot());
  }

  /** Builds a plan's stage, not started; a stage of the same name is replaced, so stop that one first. */
  add(plan: CameraPlan, degraded = false): CameraStage {
    const name = plan.camera.name;
    const stage = new CameraStage({
      camera: plan.camera, encoder: plan.encoder.element, buildLaunch: plan.buildLaunch, segmentDir: segmentDir(this.ctx.dataDir, name),
      recorder: this.ctx.recorder, bus: this.ctx.bus, log: this.ctx.log.child({ module: 'camera', camera: name }), childScript: this.ctx.childScript,
      policy: this.ctx.policy, degraded, tapSocket: plan.camera.detection?.enabled ? tapSocketPath(this.ctx.dataDir, name) : null, onBudgetSpent: (cause) => void this.escalate(stage, plan, degraded, cause),
    });
    // Map.set on an existing key keeps its position, so status keeps the config's order.
    this.stages.set(name, stage);
    return stage;
  }

  /** A spent budget: degrade a hardware camera to software, else ask the daemon to exit. */
  private async escalate(stage: CameraStage, plan: CameraPlan, degraded: boolean, cause: string): Promise<void> {
    const name = plan.camera.name;
    const log = this.ctx.log.child({ module: 'camera', camera: name });
    const outcome = await planEscalation(plan, degraded, cause, this.ctx.rebuild);
    // A config change or operator stop may have replaced or stopped the stage meanwhile.
    if (this.stages.get(name) !== stage) return;
    if (outcome.action === 'exit') {
      this.ctx.bus.emit('stage', { stage: `camera:${name}`, camera: name, state: 'failed', cause: outcome.cause, attempt: 0, nextRetryS: null });
      log.fatal({ cause: outcome.cause }, 'camera failed beyond its restart budget; vigild exits');
      this.ctx.onFatal(`camera ${name}: ${outcome.cause}`);
      return;
    }
    await stage.stop(outcome.cause);
    const next = this.add(outcome.plan, true);
    this.ctx.bus.emit('stage', { stage: `camera:${name}`, camera: name, state: 'degraded', cause: outcome.cause, attempt: 0, nextRetryS: 0 });
    log.warn({ cause: outcome.cause, encoder: outcome.plan.encoder.element, video: outcome.plan.camera.video }, 'camera degraded');
    if (!this.held.has(name)) next.start(outcome.cause);
  }

  /** Stages by name, for the supervisor's health view. */
  entries(): Array<[string, CameraStage]> {
    return [...this.stages.entries()];
  }

  startAll(): void {
    for (const [name, stage] of this.stages) if (!this.held.has(name)) stage.start();
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.stages.values()].map((s) => s.stop()));
  }

  pids(): number[] {
    return this.snapshots().flatMap((s) => (s.pid ? [s.pid] : []));
  }

  private stage(name: string): CameraStage {
    const stage = this.stages.get(name);
    if (!stage) throw new Error(`no camera stage "${name}"`);
    return stage;
  }

  /** Operator stop: finalises the segment and holds the camera stopped until start(). */
  async stop(name: string): Promise<CameraChange> {
    const stage = this.stage(name);
    const previous = stage.snapshot().state;
    const wasHeld = this.held.has(name);
    this.held.add(name);
    if (wasHeld) return { camera: name, previous, state: previous, changed: false, note: 'already stopped' };
    await stage.stop(STOPPED_BY_COMMAND);
    return { camera: name, previous, state: stage.snapshot().state, changed: previous !== 'stopped', ...(previous === 'stopped' ? { note: 'already stopped' } : {}) };
  }

  /** Operator start: releases the hold and spawns the child unless one is running. */
  start(name: string): CameraChange {
    const stage = this.stage(name);
    const previous = stage.snapshot().state;
    this.held.delete(name);
    const live = stage.running && previous !== 'stopped' && previous !== 'failed';
    if (live) return { camera: name, previous, state: previous, changed: false, note: `already ${previous}` };
    stage.start(STARTED_BY_COMMAND);
    return { camera: name, previous, state: stage.snapshot().state, changed: true };
  }

  async restart(name: string, cause: string): Promise<CameraStatus> {
    const stage = this.stage(name);
    await stage.restart(cause);
    return stage.snapshot();
  }

  /**
   * Brings the stages in line with `next`: stops cameras that are gone or disabled, and replaces
   * the stage of each camera in `plans` (new or changed ones), starting it unless it is held.
   * Returns the stage names it touched.
   */
  async reconcile(next: Config, plans: CameraPlan[], cause: string): Promise<string[]> {
    const touched: string[] = [];
    const wanted = new Set(next.cameras.filter((c) => c.enabled).map((c) => c.name));
    for (const [name, stage] of this.stages) {
      if (wanted.has(name)) continue;
      await stage.stop(cause);
      this.stages.delete(name);
      this.held.delete(name);
      touched.push(`camera:${name}`);
    }
    for (const plan of plans) {
      const name = plan.camera.name;
      await this.stages.get(name)?.stop(cause);
      const stage = this.add(plan);
      // A held camera gets its new settings but stays stopped, and its status still says why.
      if (this.held.has(name)) await stage.stop(STOPPED_BY_COMMAND);
      else stage.start(cause);
      touched.push(`camera:${name}`);
    }
    return touched;
  }
}
