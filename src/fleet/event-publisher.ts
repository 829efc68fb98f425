// Turns in-process bus events into fleet events: each one is translated to its topics.ts body
// (snake_case, the controller's contract) and appended to the durable outbox. Publishing to
// the broker is the MQTT link's job; this module only makes sure nothing is missed on the way in.
import type { EventBus } from '../bus';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import type { Outbox } from './outbox';
import type { ClipEventBody, DetectionEventBody, DeviceTopics, DiskEventBody, RecordingEventBody, SegmentEventBody, StageEventBody } from './topics';

const OWNER = 'event-publisher';

export interface EventPublisherContext {
  bus: EventBus<VigilEvents>;
  outbox: Outbox;
  topics: DeviceTopics;
  log: Logger;
}

export function diskBody(e: VigilEvents['disk']): DiskEventBody {
  return {
    state: e.state, previous: e.previous, free_bytes: e.freeBytes, total_bytes: e.totalBytes,
    free_percent: e.freePercent, required_bytes: e.requiredBytes, cause: e.cause,
  };
}

export function recordingBody(e: VigilEvents['recording']): RecordingEventBody {
  return { camera: e.camera, state: e.state, cause: e.cause };
}

export function stageBody(e: VigilEvents['stage']): StageEventBody {
  // camera is left out rather than set to undefined: device-wide stages have no camera key at all.
  return {
    stage: e.stage, ...(e.camera !== undefined ? { camera: e.camera } : {}),
    state: e.state, cause: e.cause, attempt: e.attempt, next_retry_s: e.nextRetryS,
  };
}

export function segmentBody(e: VigilEvents['segment.recovered']): SegmentEventBody {
  return { camera: e.camera, state: e.state, path: e.path, duration_ms: e.durationMs, frames: e.frames, note: e.note };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function detectionBody(e: VigilEvents['detection']): DetectionEventBody {
  return {
    camera: e.camera, kind: e.kind, object_id: e.objectId, label: e.label, score: e.score, best_score: e.bestScore,
    box: e.box, zones: e.zones, first_seen: new Date(e.firstSeenMs).toISOString(), last_seen: new Date(e.lastSeenMs).toISOString(),
    snapshot: e.snapshot,
  };
}

export function clipBody(e: VigilEvents['clip']): ClipEventBody {
  return {
    clip_id: e.id, camera: e.camera, event: e.event, state: e.state, reason: e.reason,
    requested_start: new Date(e.requestedStartMs).toISOString(), requested_end: new Date(e.requestedEndMs).toISOString(),
    start: iso(e.startMs), end: iso(e.endMs), bytes: e.bytes, sha256: e.sha256, locked: e.locked, cause: e.cause,
  };
}

export class EventPublisher {
  private unsubscribers: (() => void)[] = [];

  constructor(private readonly ctx: EventPublisherContext) {}

  start(): void {
    if (this.unsubscribers.length > 0) return;
    const { bus, outbox, topics } = this.ctx;
    // A failed append (disk full, db closed) throws out of the listener; the bus logs it with
    // owner and event name, and the other listeners still run.
    this.unsubscribers = [
      bus.on('disk', OWNER, (e) => void outbox.append(topics.event('disk'), 'disk', diskBody(e))),
      bus.on('recording', OWNER, (e) => void outbox.append(topics.event('recording'), 'recording', recordingBody(e))),
      bus.on('stage', OWNER, (e) => void outbox.append(topics.event('stage'), 'stage', stageBody(e))),
      bus.on('segment.recovered', OWNER, (e) => void outbox.append(topics.event('segment'), 'segment', segmentBody(e))),
      bus.on('detection', OWNER, (e) => void outbox.append(topics.event('detection'), 'detection', detectionBody(e))),
      bus.on('clip', OWNER, (e) => void outbox.append(topics.event('clip'), 'clip', clipBody(e))),
    ];
    this.ctx.log.debug({ events: ['disk', 'recording', 'stage', 'segment.recovered', 'detection', 'clip'] }, 'event publisher started');
  }

  stop(): void {
    for (const off of this.unsubscribers) off();
    this.unsubscribers = [];
  }
}
