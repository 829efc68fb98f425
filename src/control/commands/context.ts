// What command handlers may ask of the daemon. Handlers depend on this small surface rather
// than on App, so each one can be read (and tested) on its own and none reaches into modules
// it has no business with. App implements it.
import type { AppStatus } from '../../app';
import type { ClipService } from '../../clips/service';
import type { Config } from '../../config/schema';
import type { ConfigChanges } from '../../config/store';
import type { HealthPayload } from '../../fleet/topics';
import type { CameraChange } from '../../media/camera-set';
import type { SegmentRow } from '../../recording/segment-index';
import type { EventLog } from '../event-log';

export type { CameraChange, ConfigChanges };

/** What a config change did: stages restarted or updated live, and those that need a daemon restart. */
export interface ConfigApplyResult {
  applied: string[];
  restart_required: string[];
}

/** Result of fleet.selftest: the batch id its events carry and how many were queued. */
export interface SelftestResult {
  batch: string;
  queued: number;
}

export interface CommandContext {
  /** The effective config: defaults filled in, data_dir absolute, secrets NOT redacted. */
  readonly config: Config;
  status(): AppStatus;
  /** Segments of one camera overlapping [fromMs, toMs), oldest first. */
  listSegments(camera: string, fromMs: number, toMs: number, limit: number): SegmentRow[];
  /** The health report the fleet link publishes; throws CommandError('unavailable') without one. */
  health(): Promise<HealthPayload>;
  /** Stops recording on these (configured) cameras, finalising their segments; they stay stopped. */
  stopRecording(cameras: string[]): Promise<CameraChange[]>;
  /** Starts these (configured) cameras again; throws CommandError('camera_disabled') for a disabled one. */
  startRecording(cameras: string[]): Promise<CameraChange[]>;
  /** Stages restartStage() accepts: "camera:<name>" per running camera, then "retention". */
  stageNames(): string[];
  /** Restarts (camera) or runs now (retention) one stage from stageNames(); returns its new status. */
  restartStage(stage: string): Promise<unknown>;
  /** Merges, validates, persists and applies a change to the config file; see src/config/store.ts. */
  applyConfigChanges(changes: ConfigChanges): Promise<ConfigApplyResult>;
  /** Queues `count` selftest events on the outbox; throws CommandError('unavailable') without one. */
  selftest(count: number): Promise<SelftestResult>;
  /** Recent bus events in memory, for events.recent; optional so stub contexts need not provide it. */
  readonly eventLog?: Pick<EventLog, 'recent'>;
  /** The event-clip service (src/clips/); throws CommandError('unavailable') before the daemon started it.
   *  Optional so contexts built for other commands (tests) need not stub it; see clipsOf(). */
  clipService?(): ClipService;
}
