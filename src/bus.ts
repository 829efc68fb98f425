// Typed in-process event bus. Every listener is wrapped so that one failing listener is
// logged with its owner and the event name and never stops the others from running.
import type { Logger } from './log';

type Listener<T> = (payload: T) => void | Promise<void>;

interface Entry { owner: string; fn: Listener<never> }

export class EventBus<Events extends { [K in keyof Events]: unknown }> {
  private readonly listeners = new Map<keyof Events, Entry[]>();

  constructor(private readonly log: Logger) {}

  /** Subscribes `fn` on behalf of `owner` (used in failure logs); returns an unsubscribe function. */
  on<K extends keyof Events>(event: K, owner: string, fn: Listener<Events[K]>): () => void {
    const list = this.listeners.get(event) ?? [];
    const entry: Entry = { owner, fn: fn as Listener<never> };
    list.push(entry);
    this.listeners.set(event, list);
    return () => {
      const cur = this.listeners.get(event);
      if (cur) this.listeners.set(event, cur.filter((e) => e !== entry));
    };
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    for (const { owner, fn } of this.listeners.get(event) ?? []) {
      try {
        const r = (fn as Listener<Events[K]>)(payload);
        if (r && typeof (r as Promise<void>).catch === 'function') {
          (r as Promise<void>).catch((err: unknown) => this.fail(owner, event, err));
        }
      } catch (err) {
        this.fail(owner, event, err);
      }
    }
  }

  private fail(owner: string, event: keyof Events, err: unknown): void {
    this.log.error({ owner, event: String(event), err }, 'event listener failed');
  }
}
