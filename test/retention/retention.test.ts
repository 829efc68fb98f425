// Retention logic over a real SQLite index and real files, with the filesystem's free space
// simulated (pure policy logic). The tmpfs test in retention-tmpfs.test.ts runs it for real.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/bus';
import { openDb } from '../../src/db';
import type { VigilEvents } from '../../src/events';
import { SegmentIndex } from '../../src/recording/segment-index';
import { RetentionPolicy } from '../../src/retention/retention';
import { tmpDir } from '../helpers/daemon';

const MB = 1024 * 1024;

function setup(total: number) {
  const dir = tmpDir('vigil-ret-');
  const db = openDb(path.join(dir, 'vigil.db'));
  const index = new SegmentIndex(db);
  const log = pino({ level: 'silent' });
  const bus = new EventBus<VigilEvents>(log);
  const events: Array<VigilEvents['disk']> = [];
  bus.on('disk', 'test', (e) => void events.push(e));
  // Free space = total minus the bytes of the segment files still on disk.
  const statfs = async () => {
    let used = 0;
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.ts')) used += fs.statSync(path.join(dir, f)).size;
    return { totalBytes: total, freeBytes: total - used };
  };
  const addSegment = (name: string, startMs: number, bytes: number, state: 'closed' | 'open' = 'closed', prot = false) => {
    const file = path.join(dir, `${name}.ts`);
    fs.writeFileSync(file, Buffer.alloc(bytes));
    const id = index.open('cam', file, 'run', startMs);
    if (state === 'closed') index.finish(id, { endMs: startMs + 1000, durationMs: 1000, frames: 30, bytes }, 'closed');
    if (prot) db.prepare('UPDATE segments SET protected = 1 WHERE id = ?').run(id);
    return file;
  };
  return { dir, db, index, log, bus, events, statfs, addSegment };
}

test('deletes oldest unprotected segments until the reserve holds, never the open or protected ones', async () => {
  const s = setup(100 * MB);
  const files = [];
  files.push(s.addSegment('a', 1000, 10 * MB, 'closed', true)); // oldest, protected
  for (let i = 1; i <= 7; i++) files.push(s.addSegment(`s${i}`, 1000 + i * 1000, 10 * MB));
  files.push(s.addSegment('open', 9000, 10 * MB, 'open'));
  // used 90 MB of 100, reserve 35 MB → must free 25 MB → delete s1, s2, s3 (oldest unprotected)
  const r = new RetentionPolicy({ config: { min_free_percent: 35, min_free_bytes: 1 * MB, interval_s: 3600, clips_max_bytes: 1024 * MB }, dataDir: s.dir, index: s.index, bus: s.bus, log: s.log, statfs: s.statfs });
  await r.trigger();
  const left = fs.readdirSync(s.dir).filter((f) => f.endsWith('.ts')).sort();
  assert.deepEqual(left, ['a.ts', 'open.ts', 's4.ts', 's5.ts', 's6.ts', 's7.ts']);
  assert.equal(s.index.stats()[0]!.segments, 6);
  assert.equal(r.snapshot().state, 'ok');
  assert.equal(r.snapshot().deletedSegments, 3);
  assert.deepEqual(s.events.map((e) => e.state), ['ok']);
  s.db.close();
});

test('when only protected and open footage is left: critical, bounded, and back to ok once space returns', async () => {
  const s = setup(100 * MB);
  s.addSegment('p1', 1000, 40 * MB, 'closed', true);
  s.addSegment('p2', 2000, 40 * MB, 'closed', true);
  s.addSegment('open', 3000, 10 * MB, 'open');
  const r = new RetentionPolicy({ config: { min_free_percent: 20, min_free_bytes: 1 * MB, interval_s: 3600, clips_max_bytes: 1024 * MB }, dataDir: s.dir, index: s.index, bus: s.bus, log: s.log, statfs: s.statfs });
  await r.trigger();
  assert.equal(r.snapshot().state, 'critical');
  assert.equal(fs.readdirSync(s.dir).filter((f) => f.endsWith('.ts')).length, 3, 'deleted protected or open footage');
  await r.trigger(); // no state change, no duplicate event
  assert.deepEqual(s.events.map((e) => [e.state, e.previous]), [['critical', null]]);
  const ev = s.events[0]!;
  assert.equal(ev.freeBytes, 10 * MB);
  assert.equal(ev.requiredBytes, 20 * MB);
  assert.equal(ev.freePercent, 10);

  // An operator unprotects one: retention frees space and reports ok again.
  s.db.prepare("UPDATE segments SET protected = 0 WHERE path LIKE '%p1.ts'").run();
  await r.trigger();
  assert.equal(r.snapshot().state, 'ok');
  assert.deepEqual(s.events.map((e) => e.state), ['critical', 'ok']);
  assert.ok(!fs.existsSync(path.join(s.dir, 'p1.ts')));
  s.db.close();
});

test('a segment whose file is already gone is dropped from the index without failing the pass', async () => {
  const s = setup(10 * MB);
  const f = s.addSegment('gone', 1000, 6 * MB);
  s.addSegment('next', 2000, 3 * MB);
  fs.unlinkSync(f);
  // Reported free space still counts the vanished file as used (as if another process held it).
  const statfs = async () => ({ totalBytes: 10 * MB, freeBytes: (await s.statfs()).freeBytes - 6 * MB });
  const r = new RetentionPolicy({ config: { min_free_percent: 50, min_free_bytes: 1, interval_s: 3600, clips_max_bytes: 1024 * MB }, dataDir: s.dir, index: s.index, bus: s.bus, log: s.log, statfs });
  await r.trigger();
  assert.equal(r.snapshot().lastError, null);
  assert.ok((s.index.stats()[0]?.segments ?? 0) <= 1);
  s.db.close();
});
