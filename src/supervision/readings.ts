// Reads the stage table against the running modules: each stage's state and health for the
// Supervisor, the READY condition and the one-line STATUS summary.
import type { Config } from '../config/schema';
import type { CameraStatus } from '../media/camera-status';
import type { RetentionStatus } from '../retention/retention';
import type { DetectorStatus } from '../detection/detector-stage';
import { stageTable } from './stages';
import type { Readiness, StageReading } from './supervisor';

/** What the readings need from the running App, gathered in one place. */
export interface StageView {
  cameras: Array<[string, { snapshot(): CameraStatus; healthy(): boolean }]>;
  /** Link state, or null when the fleet link is not open. */
  link: string | null;
  outboxDepth: number | null;
  retention: RetentionStatus | null;
  detectors?: Array<[string, { snapshot(): DetectorStatus; healthy(): boolean }]>;
}

export function readStages(config: Config, view: StageView): StageReading[] {
  const cameras = new Map(view.cameras);
  const detectors = new Map(view.detectors ?? []);
  return stageTable(config).flatMap((spec): StageReading[] => {
    if (spec.kind === 'camera' || spec.kind === 'detector') {
      const stage = (spec.kind === 'camera' ? cameras : detectors).get(spec.camera ?? '');
      if (!stage) return [];
      const snap = stage.snapshot();
      return [{ name: spec.name, critical: spec.critical, state: snap.state, healthy: stage.healthy(), cause: snap.lastCause }];
    }
    if (spec.kind === 'fleet') {
      // A broker outage is reported here and in health, never escalated: the fleet stage is not critical.
      const healthy = !config.mqtt || view.link === 'connected';
      return [{ name: spec.name, critical: spec.critical, state: config.mqtt ? (view.link ?? 'stopped') : 'standalone', healthy }];
    }
    const error = view.retention?.lastError ?? null;
    return [{ name: spec.name, critical: spec.critical, state: error ? 'failed' : 'running', healthy: error === null, cause: error }];
  });
}

/** READY waits until every started camera has recorded a segment or given up (failed, stopped, source away). */
export function readiness(view: StageView, recordedOnce: ReadonlySet<string>): Readiness {
  const late = view.cameras
    .map(([, stage]) => stage.snapshot())
    .filter((c) => !recordedOnce.has(c.camera) && !['failed', 'stopped', 'waiting_for_source'].includes(c.state))
    .map((c) => c.camera);
  return { ready: late.length === 0, late };
}

export function statusLine(config: Config, view: StageView): string {
  const cams = view.cameras.map(([, stage]) => stage.snapshot());
  const rec = cams.filter((c) => c.state === 'recording').length;
  const r = view.retention;
  const disk = r?.disk ? `disk ${r.state ?? '?'} ${Math.round(r.disk.freePercent)}% free` : 'disk not read yet';
  const link = config.mqtt ? `link ${view.link ?? 'stopped'}` : 'link standalone';
  const outbox = view.outboxDepth === null ? '' : `, outbox ${view.outboxDepth}`;
  return `recording ${rec}/${cams.length} cameras, ${disk}, ${link}${outbox}`;
}
