// Every MQTT topic vigil uses and the payload it carries, in one place. All topics live under
// <topic_prefix>/<device_id>/. The fleet controller can rely on exactly these shapes.
import type { CommandResponse } from '../control/registry';
import type { DiskState } from '../events';

export type AvailabilityState = 'online' | 'stopped' | 'offline';

/** `status` — retained, QoS 1. The broker publishes the `offline` form as our last will. */
export interface StatusPayload {
  state: AvailabilityState;
  device_id: string;
  version: string;
  /** Random per daemon start: a changed boot_id with no `stopped` before it means a crash. */
  boot_id: string;
  started_at: string;
}

/** Event types published on `events/<type>`. */
export type EventType = 'disk' | 'recording' | 'stage' | 'segment' | 'selftest' | 'clip' | 'detection';

/** Fields every event carries; `seq` increases by one per event per device, across restarts. */
export interface EventEnvelope {
  seq: number;
  id: string;
  ts: string;
  type: EventType;
  camera?: string;
}

export interface DiskEventBody { state: DiskState; previous: DiskState | null; free_bytes: number; total_bytes: number; free_percent: number; required_bytes: number; cause: string }
export interface RecordingEventBody { camera: string; state: string; cause: string }
export interface StageEventBody { stage: string; camera?: string; state: string; cause: string; attempt: number; next_retry_s: number | null }
export interface SegmentEventBody { camera: string; state: 'recovered' | 'corrupt'; path: string; duration_ms: number; frames: number; note: string }
export interface SelftestEventBody { n: number; of: number; batch: string }

/** `events/detection`: one object lifecycle step; box normalised 0..1 of the frame. */
export interface DetectionEventBody {
  camera: string; kind: 'new' | 'update' | 'end'; object_id: string; label: string; score: number; best_score: number;
  box: { x1: number; y1: number; x2: number; y2: number }; zones: string[]; first_seen: string; last_seen: string;
  snapshot: { path: string; bytes: number } | null;
}
/** `events/clip`: ready, failed, uploaded, deleted (and quota pressure on locked clips). `clip_id`, not
 *  `id`: the envelope's `id` is the event's own. */
export interface ClipEventBody {
  clip_id: string; camera: string; event: 'ready' | 'failed' | 'uploaded' | 'deleted' | 'quota'; state: string; reason: string;
  requested_start: string; requested_end: string; start: string | null; end: string | null;
  bytes: number | null; sha256: string | null; locked: boolean; cause: string | null;
}

export interface EventBodies {
  disk: DiskEventBody;
  recording: RecordingEventBody;
  stage: StageEventBody;
  segment: SegmentEventBody;
  selftest: SelftestEventBody;
  clip: ClipEventBody;
  detection: DetectionEventBody;
}

export type EventPayload<T extends EventType = EventType> = EventEnvelope & { type: T } & EventBodies[T];

/** Events that may be dropped first when the outbox is full; everything else is an event that must arrive. */
export const TELEMETRY_EVENT_TYPES: ReadonlySet<EventType> = new Set<EventType>(['selftest']);

/** `request/<command>` payload. v3.1.1 clients put `id` here; v5 clients may use correlationData. */
export interface RequestPayload {
  id?: string;
  args?: unknown;
  /** ISO-8601; a request that arrives after this is refused with code `expired`. */
  expires_at?: string;
}

/** `response/<command>` payload (or the v5 responseTopic). */
export type ResponsePayload = CommandResponse;

export interface HealthCamera {
  name: string;
  state: string;
  encoder: string;
  fps_in: number;
  frames_in: number;
  frames_written: number;
  frames_dropped: number;
  tap_frames: number;
  segments: number;
  restarts: number;
  last_cause: string | null;
  /** Present when detection is configured for the camera. */
  detection?: HealthDetection;
}

export interface HealthDetection {
  state: string;
  provider: string | null;
  model_load_ms: number | null;
  fps: number;
  inference_ms_p50: number | null;
  inference_ms_p95: number | null;
  frames_in: number;
  /** Frames the camera dropped because the detector had not drained the last one, plus stale frames the detector replaced. */
  frames_dropped: number;
  inferences: number;
  restarts: number;
  last_cause: string | null;
}

export interface HealthStage {
  name: string;
  state: string;
  restarts: number;
  last_cause: string | null;
}

/** `health` — retained, QoS 0, every `health_interval_s`. A reading the hardware lacks is null. */
export interface HealthPayload {
  ts: string;
  device_id: string;
  version: string;
  boot_id: string;
  uptime_s: number;
  cpu: { load_percent: number | null; load_avg_1m: number | null; temperature_c: number | null };
  memory: { total_bytes: number | null; available_bytes: number | null; used_percent: number | null; process_rss_bytes: number };
  disk: { path: string; total_bytes: number | null; free_bytes: number | null; free_percent: number | null; state: DiskState | null };
  cameras: HealthCamera[];
  stages: HealthStage[];
  link: { state: string; connected_since: string | null; reconnects: number; last_error: string | null };
  outbox: { depth: number; bytes: number; oldest_ts: string | null; dropped: number };
}

export const QOS = { status: 1, health: 0, event: 1, response: 1 } as const;
export const RETAIN = { status: true, health: true, event: false, response: false } as const;

export class DeviceTopics {
  readonly base: string;

  constructor(prefix: string, deviceId: string) {
    this.base = `${prefix}/${deviceId}`;
  }

  get status(): string { return `${this.base}/status`; }
  get health(): string { return `${this.base}/health`; }
  event(type: EventType): string { return `${this.base}/events/${type}`; }
  get events(): string { return `${this.base}/events/#`; }
  request(command: string): string { return `${this.base}/request/${command}`; }
  /** The only subscription vigil makes: its own request topics. */
  get requests(): string { return `${this.base}/request/+`; }
  response(command: string): string { return `${this.base}/response/${command}`; }

  /** The command name of a request topic, or null for any other topic. */
  commandOf(topic: string): string | null {
    const pre = `${this.base}/request/`;
    if (!topic.startsWith(pre)) return null;
    const cmd = topic.slice(pre.length);
    return cmd.length > 0 && !cmd.includes('/') ? cmd : null;
  }
}
