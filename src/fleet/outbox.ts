// Durable outbox for fleet events. An event is committed to SQLite (synchronous=FULL) before
// append() returns, so a broker outage or a process kill loses nothing that was appended; the
// MQTT link reads rows with next() and deletes each with ack() only after the broker's PUBACK.
// Every event gets a per-device seq that increases by one across restarts (AUTOINCREMENT).
// Bytes and depth are tracked in memory so append and stats stay O(1); the backlog itself is
// only ever read page by page, never loaded whole.
import { randomUUID } from 'node:crypto';
import type { Statement } from 'better-sqlite3';
import type { Db } from '../db';
import type { Logger } from '../log';
import { TELEMETRY_EVENT_TYPES, type EventBodies, type EventPayload, type EventType } from './topics';

/** Rows read per query while making room under the cap: eviction never loads the backlog. */
const EVICT_BATCH = 64;
const COUNTER_TELEMETRY = 'outbox.dropped_telemetry';
const COUNTER_EVENTS = 'outbox.dropped_events';

export interface OutboxItem { seq: number; topic: string; payload: string; bytes: number; telemetry: boolean; created_ms: number }

export interface OutboxStats {
  depth: number;
  /** UTF-8 bytes of the payloads waiting (what max_bytes caps). */
  bytes: number;
  /** created_ms of the oldest waiting event; null when empty. */
  oldestMs: number | null;
  /** Totals since the database was created (persisted), not since this process started. */
  dropped: number;
  droppedTelemetry: number;
  droppedEvents: number;
}

export type OutboxBody<T extends EventType> = EventBodies[T] & { camera?: string };

/** One event for appendMany(); the union keeps type and body matched per entry. */
export type OutboxEntry = { [T in EventType]: { topic: string; type: T; body: OutboxBody<T>; telemetry?: boolean } }[EventType];

export interface OutboxOptions {
  /** Cap on the payload bytes waiting; beyond it telemetry goes first, then the oldest events. */
  maxBytes: number;
  log: Logger;
}

interface RawEntry { topic: string; type: EventType; body: object & { camera?: string }; telemetry?: boolean }

interface Dropped { rows: number; bytes: number; firstSeq: number | null; lastSeq: number | null }

interface WriteResult { payloads: EventPayload[]; rows: number; bytes: number; telemetry: Dropped; events: Dropped }

type ItemRow = Omit<OutboxItem, 'telemetry'> & { telemetry: number };

