// The stage table: every supervised stage, declared flat in one place (openpilot's process
// table). What a stage is and how it is treated lives here; the Supervisor only reads it.
import type { CameraConfig, Config, DetectionConfig } from '../config/schema';
import type { PolicySpec } from './restart-policy';

export type StageKind = 'camera' | 'detector' | 'fleet' | 'retention';

export interface StageSpec {
  kind: StageKind;
  name: string;
  camera?: string;
  /** A critical stage that is unhealthy withholds the systemd watchdog ping. */
  critical: boolean;
  /** Seconds without progress before the stage counts as stalled; null: no progress to watch. */
  stallAfterS: number | null;
  /** Restart policy and budget; null: the stage retries by itself and never escalates. */
  restart: PolicySpec | null;
  describe: string;
}

const CRASH_BACKOFF = { initialMs: 1000, maxMs: 30000 };
/** Sources that come and go (RTSP cameras rebooting, Wi-Fi) are retried gently, forever. */
const SOURCE_BACKOFF = { initialMs: 5000, maxMs: 30000 };

export function cameraPolicy(config: Config): PolicySpec {
  const s = config.supervisor;
  return { crash: CRASH_BACKOFF, source: SOURCE_BACKOFF, budget: { maxRestarts: s.restart_budget, windowMs: s.budget_window_s * 1000 } };
}

export type DetectingCamera = CameraConfig & { detection: DetectionConfig };

/** Enabled cameras with detection on: each has a detector stage. */
export function detecting(config: Config): DetectingCamera[] {
  return config.cameras.filter((c): c is DetectingCamera => c.enabled && !!c.detection?.enabled);
}

/** Detectors restart like crashed cameras, but a spent budget means "record without detection". */
export function detectorPolicy(config: Config): PolicySpec {
  return cameraPolicy(config);
}

export function stageTable(config: Config): StageSpec[] {
  const cameras: StageSpec[] = config.cameras.filter((c) => c.enabled).map((c) => ({
    kind: 'camera', name: `camera:${c.name}`, camera: c.name, critical: true, stallAfterS: c.watchdog.stall_after_s, restart: cameraPolicy(config),
    describe: 'healthy while framesOut advances or the source is away',
  }));
  const detectors: StageSpec[] = detecting(config).map((c) => ({
    kind: 'detector', name: `detector:${c.name}`, camera: c.name, critical: false, stallAfterS: c.detection.stall_after_s, restart: detectorPolicy(config),
    describe: 'healthy while inferences advance (or no frames arrive); a spent budget degrades to recording without detection',
  }));
  return [
    ...cameras,
    ...detectors,
    { kind: 'fleet', name: 'fleet', critical: false, stallAfterS: null, restart: null, describe: 'healthy while the link is connected or no mqtt is configured; an outage is reported, never escalated' },
    { kind: 'retention', name: 'retention', critical: true, stallAfterS: null, restart: null, describe: 'healthy while its last pass did not fail' },
  ];
}
