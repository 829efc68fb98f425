// ClipService with a real SQLite index and a real worker process that fails its first build
// (as a full disk would): the clip goes back to pending with the cause, its footage stays
// protected, and the retry delivers it. After MAX attempts it fails with a `failed` event.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/bus';
import { ClipBuilder } from '../../src/clips/builder';
import { ClipStore } from '../../src/clips/clip-store';
import { ClipService } from '../../src/clips/service';
import { parseConfigText } from '../../src/config/load';
import { openDb } from '../../src/db';
import type { ClipEvent, VigilEvents } from '../../src/events';
import { SegmentIndex } from '../../src/recording/segment-index';
import { tmpDir, waitFor } from '../helpers/daemon';

/** A stand-in remux worker: fails while the counter file says so, then writes the clip. */
function flakyWorker(dir: string, failures: number): string {
  const script = path.join(dir, 'flaky.js');
  const counter = path.join(dir, 'count');
  fs.writeFileSync(script, `const fs = require('node:fs');
const job = JSON.parse(process.argv[2]);
const n = fs.existsSync(${JSON.stringify(counter)}) ? Number(fs.readFileSync(${JSON.stringify(counter)}, 'utf8')) : 0;
fs.writeFileSync(${JSON.stringify(counter)}, String(n + 1));
if (n < ${failures}) { console.log(JSON.stringify({ ok: false, error: 'No space left on device' })); process.exit(1); }
fs.writeFileSync(job.out, 'clip');
console.log(JSON.stringify({ ok: true, result: { startMs: job.startMs, endMs: job.endMs, frames: 30, bytes: 4, sha256: 'ab', muxMs: 1 } }));`);
  return script;
}

async function setup(failures: number): Promise<{ svc: ClipService; index: SegmentIndex; events: ClipEvent[]; segStart: number; stop: () => Promise<void> }> {
  const dir = tmpDir('vigil-clipretry-');
  const config = parseConfigText(`
device: { id: retry }
data_dir: ${dir}
cameras: [{ name: cam, source: { kind: test }, recording: { segment_seconds: 2 } }]
`, 'inline');
  const db = openDb(path.join(dir, 'vigil.db'));
  const index = new SegmentIndex(db);
  const segStart = Date.now() - 10000;
  const id = index.open('cam', path.join(dir, 'seg.ts'), 'run', segStart);
  index.finish(id, { endMs: segStart + 4000, durationMs: 4000, frames: 120, bytes: 1000 }, 'closed');
  const log = pino({ level: 'silent' });
  const bus = new EventBus<VigilEvents>(log);
  const events: ClipEvent[] = [];
  bus.on('clip', 'test', (e) => void events.push(e));
  const svc = new ClipService({ config: () => config, index, store: new ClipStore(db), bus, log, dataDir: dir, builder: new ClipBuilder({ script: flakyWorker(dir, failures) }) });
  await svc.start();
  return { svc, index, events, segStart, stop: async () => { await svc.stop(); db.close(); } };
}

test('a failed build is retried with its footage still protected, then delivered', { timeout: 30000 }, async () => {
  const { svc, index, events, segStart, stop } = await setup(1);
  try {
    const row = svc.create({ camera: 'cam', startMs: segStart + 500, endMs: segStart + 3500, reason: 'test', lock: false });
    const retrying = await waitFor('back to pending after the failure', () => {
      const r = svc.get(row.id);
      return r?.state === 'pending' && r.build_attempts === 1 ? r : null;
    }, 10000, 50);
    assert.match(retrying.cause ?? '', /build attempt 1 failed: No space left/);
    assert.equal(index.list('cam', 0, Number.MAX_SAFE_INTEGER)[0]?.protected, 1, 'footage protected during the retry wait');
    assert.equal(events.filter((e) => e.event === 'failed').length, 0);
    const ready = await waitFor('ready after the retry', () => events.find((e) => e.id === row.id && e.event === 'ready'), 15000);
    assert.equal(ready.bytes, 4);
    assert.equal(index.list('cam', 0, Number.MAX_SAFE_INTEGER)[0]?.protected, 0, 'protection released once built');
  } finally {
    await stop();
  }
});

test('a build that keeps failing ends failed, with a failed event naming the cause', { timeout: 60000 }, async () => {
  const { svc, index, events, segStart, stop } = await setup(99);
  try {
    const row = svc.create({ camera: 'cam', startMs: segStart + 500, endMs: segStart + 3500, reason: 'test', lock: false });
    const failed = await waitFor('failed event', () => events.find((e) => e.id === row.id && e.event === 'failed'), 40000, 100);
    assert.match(failed.cause ?? '', /build failed after 3 attempts: No space left on device/);
    assert.equal(svc.get(row.id)?.state, 'failed');
    assert.equal(index.list('cam', 0, Number.MAX_SAFE_INTEGER)[0]?.protected, 0);
  } finally {
    await stop();
  }
});
