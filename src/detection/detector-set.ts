// The detectors of all cameras with detection on: started after the cameras, stopped before
// them, reconciled with config changes like the cameras are.
import { isDeepStrictEqual } from 'node:util';
import type { EventBus } from '../bus';
import type { Config } from '../config/schema';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { PolicySpec } from '../supervision/restart-policy';
import { detecting, type DetectingCamera } from '../supervision/stages';
import type { DetectionStore } from './detection-store';
import { DetectorStage, type DetectorStatus } from './detector-stage';

export interface DetectorSetContext {
  dataDir: string;
  bus: EventBus<VigilEvents>;
  log: Logger;
  policy: PolicySpec;
  store: DetectionStore | null;
  script?: string;
}

export class DetectorSet {
  private readonly stages = new Map<string, { stage: DetectorStage; camera: DetectingCamera }>();

  constructor(private readonly ctx: DetectorSetContext) {}

  startAll(config: Config): void {
    for (const cam of detecting(config)) this.add(cam).start();
  }

  private add(camera: DetectingCamera): DetectorStage {
    const stage = new DetectorStage({
      camera, dataDir: this.ctx.dataDir, bus: this.ctx.bus, log: this.ctx.log.child({ module: 'detector', camera: camera.name }), policy: this.ctx.policy,
      ...(this.ctx.store ? { onObject: (e: VigilEvents['detection']) => this.ctx.store?.insert(e) } : {}),
      ...(this.ctx.script ? { script: this.ctx.script } : {}),
    });
    this.stages.set(camera.name, { stage, camera });
    return stage;
  }

  /** Restarts detectors whose camera changed (its detection, video size or enabled flag). */
  async reconcile(config: Config): Promise<string[]> {
    const want = new Map(detecting(config).map((c) => [c.name, c]));
    const changed: string[] = [];
    for (const [name, { stage, camera }] of [...this.stages]) {
      const next = want.get(name);
      if (next && isDeepStrictEqual(next, camera)) continue;
      await stage.stop();
      this.stages.delete(name);
      changed.push(`detector:${name}`);
    }
    for (const [name, cam] of want) {
      if (this.stages.has(name)) continue;
      this.add(cam).start();
      if (!changed.includes(`detector:${name}`)) changed.push(`detector:${name}`);
    }
    return changed;
  }

  names(): string[] {
    return [...this.stages.keys()];
  }

  get(camera: string): DetectorStage | undefined {
    return this.stages.get(camera)?.stage;
  }

  /** Operator restart: a failed or degraded detector gets a fresh start and budget. */
  async restart(camera: string): Promise<DetectorStatus> {
    const s = this.stages.get(camera);
    if (!s) throw new Error(`camera "${camera}" has no detector`);
    await s.stage.stop();
    s.stage.start();
    return s.stage.snapshot();
  }

  snapshots(): DetectorStatus[] {
    return [...this.stages.values()].map((s) => s.stage.snapshot());
  }

  entries(): Array<[string, DetectorStage]> {
    return [...this.stages].map(([n, s]) => [n, s.stage]);
  }

  pids(): number[] {
    return [...this.stages.values()].map((s) => s.stage.pid()).filter((p): p is number => p !== null);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.stages.values()].map((s) => s.stage.stop()));
  }
}