export class Outbox {
  private readonly stmts: {
    lastSeq: Statement<[], number>;
    insert: Statement<[number, string, string, number, number, number]>;
    next: Statement<[number, number], ItemRow>;
    ack: Statement<[number], number>;
    drop: Statement<[number]>;
    oldestOf: Statement<[number, number], { seq: number; bytes: number }>;
    oldestMs: Statement<[], number>;
    counter: Statement<[string], number>;
    addCounter: Statement<[string, number]>;
  };
  private readonly writeTx: (entries: readonly RawEntry[]) => WriteResult;
  private readonly ackTx: (seqs: readonly number[]) => void;
  private depth: number;
  private bytes: number;
  private droppedTelemetry: number;
  private droppedEvents: number;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly db: Db, private readonly opts: OutboxOptions) {
    this.stmts = {
      // AUTOINCREMENT issues max(sqlite_sequence, max(seq)) + 1; we reserve the same number
      // ourselves because the seq has to be inside the payload we insert.
      lastSeq: db.prepare<[], number>(`SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),
                                                   COALESCE((SELECT MAX(seq) FROM outbox), 0))`).pluck(),
      insert: db.prepare('INSERT INTO outbox (seq, topic, payload, bytes, telemetry, created_ms) VALUES (?, ?, ?, ?, ?, ?)'),
      next: db.prepare<[number, number], ItemRow>('SELECT seq, topic, payload, bytes, telemetry, created_ms FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?'),
      ack: db.prepare<[number], number>('DELETE FROM outbox WHERE seq = ? RETURNING bytes').pluck(),
      drop: db.prepare('DELETE FROM outbox WHERE seq = ?'),
      oldestOf: db.prepare<[number, number], { seq: number; bytes: number }>('SELECT seq, bytes FROM outbox WHERE telemetry = ? ORDER BY seq LIMIT ?'),
      oldestMs: db.prepare<[], number>('SELECT created_ms FROM outbox ORDER BY seq LIMIT 1').pluck(),
      counter: db.prepare<[string], number>('SELECT value FROM counters WHERE name = ?').pluck(),
      addCounter: db.prepare('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value'),
    };
    const totals = db.prepare<[], { n: number; b: number }>('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM outbox').get();
    this.depth = totals?.n ?? 0;
    this.bytes = totals?.b ?? 0;
    this.droppedTelemetry = this.stmts.counter.get(COUNTER_TELEMETRY) ?? 0;
    this.droppedEvents = this.stmts.counter.get(COUNTER_EVENTS) ?? 0;
    // IMMEDIATE: the seq is read and then written in one go; taking the write lock up front means
    // no other connection can issue the same seq in between.
    const write = db.transaction((entries: readonly RawEntry[]) => this.write(entries));
    this.writeTx = (entries) => write.immediate(entries);
    const ack = db.transaction((seqs: readonly number[]) => {
      for (const s of seqs) this.ackOne(s);
    });
    this.ackTx = (seqs) => ack.immediate(seqs);
  }

  /**
   * Durably stores one event (committed before returning) and returns the payload as written:
   * {seq, id, ts, type, camera?, ...body}. telemetry defaults to TELEMETRY_EVENT_TYPES.has(type).
   */
  append<T extends EventType>(topic: string, type: T, body: OutboxBody<T>, opts?: { telemetry?: boolean }): EventPayload<T> {
    const [payload] = this.commit([{ topic, type, body, telemetry: opts?.telemetry }]);
    if (!payload) throw new Error('outbox append wrote no row');
    return payload as unknown as EventPayload<T>;
  }

  /** Stores many events in one transaction (one fsync instead of N); seqs are consecutive. */
  appendMany(entries: readonly OutboxEntry[]): EventPayload[] {
    return entries.length === 0 ? [] : this.commit(entries);
  }

  /** Up to `limit` waiting events with seq > afterSeq, in seq order. */
  next(afterSeq: number, limit: number): OutboxItem[] {
    return this.stmts.next.all(afterSeq, limit).map((r) => ({ ...r, telemetry: r.telemetry === 1 }));
  }

  /** Deletes an event after its PUBACK. An unknown seq (already acked, or dropped at the cap) is a no-op. */
  ack(seq: number): void {
    this.ackOne(seq);
  }

  /** ack() for many seqs in one transaction, for replaying a backlog at more than fsync rate. */
  ackMany(seqs: readonly number[]): void {
    if (seqs.length > 0) this.ackTx(seqs);
  }

  /** A new cap (config change) applies from the next append. */
  setMaxBytes(maxBytes: number): void {
    this.opts.maxBytes = maxBytes;
  }

  stats(): OutboxStats {
    return {
      depth: this.depth,
      bytes: this.bytes,
      oldestMs: this.depth > 0 ? (this.stmts.oldestMs.get() ?? null) : null,
      dropped: this.droppedTelemetry + this.droppedEvents,
      droppedTelemetry: this.droppedTelemetry,
      droppedEvents: this.droppedEvents,
    };
  }

  /** Calls `fn` after every committed append (the MQTT link wakes up); returns an unsubscribe. */
  onAppend(fn: () => void): () => void {
    // A fresh wrapper per call, so subscribing the same function twice needs two unsubscribes.
    const entry = (): void => fn();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }

  private ackOne(seq: number): void {
    const bytes = this.stmts.ack.get(seq);
    if (bytes === undefined) return;
    this.depth -= 1;
    this.bytes -= bytes;
  }

  /** Runs the transaction, then updates memory only for what actually committed. */
  private commit(entries: readonly RawEntry[]): EventPayload[] {
    const r = this.writeTx(entries);
    this.depth += r.rows - r.telemetry.rows - r.events.rows;
    this.bytes += r.bytes - r.telemetry.bytes - r.events.bytes;
    this.droppedTelemetry += r.telemetry.rows;
    this.droppedEvents += r.events.rows;
    const { maxBytes, log } = this.opts;
    if (r.telemetry.rows > 0) {
      log.warn({ dropped: r.telemetry.rows, firstSeq: r.telemetry.firstSeq, lastSeq: r.telemetry.lastSeq, droppedTelemetry: this.droppedTelemetry, maxBytes },
        'outbox full: dropped oldest telemetry');
    }
    if (r.events.rows > 0) {
      log.error({ dropped: r.events.rows, firstSeq: r.events.firstSeq, lastSeq: r.events.lastSeq, droppedEvents: this.droppedEvents, maxBytes },
        'outbox full: dropped oldest events');
    }
    for (const fn of [...this.listeners]) {
      try {
        fn();
      } catch (err) {
        log.error({ err }, 'outbox append listener failed');
      }
    }
    return r.payloads;
  }

  /** Body of the write transaction: inserts, then evicts down to the cap. Touches no in-memory state. */
  private write(entries: readonly RawEntry[]): WriteResult {
    let seq = this.stmts.lastSeq.get() ?? 0;
    let bytes = 0;
    const payloads: EventPayload[] = [];
    for (const e of entries) {
      seq += 1;
      const createdMs = Date.now();
      const payload = buildPayload(seq, e, createdMs);
      const json = JSON.stringify(payload);
      const size = Buffer.byteLength(json);
      const telemetry = e.telemetry ?? TELEMETRY_EVENT_TYPES.has(e.type);
      this.stmts.insert.run(seq, e.topic, json, size, telemetry ? 1 : 0, createdMs);
      bytes += size;
      payloads.push(payload);
    }
    let total = this.bytes + bytes;
    const telemetry = this.evict(1, () => total, (b) => (total -= b));
    const events = this.evict(0, () => total, (b) => (total -= b));
    if (telemetry.rows > 0) this.stmts.addCounter.run(COUNTER_TELEMETRY, telemetry.rows);
    if (events.rows > 0) this.stmts.addCounter.run(COUNTER_EVENTS, events.rows);
    return { payloads, rows: entries.length, bytes, telemetry, events };
  }

  /** Deletes the oldest rows of one class until the total is within the cap or the class is empty. */
  private evict(telemetry: 0 | 1, total: () => number, release: (bytes: number) => void): Dropped {
    const d: Dropped = { rows: 0, bytes: 0, firstSeq: null, lastSeq: null };
    while (total() > this.opts.maxBytes) {
      const rows = this.stmts.oldestOf.all(telemetry, EVICT_BATCH);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (total() <= this.opts.maxBytes) break;
        this.stmts.drop.run(row.seq);
        release(row.bytes);
        d.rows += 1;
        d.bytes += row.bytes;
        d.firstSeq ??= row.seq;
        d.lastSeq = row.seq;
      }
    }
    return d;
  }
}

/** {seq, id, ts, type, camera?, ...body}; the envelope is assigned last so no body key can overwrite it. */
function buildPayload(seq: number, e: RawEntry, createdMs: number): EventPayload {
  const envelope = { seq, id: randomUUID(), ts: new Date(createdMs).toISOString(), type: e.type };
  const ordered = e.body.camera !== undefined ? { ...envelope, camera: e.body.camera } : { ...envelope };
  return Object.assign(ordered, e.body, envelope) as EventPayload;
}
