// Every event that crosses module boundaries inside the daemon, with its payload type.
// The fleet link (MQTT) publishes a subset of these; tests subscribe to them directly.

export type DiskState = 'ok' | 'low' | 'critical';

export interface DiskReading {
  totalBytes: number;
  freeBytes: number;
  freePercent: number;
  /** Free space retention keeps: max(min_free_bytes, min_free_percent of total). */
  requiredBytes: number;
}

/** Normalised 0..1 frame coordinates (same shape as detection/types Box). */
export interface NormBox { x1: number; y1: number; x2: number; y2: number }

/** One object lifecycle step from a camera's detector (tracker output, snapshot saved). */
export interface ObjectEvent {
  camera: string;
  kind: 'new' | 'update' | 'end';
  objectId: string;
  label: string;
  score: number;
  bestScore: number;
  box: NormBox;
  zones: string[];
  firstSeenMs: number;
  lastSeenMs: number;
  /** JPEG of the best frame so far, under data_dir/snapshots/; null if it could not be written. */
  snapshot: { path: string; bytes: number } | null;
}

export type ClipState = 'pending' | 'building' | 'ready' | 'uploading' | 'uploaded' | 'failed';

/** A clip lifecycle step worth telling the fleet about. */
export interface ClipEvent {
  id: string;
  camera: string;
  /** ready / failed / uploaded / deleted, or quota when locked clips alone exceed the clip quota. */
  event: 'ready' | 'failed' | 'uploaded' | 'deleted' | 'quota';
  state: ClipState | 'deleted';
  reason: string;
  requestedStartMs: number;
  requestedEndMs: number;
  startMs: number | null;
  endMs: number | null;
  bytes: number | null;
  sha256: string | null;
  locked: boolean;
  /** Why it failed / was deleted / what the quota problem is. */
  cause: string | null;
}

export interface VigilEvents {
  'segment.opened': { camera: string; id: number; path: string; startMs: number };
  'segment.closed': { camera: string; id: number; path: string; startMs: number; endMs: number; durationMs: number; frames: number | null; bytes: number };
  'segment.recovered': { camera: string; id: number; path: string; state: 'recovered' | 'corrupt'; durationMs: number; frames: number; note: string };
  'segments.pruned': { count: number; bytes: number; oldestRemainingMs: number | null };
  disk: DiskReading & { state: DiskState; previous: DiskState | null; cause: string };
  recording: { camera: string; state: 'starting' | 'recording' | 'stopped' | 'restarting' | 'waiting_for_source' | 'failed'; cause: string };
  detection: ObjectEvent;
  clip: ClipEvent;
  stage: { stage: string; camera?: string; state: 'running' | 'stalled' | 'restarting' | 'degraded' | 'failed' | 'stopped'; cause: string; attempt: number; nextRetryS: number | null };
}
