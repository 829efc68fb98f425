// The App's public shapes: its options, the fleet hooks and the status snapshot that the CLI,
// the control commands and the health payload read.
import type { ClipsStatus } from './clips/service';
import type { Config } from './config/schema';
import type { SelftestResult, ConfigApplyResult } from './control/commands/context';
import type { OutboxStats } from './fleet/outbox';
import type { HealthPayload } from './fleet/topics';
import type { Logger } from './log';
import type { CameraStatus } from './media/camera-status';
import type { DetectorStatus } from './detection/detector-stage';
import type { CameraPlan } from './pipeline/plan';
import type { SegmentIndex } from './recording/segment-index';
import type { RetentionStatus } from './retention/retention';
import type { SystemdNotifier } from './supervision/notify';
import type { StageStatus, SupervisorStatus } from './supervision/supervisor';

/** What the fleet link provides once wired in; the commands that need a hook answer `unavailable` without it. */
export interface FleetHooks {
  health?: () => Promise<HealthPayload>;
  /** Appends `count` selftest events to the outbox. */
  selftest?: (count: number) => Promise<SelftestResult>;
  /** Applies an accepted config change to the fleet link (mqtt, outbox); without it those changes report restart_required: ['fleet']. */
  onConfigApplied?: (next: Config, previous: Config) => Promise<ConfigApplyResult>;
}

export interface AppOptions extends FleetHooks {
  config: Config;
  log: Logger;
  /** The file config.set edits; without it remote config changes are unavailable. */
  configPath?: string;
  /** Camera child entry point; tests may point elsewhere. */
  childScript?: string;
  /** Pre-resolved plans (tests, --print-pipeline); resolved from the registry when absent. */
  plans?: CameraPlan[];
  /** Unix socket for the CLI; defaults to <data_dir>/vigil.sock, null disables it. */
  socketPath?: string | null;
  /** systemd notify protocol; absent or disabled (no NOTIFY_SOCKET) sends nothing. */
  notifier?: SystemdNotifier;
  /** A camera spent its restart budget with nothing to fall back to; vigild stops and exits 3. */
  onFatal?: (cause: string) => void;
}

export interface AppStatus {
  version: string;
  device: string;
  pid: number;
  startedAt: number;
  uptimeS: number;
  cameras: CameraStatus[];
  /** One per camera with detection on. */
  detectors: DetectorStatus[];
  retention: RetentionStatus;
  segments: ReturnType<SegmentIndex['stats']>;
  fleet: { link: HealthPayload['link']; outbox: OutboxStats } | null;
  stages: StageStatus[];
  supervisor: SupervisorStatus | null;
  /** Clip counts, quota and upload progress; null before start. */
  clips?: ClipsStatus | null;
}
