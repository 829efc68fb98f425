// Outbox bench: how many durable appends per second this disk allows (synchronous=FULL, one
// commit per event), and whether memory stays flat while a large backlog waits on disk — the
// outbox must page through SQLite, never hold the backlog in the heap. RSS is read after a GC
// when node runs with --expose-gc, so the figures are comparable between runs.
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { openDb } from '../src/db';
import { Outbox, type OutboxEntry } from '../src/fleet/outbox';
import type { DiskEventBody } from '../src/fleet/topics';
import { procMemory, progress, round, withTempDir } from './common';

const SINGLE_APPENDS = 10_000;
const BACKLOG = 100_000;
const APPEND_BATCH = 1_000;
const PAGE = 500;
/** Far above the backlog, so the cap never evicts during the bench. */
const MAX_BYTES = 1024 * 1024 * 1024;
const TOPIC = 'vigil/bench-0001/events/disk';

const gc = (globalThis as { gc?: () => void }).gc;

function rssMiB(): number {
  gc?.();
  return round(process.memoryUsage.rss() / (1024 * 1024), 1);
}

function heapMiB(): number {
  return round(process.memoryUsage().heapUsed / (1024 * 1024), 1);
}

function body(i: number): DiskEventBody {
  return { state: 'low', previous: 'ok', free_bytes: 1_000_000_000 - i, total_bytes: 32_000_000_000, free_percent: 3.1, required_bytes: 1_600_000_000, cause: 'segment closed' };
}

function fileMiB(file: string): number {
  const size = (f: string): number => (fs.existsSync(f) ? fs.statSync(f).size : 0);
  return round((size(file) + size(`${file}-wal`)) / (1024 * 1024), 1);
}

function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function benchOutbox(): Promise<Record<string, unknown>> {
  const log = pino({ level: 'silent' });
  return withTempDir('vigil-bench-outbox-', async (dir) => {
    // 1. Single appends: one INSERT + fsync'd commit each, as the daemon does per event.
    progress(`outbox: ${SINGLE_APPENDS} single appends`);
    const singleFile = path.join(dir, 'single.db');
    const singleDb = openDb(singleFile);
    const single = new Outbox(singleDb, { maxBytes: MAX_BYTES, log });
    let t0 = process.hrtime.bigint();
    for (let i = 0; i < SINGLE_APPENDS; i++) single.append(TOPIC, 'disk', body(i));
    const singleMs = msSince(t0);
    // Acks as the link does them after a replay burst: one transaction per page of PUBACKs.
    t0 = process.hrtime.bigint();
    for (let page = single.next(0, PAGE); page.length > 0; page = single.next(0, PAGE)) single.ackMany(page.map((p) => p.seq));
    const ackMs = msSince(t0);
    singleDb.close();

    // 2. A 100k backlog: appended in batches, then read back page by page.
    progress(`outbox: ${BACKLOG} events backlog, RSS while they wait on disk`);
    const file = path.join(dir, 'backlog.db');
    const db = openDb(file);
    const outbox = new Outbox(db, { maxBytes: MAX_BYTES, log });
    const rssBefore = rssMiB();
    const heapBefore = heapMiB();
    let rssHalf = rssBefore;
    t0 = process.hrtime.bigint();
    for (let i = 0; i < BACKLOG; i += APPEND_BATCH) {
      const batch: OutboxEntry[] = [];
      for (let j = i; j < Math.min(BACKLOG, i + APPEND_BATCH); j++) batch.push({ topic: TOPIC, type: 'disk', body: body(j) });
      outbox.appendMany(batch);
      if (i + APPEND_BATCH === BACKLOG / 2) rssHalf = rssMiB();
    }
    const batchMs = msSince(t0);
    const rssAfterAppend = rssMiB();
    const stats = outbox.stats();

    t0 = process.hrtime.bigint();
    let cursor = 0;
    let read = 0;
    let payloadBytes = 0;
    for (let page = outbox.next(cursor, PAGE); page.length > 0; page = outbox.next(cursor, PAGE)) {
      for (const item of page) payloadBytes += item.payload.length;
      read += page.length;
      cursor = page[page.length - 1]?.seq ?? cursor;
    }
    const readMs = msSince(t0);
    const rssAfterRead = rssMiB();
    const heapAfterRead = heapMiB();
    const sqliteCache = db.pragma('cache_size', { simple: true }) as number;
    db.close();

    // 3. Restart with the backlog still waiting: the constructor sums bytes once.
    t0 = process.hrtime.bigint();
    const reopenedDb = openDb(file);
    const reopened = new Outbox(reopenedDb, { maxBytes: MAX_BYTES, log });
    const reopenMs = msSince(t0);
    t0 = process.hrtime.bigint();
    const reopenedStats = reopened.stats();
    const statsMs = msSince(t0);
    reopenedDb.close();
    if (read !== BACKLOG || stats.depth !== BACKLOG || reopenedStats.depth !== BACKLOG) {
      throw new Error(`backlog mismatch: read ${read}, depth ${stats.depth}, after reopen ${reopenedStats.depth}`);
    }

    return {
      single_appends: SINGLE_APPENDS,
      single_appends_per_s: Math.round((SINGLE_APPENDS / singleMs) * 1000),
      single_append_mean_ms: round(singleMs / SINGLE_APPENDS, 3),
      acks_per_s_in_pages_of_500: Math.round((SINGLE_APPENDS / ackMs) * 1000),
      backlog_events: BACKLOG,
      backlog_append_batch: APPEND_BATCH,
      backlog_appends_per_s_batched: Math.round((BACKLOG / batchMs) * 1000),
      backlog_payload_mib: round(stats.bytes / (1024 * 1024), 1),
      backlog_db_file_mib: fileMiB(file),
      read_page: PAGE,
      read_events_per_s: Math.round((read / readMs) * 1000),
      read_payload_chars: payloadBytes,
      rss_mib_before: rssBefore,
      rss_mib_after_append_50k: rssHalf,
      rss_mib_after_append_100k: rssAfterAppend,
      rss_mib_after_read_100k: rssAfterRead,
      rss_growth_mib: round(rssAfterRead - rssBefore, 1),
      heap_mib_before: heapBefore,
      heap_mib_after_read_100k: heapAfterRead,
      peak_rss_mib: procMemory(process.pid)?.hwmMiB ?? null,
      // SQLite's page cache per connection (negative = KiB): the RSS growth should plateau near it.
      sqlite_cache_size: sqliteCache,
      reopen_with_100k_backlog_ms: round(reopenMs, 1),
      stats_with_100k_backlog_ms: round(statsMs, 3),
      gc_exposed: gc !== undefined,
      node: process.version,
    };
  });
}
