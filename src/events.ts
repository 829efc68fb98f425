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

export interface VigilEvents {
  'segment.opened': { camera: string; id: number; path: string; startMs: number };
  'segment.closed': { camera: string; id: number; path: string; startMs: number; endMs: number; durationMs: number; frames: number | null; bytes: number };
  'segment.recovered': { camera: string; id: number; path: string; state: 'recovered' | 'corrupt'; durationMs: number; frames: number; note: string };
  'segments.pruned': { count: number; bytes: number; oldestRemainingMs: number | null };
  disk: DiskReading & { state: DiskState; previous: DiskState | null; cause: string };
  recording: { camera: string; state: 'starting' | 'recording' | 'stopped' | 'restarting' | 'waiting_for_source' | 'failed'; cause: string };
  stage: { stage: string; camera?: string; state: 'running' | 'stalled' | 'restarting' | 'degraded' | 'failed' | 'stopped'; cause: string; attempt: number; nextRetryS: number | null };
}
