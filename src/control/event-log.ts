// EventLog: the last few hundred bus events, in memory, for `vigil events tail` and the
// "last events" of `vigil status`. The durable record is the outbox; this ring only answers
// "what just happened" on the local socket, so it is bounded and forgets on restart.
import type { EventBus } from '../bus';
import type { VigilEvents } from '../events';

/** Enough for a technician scrolling back a few minutes on a busy 4-camera box. */
export const EVENT_LOG_CAPACITY = 500;

/** Every bus event type; one list so a new event type is a compile error until it is added here. */
const EVENT_TYPES: { [K in keyof VigilEvents]: true } = {
  'segment.opened': true,
  'segment.closed': true,
  'segment.recovered': true,
  'segments.pruned': true,
  disk: true,
  recording: true,
  detection: true,
  clip: true,
  stage: true,
};

export interface LoggedEvent {
  /** Grows by one per event since the daemon started; `after` in events.recent uses it. */
  seq: number;
  /** Epoch ms when the bus carried it. */
  ts: number;
  type: keyof VigilEvents;
  data: unknown;
}

export class EventLog {
  private readonly ring: LoggedEvent[] = [];
  private seq = 0;
  private unsubscribe: Array<() => void> = [];

  constructor(private readonly bus: EventBus<VigilEvents>, private readonly capacity = EVENT_LOG_CAPACITY) {}

  start(): void {
    if (this.unsubscribe.length > 0) return;
    for (const type of Object.keys(EVENT_TYPES) as Array<keyof VigilEvents>) {
      this.unsubscribe.push(this.bus.on(type, 'event-log', (data) => this.push(type, data)));
    }
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
    this.unsubscribe = [];
  }

  /** Events with seq > after, oldest first, at most `limit` of them (the newest when capped). */
  recent(after = 0, limit = 50): { events: LoggedEvent[]; last_seq: number } {
    const newer = this.ring.filter((e) => e.seq > after);
    return { events: newer.slice(Math.max(0, newer.length - limit)), last_seq: this.seq };
  }

  private push(type: keyof VigilEvents, data: unknown): void {
    this.ring.push({ seq: ++this.seq, ts: Date.now(), type, data });
    if (this.ring.length > this.capacity) this.ring.splice(0, this.ring.length - this.capacity);
  }
}
