// The shapes of a camera stage: what it is given (its context) and what it reports about
// itself (the status snapshot shared by the App, the CLI, the health payload and the supervisor).
import type { EventBus } from '../bus';
import type { CameraConfig } from '../config/schema';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { SegmentRecorder } from '../recording/segment-recorder';
import type { PolicySpec } from '../supervision/restart-policy';
import type { PipelineCounters } from './protocol';

export type CameraState = 'starting' | 'recording' | 'restarting' | 'waiting_for_source' | 'stopped' | 'failed';

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
  /** Running in degraded mode (software, half resolution) after a spent budget. */
  degraded: boolean;
}

export const ZERO_COUNTERS: PipelineCounters = { framesIn: 0, framesOut: 0, framesDropped: 0, framesDuplicated: 0, tapFrames: 0, recQueueFrames: 0 };

export function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:.]/g, '');
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
  policy: PolicySpec;
  degraded?: boolean;
  /** Where the camera process offers tap frames to the detector; null when detection is off. */
  tapSocket?: string | null;
  /** Called once when crashes spent the budget; the stage stays failed until replaced. */
  onBudgetSpent: (cause: string) => void;
}
