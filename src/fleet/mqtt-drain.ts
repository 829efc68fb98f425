// Moves outbox events to the broker for one connection at a time: QoS 1 publishes in seq order
// with a bounded window in flight, each event deleted from the outbox only after its PUBACK.
// Every connection starts over from the lowest un-acked seq, so a drop can repeat events but
// never skip one (at-least-once; the controller dedupes by seq).
import type { Logger } from '../log';
import type { Outbox, OutboxItem } from './outbox';

export type PublishItem = (item: OutboxItem, done: (err?: Error) => void) => void;

export class OutboxDrain {
  /** Bumped per connection: PUBACKs of an older connection must not move this one's window. */
  private session = 0;
  private publish: PublishItem | null = null;
  private window = 1;
  /** Highest seq handed to the broker on this connection. */
  private cursor = 0;
  private readonly inflight = new Set<number>();
  /** PUBACKed seqs waiting to be deleted in one transaction (one fsync per batch, not per event). */
  private pendingAcks: number[] = [];
  private flushQueued = false;
  private pumping = false;
  /** Told when a publish of this connection fails; the link then drops that connection. */
  private onFailure: (err: Error) => void = () => undefined;
  published = 0;
  acked = 0;

  constructor(private readonly outbox: Outbox, private readonly log: Logger) {}

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Starts draining on a fresh connection, from the lowest seq still in the outbox. */
  begin(publish: PublishItem, window: number, onFailure: (err: Error) => void): void {
    this.flushAcks();
    this.session++;
    this.inflight.clear();
    this.cursor = 0;
    this.window = Math.max(1, window);
    this.publish = publish;
    this.onFailure = onFailure;
    this.pump();
  }

  /** Publishes nothing more, but still records PUBACKs of what is in flight (clean stop). */
  hold(): void {
    this.publish = null;
  }

  /** The connection is gone: forget its window; what it did not ack is sent again next time. */
  end(): void {
    this.publish = null;
    this.session++;
    this.inflight.clear();
    this.flushAcks();
  }

  /** New events were appended. */
  wake(): void {
    this.pump();
  }

  private pump(): void {
    // Re-entry happens when a publish callback fires synchronously; the outer loop carries on.
    if (this.pumping) return;
    this.pumping = true;
    try {
      const session = this.session;
      while (this.publish !== null && session === this.session && this.inflight.size < this.window) {
        const items = this.outbox.next(this.cursor, this.window - this.inflight.size);
        if (items.length === 0) break;
        for (const item of items) {
          if (this.publish === null || session !== this.session) break;
          this.cursor = item.seq;
          this.inflight.add(item.seq);
          this.published++;
          this.publish(item, (err) => this.settle(session, item.seq, err));
        }
      }
    } catch (err) {
      // A failing read (db closed, disk error) must not take the link down with it; the next
      // append or reconnect tries again.
      this.log.error({ err }, 'outbox read failed');
    } finally {
      this.pumping = false;
    }
  }

  private settle(session: number, seq: number, err: Error | undefined): void {
    if (session !== this.session) return;
    this.inflight.delete(seq);
    if (err) {
      this.onFailure(err);
      return;
    }
    this.acked++;
    this.pendingAcks.push(seq);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => this.flushAcks());
    }
    this.pump();
  }

  private flushAcks(): void {
    this.flushQueued = false;
    if (this.pendingAcks.length === 0) return;
    const seqs = this.pendingAcks;
    this.pendingAcks = [];
    try {
      this.outbox.ackMany(seqs);
    } catch (err) {
      // The events stay in the outbox and go out again after the next reconnect: a duplicate,
      // never a loss.
      this.log.error({ err, count: seqs.length }, 'outbox ack failed');
    }
  }
}
