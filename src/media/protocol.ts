// Messages between the daemon and a camera child process (Node IPC, JSON serialisation).
// The child owns exactly one GStreamer pipeline; the daemon owns the index, disk and fleet.

/** Passed to the child as its single argv argument. */
export interface CameraProcessSpec {
  camera: string;
  launch: string;
  runId: string;
  heartbeatMs: number;
  /** Longest wait for EOS to finalise the open segment before stopping the pipeline anyway. */
  eosTimeoutMs: number;
  /** Unix socket on which the tap frames are offered to the camera's detector; null: no detector. */
  tap: { socket: string; width: number; height: number } | null;
}

export interface PipelineCounters {
  /** Frames the source produced (videorate 'in'). */
  framesIn: number;
  /** Frames that entered the tee, i.e. the recording branch (videorate 'out'). */
  framesOut: number;
  /** Frames videorate dropped or duplicated to hold the configured rate. */
  framesDropped: number;
  framesDuplicated: number;
  /** Frames the detection tap delivered to Node. */
  tapFrames: number;
  /** Frames waiting in the recording queue before the encoder. */
  recQueueFrames: number;
  /** Tap frames handed to the detector, and dropped because it was absent or had not drained. */
  tapSent?: number;
  tapDropped?: number;
}

export type ChildMessage =
  | { type: 'playing'; pid: number }
  | { type: 'segment-opened'; path: string; startMs: number }
  | { type: 'segment-closed'; path: string; endMs: number }
  | { type: 'heartbeat'; at: number; counters: PipelineCounters }
  | { type: 'pipeline-error'; element: string; message: string; debug?: string }
  | { type: 'pipeline-warning'; element: string; message: string }
  | { type: 'eos' }
  | { type: 'stopped'; reason: string; eos: boolean; counters: PipelineCounters }
  | { type: 'fatal'; phase: 'parse' | 'play' | 'runtime'; message: string };

export type ParentMessage = { type: 'stop'; reason: string };
