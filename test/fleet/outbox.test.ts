// Outbox: seq starts at 1 and increases by one across restarts and acks, payloads are written
// exactly as EventPayload, next/ack page and delete, the byte cap drops telemetry before events
// and counts both persistently, and a failed transaction leaves nothing behind. Real SQLite files.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { openDb, type Db } from '../../src/db';
import type { Logger } from '../../src/log';
import { Outbox } from '../../src/fleet/outbox';
import type { DiskEventBody } from '../../src/fleet/topics';
import { tmpDir } from '../helpers/daemon';

interface LogLine { level: number; msg: string; [k: string]: unknown }

function captureLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { log, lines };
}

function freshDb(): { file: string; db: Db } {
  const file = path.join(tmpDir('vigil-outbox-'), 'vigil.db');
  return { file, db: openDb(file) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const TOPIC = 'vigil/dev-1/events/disk';
const DISK: DiskEventBody = { state: 'low', previous: 'ok', free_bytes: 100, total_bytes: 1000, free_percent: 10, required_bytes: 200, cause: 'segment closed' };

test('a fresh outbox issues seq 1, 2, 3 and stores exactly {seq, id, ts, type, camera?, ...body}', () => {
  const { db } = freshDb();
  try {
    const outbox = new Outbox(db, { maxBytes: 1 << 20, log: captureLogger().log });
    const before = Date.now();
    const a = outbox.append(TOPIC, 'disk', DISK);
    const b = outbox.append('vigil/dev-1/events/recording', 'recording', { camera: 'front', state: 'recording', cause: 'started' });
    const c = outbox.append('vigil/dev-1/events/stage', 'stage', { stage: 'retention', state: 'running', cause: 'boot', attempt: 0, next_retry_s: null });
    assert.deepEqual([a.seq, b.seq, c.seq], [1, 2, 3]);

    const items = outbox.next(0, 10);
    assert.deepEqual(items.map((i) => [i.seq, i.topic, i.telemetry]), [[1, TOPIC, false], [2, 'vigil/dev-1/events/recording', false], [3, 'vigil/dev-1/events/stage', false]]);
    const stored = items.map((i) => JSON.parse(i.payload) as Record<string, unknown>);
    assert.deepEqual(stored, [a, b, c], 'append returns the payload exactly as stored');
    assert.deepEqual(Object.keys(stored[0] ?? {}), ['seq', 'id', 'ts', 'type', 'state', 'previous', 'free_bytes', 'total_bytes', 'free_percent', 'required_bytes', 'cause']);
    assert.deepEqual(Object.keys(stored[1] ?? {}), ['seq', 'id', 'ts', 'type', 'camera', 'state', 'cause']);
    assert.deepEqual(stored[0], { seq: 1, id: a.id, ts: a.ts, type: 'disk', ...DISK });
    assert.deepEqual(stored[1], { seq: 2, id: b.id, ts: b.ts, type: 'recording', camera: 'front', state: 'recording', cause: 'started' });
    for (const [i, p] of [a, b, c].entries()) {
      assert.match(p.id, UUID);
      const item = items[i];
      assert.ok(item);
      assert.equal(p.ts, new Date(item.created_ms).toISOString());
      assert.ok(item.created_ms >= before && item.created_ms <= Date.now());
      assert.equal(item.bytes, Buffer.byteLength(item.payload));
    }
    assert.equal(new Set([a.id, b.id, c.id]).size, 3);
  } finally {
    db.close();
  }
});

test('body keys can not overwrite the envelope; selftest defaults to telemetry and the flag can be overridden', () => {
  const { db } = freshDb();
  try {
    const outbox = new Outbox(db, { maxBytes: 1 << 20, log: captureLogger().log });
    const clip = outbox.append('t/clip', 'clip', { seq: 999, id: 'forged', type: 'disk', camera: 'back', url: 'x' } as never);
    assert.equal(clip.seq, 1);
    assert.notEqual(clip.id, 'forged');
    assert.equal(clip.type, 'clip');
    assert.equal(clip.camera, 'back');
    outbox.append('t/selftest', 'selftest', { n: 1, of: 2, batch: 'b' });
    outbox.append('t/selftest', 'selftest', { n: 2, of: 2, batch: 'b' }, { telemetry: false });
    outbox.append(TOPIC, 'disk', DISK, { telemetry: true });
    assert.deepEqual(outbox.next(0, 10).map((i) => i.telemetry), [false, true, false, true]);
  } finally {
    db.close();
  }
});

test('next pages in seq order after a cursor, ack deletes, unknown acks are no-ops, listeners see committed rows', () => {
  const { db } = freshDb();
  const { log, lines } = captureLogger();
  try {
    const outbox = new Outbox(db, { maxBytes: 1 << 20, log });
    const seen: number[] = [];
    const off = outbox.onAppend(() => seen.push(outbox.next(0, 100).length));
    outbox.onAppend(() => {
      throw new Error('listener bug');
    });
    const payloads = outbox.appendMany([1, 2, 3, 4, 5].map((n) => ({ topic: `t/${n}`, type: 'selftest' as const, body: { n, of: 5, batch: 'p' } })));
    assert.deepEqual(payloads.map((p) => p.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(seen, [5], 'a batch wakes the listeners once, after the commit');
    assert.ok(lines.some((l) => l.msg === 'outbox append listener failed' && l.level === 50), 'a throwing listener is logged');
    outbox.append(TOPIC, 'disk', DISK);
    assert.deepEqual(seen, [5, 6], 'the throwing listener did not stop the other one');
    off();
    outbox.append(TOPIC, 'disk', DISK);
    assert.deepEqual(seen, [5, 6]);

    assert.deepEqual(outbox.next(0, 2).map((i) => i.seq), [1, 2]);
    assert.deepEqual(outbox.next(2, 2).map((i) => i.seq), [3, 4]);
    assert.deepEqual(outbox.next(6, 10).map((i) => i.seq), [7]);
    assert.deepEqual(outbox.next(7, 10), []);

    const total = outbox.stats().bytes;
    outbox.ack(3);
    outbox.ack(1);
    outbox.ack(1);
    outbox.ack(42);
    assert.deepEqual(outbox.next(0, 10).map((i) => i.seq), [2, 4, 5, 6, 7]);
    const s = outbox.stats();
    assert.equal(s.depth, 5);
    assert.equal(s.bytes, (db.prepare('SELECT SUM(bytes) AS b FROM outbox').get() as { b: number }).b);
    assert.ok(s.bytes < total);
    assert.equal(s.oldestMs, outbox.next(0, 1)[0]?.created_ms);
    outbox.ackMany([2, 4, 5, 6, 7, 8]);
    assert.deepEqual(outbox.stats(), { depth: 0, bytes: 0, oldestMs: null, dropped: 0, droppedTelemetry: 0, droppedEvents: 0 });
  } finally {
    db.close();
  }
});

test('seq continues after a restart, also when every event was acked before it', () => {
  const { file, db } = freshDb();
  const log = captureLogger().log;
  let outbox = new Outbox(db, { maxBytes: 1 << 20, log });
  outbox.appendMany([1, 2, 3].map(() => ({ topic: TOPIC, type: 'disk' as const, body: DISK })));
  const waitingBytes = outbox.stats().bytes;
  db.close();

  const db2 = openDb(file);
  outbox = new Outbox(db2, { maxBytes: 1 << 20, log });
  assert.equal(outbox.stats().depth, 3, 'the backlog survives the restart');
  assert.equal(outbox.stats().bytes, waitingBytes, 'bytes are re-read from the table');
  outbox.ackMany([1, 2, 3]);
  assert.equal(outbox.stats().depth, 0);
  db2.close();

  const db3 = openDb(file);
  try {
    outbox = new Outbox(db3, { maxBytes: 1 << 20, log });
    assert.equal(outbox.append(TOPIC, 'disk', DISK).seq, 4, 'an emptied table does not restart the sequence');
    assert.equal(outbox.append(TOPIC, 'disk', DISK).seq, 5);
  } finally {
    db3.close();
  }
});

test('a failed append rolls back the whole batch: no rows, no seq used, stats and listeners untouched', () => {
  const { db } = freshDb();
  try {
    const outbox = new Outbox(db, { maxBytes: 1 << 20, log: captureLogger().log });
    outbox.append(TOPIC, 'disk', DISK);
    let woken = 0;
    outbox.onAppend(() => woken++);
    // A trigger makes the second insert of the batch fail, as a full disk would.
    db.exec(`CREATE TRIGGER outbox_fail BEFORE INSERT ON outbox WHEN NEW.topic = 'bad' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const before = outbox.stats();
    assert.throws(() => outbox.appendMany([
      { topic: TOPIC, type: 'disk', body: DISK },
      { topic: 'bad', type: 'disk', body: DISK },
    ]), /disk full/);
    assert.deepEqual(outbox.stats(), before);
    assert.equal(woken, 0);
    assert.deepEqual(outbox.next(0, 10).map((i) => i.seq), [1]);
    assert.equal(outbox.append(TOPIC, 'disk', DISK).seq, 2);
  } finally {
    db.close();
  }
});

test('over the byte cap the oldest telemetry goes first, then the oldest events; counts persist across restarts', () => {
  const { file, db } = freshDb();
  const { log, lines } = captureLogger();
  // Same body and single-digit seqs: every row has the same size s, so the cap is exact.
  const first = new Outbox(db, { maxBytes: 1 << 20, log }).append(TOPIC, 'disk', DISK);
  const s = Buffer.byteLength(JSON.stringify(first));
  const outbox = new Outbox(db, { maxBytes: Math.floor(4.5 * s), log });
  outbox.append(TOPIC, 'disk', DISK, { telemetry: true }); // 2 (T)
  outbox.append(TOPIC, 'disk', DISK); //                       3
  outbox.append(TOPIC, 'disk', DISK, { telemetry: true }); // 4 (T)
  assert.equal(outbox.stats().dropped, 0, 'four rows fit');

  outbox.append(TOPIC, 'disk', DISK); // 5: drops T2 although event 1 is older
  assert.deepEqual(outbox.next(0, 10).map((i) => i.seq), [1, 3, 4, 5]);
  outbox.append(TOPIC, 'disk', DISK); // 6: drops T4
  assert.deepEqual(outbox.next(0, 10).map((i) => i.seq), [1, 3, 5, 6]);
  outbox.append(TOPIC, 'disk', DISK); // 7: no telemetry left, drops the oldest event
  assert.deepEqual(outbox.next(0, 10).map((i) => i.seq), [3, 5, 6, 7]);
  const expected = { depth: 4, bytes: 4 * s, dropped: 3, droppedTelemetry: 2, droppedEvents: 1 };
  const { oldestMs, ...stats } = outbox.stats();
  assert.deepEqual(stats, expected);
  assert.equal(oldestMs, outbox.next(0, 1)[0]?.created_ms);

  const warns = lines.filter((l) => l.msg === 'outbox full: dropped oldest telemetry');
  assert.deepEqual(warns.map((l) => [l.level, l.firstSeq, l.dropped, l.droppedTelemetry]), [[40, 2, 1, 1], [40, 4, 1, 2]]);
  const errors = lines.filter((l) => l.msg === 'outbox full: dropped oldest events');
  assert.deepEqual(errors.map((l) => [l.level, l.firstSeq, l.lastSeq, l.dropped, l.droppedEvents]), [[50, 1, 1, 1, 1]]);
  outbox.ack(1); // dropped at the cap while "in flight": the late PUBACK must not corrupt the totals
  assert.equal(outbox.stats().bytes, 4 * s);
  db.close();

  const db2 = openDb(file);
  try {
    const reopened = new Outbox(db2, { maxBytes: Math.floor(4.5 * s), log });
    const after = reopened.stats();
    assert.deepEqual({ ...after, oldestMs: null }, { ...expected, oldestMs: null }, 'drop counts and backlog survive the restart');
    assert.equal(reopened.append(TOPIC, 'disk', DISK).seq, 8);
    assert.equal(reopened.stats().droppedEvents, 2);
  } finally {
    db2.close();
  }
});

test('10,000 single appends: stats match the table and next() pages through all of them in order', (t) => {
  const { db } = freshDb();
  try {
    const outbox = new Outbox(db, { maxBytes: 1 << 30, log: captureLogger().log });
    const n = 10_000;
    let bytes = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) {
      const p = outbox.append(TOPIC, 'disk', { ...DISK, free_bytes: i });
      bytes += Buffer.byteLength(JSON.stringify(p));
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    t.diagnostic(`${n} appends in ${ms.toFixed(0)} ms = ${Math.round((n / ms) * 1000)} appends/s (synchronous=FULL, one commit each)`);
    const s = outbox.stats();
    assert.equal(s.depth, n);
    assert.equal(s.bytes, bytes);
    const table = db.prepare('SELECT COUNT(*) AS n, SUM(bytes) AS b, MIN(seq) AS lo, MAX(seq) AS hi FROM outbox').get();
    assert.deepEqual(table, { n, b: bytes, lo: 1, hi: n });
    let cursor = 0;
    let read = 0;
    for (let page = outbox.next(cursor, 500); page.length > 0; page = outbox.next(cursor, 500)) {
      for (const item of page) assert.equal(item.seq, ++read);
      cursor = page[page.length - 1]?.seq ?? cursor;
    }
    assert.equal(read, n);
  } finally {
    db.close();
  }
});
