// SegmentRecorder with a real SegmentIndex (SQLite in a temp dir), real MPEG-TS segments made
// by GStreamer, the real probe and the real bus: normal close, crash recovery, quarantine,
// orphans, and the per-camera ordering of bookkeeping jobs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/bus';
import { openDb } from '../../src/db';
import type { VigilEvents } from '../../src/events';
import { SegmentIndex } from '../../src/recording/segment-index';
import { quarantineDir, SegmentRecorder, segmentDir } from '../../src/recording/segment-recorder';
import { probeSegment } from '../../src/recording/ts-probe';
import { countDecodedFrames, discover, makeTsSegment } from '../helpers/media';
import { sleep, tmpDir } from '../helpers/daemon';

const CAM = 'front';
let fullSeg = '';
let fullFrames = 0;
let fullDurationMs = 0;

before(async () => {
  fullSeg = path.join(tmpDir('vigil-rec-src-'), 'full.ts');
  await makeTsSegment(fullSeg, { seconds: 3, fps: 30, width: 320, height: 240 });
  fullFrames = await countDecodedFrames(fullSeg);
  fullDurationMs = (await discover(fullSeg)).durationMs ?? NaN;
  assert.ok(fullFrames >= 85, `generated segment decodes to only ${fullFrames} frames`);
  assert.ok(fullDurationMs > 2500, `generated segment lasts ${fullDurationMs} ms`);
});

type SegEvent = 'segment.opened' | 'segment.closed' | 'segment.recovered';
type Ev = { [K in SegEvent]: { type: K; payload: VigilEvents[K] } }[SegEvent];

function setup(probe?: (file: string) => ReturnType<typeof probeSegment>) {
  const dataDir = tmpDir('vigil-rec-');
  const db = openDb(path.join(dataDir, 'vigil.db'));
  const index = new SegmentIndex(db);
  const log = pino({ level: 'silent' });
  const bus = new EventBus<VigilEvents>(log);
  const events: Ev[] = [];
  bus.on('segment.opened', 'test', (payload) => void events.push({ type: 'segment.opened', payload }));
  bus.on('segment.closed', 'test', (payload) => void events.push({ type: 'segment.closed', payload }));
  bus.on('segment.recovered', 'test', (payload) => void events.push({ type: 'segment.recovered', payload }));
  const recorder = new SegmentRecorder({ index, bus, log, dataDir, ...(probe ? { probe } : {}) });
  const dir = segmentDir(dataDir, CAM);
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  return { dataDir, db, index, recorder, events, file };
}

function recoveredEvents(events: Ev[]): VigilEvents['segment.recovered'][] {
  return events.flatMap((e) => (e.type === 'segment.recovered' ? [e.payload] : []));
}

test('opened + closed: row closed with frames = decoded count and bytes = file size; opened/closed events', async (t) => {
  const { db, index, recorder, events, file } = setup();
  t.after(() => db.close());
  recorder.start();
  const seg = file('20260101-000000.ts');
  fs.copyFileSync(fullSeg, seg);
  const startMs = Date.now() - 3000;
  recorder.opened(CAM, 'run-1', seg, startMs);
  recorder.closed(CAM, seg, startMs + 3000);
  await recorder.drain(CAM);
  await recorder.stop();

  const row = index.getByPath(seg);
  assert.ok(row, 'segment not indexed');
  assert.equal(row.state, 'closed');
  assert.equal(row.run_id, 'run-1');
  assert.equal(row.start_ms, startMs);
  assert.equal(row.end_ms, startMs + 3000);
  assert.equal(row.frames, await countDecodedFrames(seg));
  assert.equal(row.bytes, fs.statSync(seg).size);
  assert.ok(Math.abs((row.duration_ms ?? 0) - fullDurationMs) <= 50, `duration ${row.duration_ms} vs ${fullDurationMs}`);

  assert.deepEqual(events.map((e) => e.type), ['segment.opened', 'segment.closed']);
  assert.deepEqual(events[0]?.payload, { camera: CAM, id: row.id, path: seg, startMs });
  const closedEv = events[1]?.type === 'segment.closed' ? events[1].payload : undefined;
  assert.ok(closedEv);
  // The event carries the probe's exact duration; the index stores it rounded to whole ms.
  assert.equal(Math.round(closedEv.durationMs), row.duration_ms);
  assert.deepEqual({ ...closedEv, durationMs: row.duration_ms }, {
    camera: CAM, id: row.id, path: seg, startMs, endMs: startMs + 3000, durationMs: row.duration_ms, frames: row.frames, bytes: row.bytes,
  });
});

test('recoverOpen on a truncated real segment: recovered with 0 < duration, frames <= the full file', async (t) => {
  const { db, index, recorder, events, file } = setup();
  t.after(() => db.close());
  const seg = file('cut.ts');
  const data = fs.readFileSync(fullSeg);
  fs.writeFileSync(seg, data.subarray(0, Math.floor(data.length * 0.6)));
  const startMs = 1_700_000_000_000;
  const id = index.open(CAM, seg, 'run-crashed', startMs);

  await recorder.recoverOpen();
  const row = index.get(id);
  assert.ok(row);
  assert.equal(row.state, 'recovered');
  assert.equal(row.path, seg);
  assert.ok(row.duration_ms !== null && row.duration_ms > 0 && row.duration_ms <= fullDurationMs, `duration ${row.duration_ms} (full ${fullDurationMs})`);
  assert.ok(row.frames !== null && row.frames > 0 && row.frames < fullFrames, `frames ${row.frames} (full ${fullFrames})`);
  assert.equal(row.end_ms, startMs + row.duration_ms);
  assert.equal(row.bytes, fs.statSync(seg).size);
  assert.match(row.note ?? '', new RegExp(`recovered after crash: ${row.frames} frames`));
  // What the index promises must really play: the decoder gets at least the frames counted.
  const decoded = await countDecodedFrames(seg);
  assert.ok(decoded >= row.frames, `index says ${row.frames} frames, decoder got ${decoded}`);

  const ev = recoveredEvents(events);
  assert.equal(ev.length, 1);
  assert.equal(Math.round(ev[0]?.durationMs ?? NaN), row.duration_ms);
  assert.deepEqual({ ...ev[0], durationMs: row.duration_ms }, { camera: CAM, id, path: seg, state: 'recovered', durationMs: row.duration_ms, frames: row.frames, note: row.note });
  assert.deepEqual(index.listOpen(), []);
});

test('recoverOpen on garbage bytes: file moved to quarantine/<camera>/, row corrupt with new path and note', async (t) => {
  const { dataDir, db, index, recorder, events, file } = setup();
  t.after(() => db.close());
  const seg = file('garbage.ts');
  const junk = Buffer.from('this is not a video stream, just bytes left on the card\n'.repeat(200));
  fs.writeFileSync(seg, junk);
  const id = index.open(CAM, seg, 'run-crashed', 5000);

  await recorder.recoverOpen(CAM);
  const dest = path.join(quarantineDir(dataDir, CAM), 'garbage.ts');
  assert.equal(dest, path.join(dataDir, 'quarantine', CAM, 'garbage.ts'));
  assert.equal(fs.existsSync(seg), false, 'original still in the segment directory');
  assert.deepEqual(fs.readFileSync(dest), junk);
  const row = index.get(id);
  assert.ok(row);
  assert.equal(row.state, 'corrupt');
  assert.equal(row.path, dest);
  assert.equal(row.bytes, junk.length);
  assert.match(row.note ?? '', /^corrupt: not an MPEG-TS file/);
  const ev = recoveredEvents(events);
  assert.equal(ev.length, 1);
  assert.equal(ev[0]?.state, 'corrupt');
  assert.equal(ev[0]?.path, dest);
  assert.equal(ev[0]?.note, row.note);
});

test('recoverOpen on a row whose file is missing: corrupt, note "file missing after crash"', async (t) => {
  const { db, index, recorder, events, file } = setup();
  t.after(() => db.close());
  const seg = file('vanished.ts');
  const id = index.open(CAM, seg, 'run-crashed', 5000);
  await recorder.recoverOpen(CAM);
  const row = index.get(id);
  assert.equal(row?.state, 'corrupt');
  assert.equal(row?.note, 'file missing after crash');
  assert.equal(row?.path, seg);
  assert.equal(row?.bytes, null);
  assert.deepEqual(recoveredEvents(events).map((e) => [e.id, e.state, e.note]), [[id, 'corrupt', 'file missing after crash']]);
});

test('recoverOpen on a 0-byte file: row and file removed, other cameras untouched', async (t) => {
  const { db, index, recorder, file } = setup();
  t.after(() => db.close());
  const seg = file('empty.ts');
  fs.writeFileSync(seg, Buffer.alloc(0));
  const id = index.open(CAM, seg, 'run-crashed', 5000);
  const otherId = index.open('back', '/elsewhere/back.ts', 'r', 6000);
  await recorder.recoverOpen(CAM);
  assert.equal(index.get(id), undefined, 'row of an empty segment kept');
  assert.equal(fs.existsSync(seg), false, 'empty file kept');
  assert.equal(index.get(otherId)?.state, 'open', 'recoverOpen(camera) touched another camera');
});

test('scanOrphans indexes an unknown .ts file as recovered (orphan note) and leaves known and non-.ts files alone', async (t) => {
  const { db, index, recorder, events, file } = setup();
  t.after(() => db.close());
  const known = file('a-known.ts');
  fs.copyFileSync(fullSeg, known);
  const knownId = index.open(CAM, known, 'run-1', 1000);
  index.finish(knownId, { endMs: 4000, durationMs: 3000, frames: 90, bytes: fs.statSync(known).size }, 'closed');
  const orphan = file('b-orphan.ts');
  fs.copyFileSync(fullSeg, orphan);
  fs.writeFileSync(file('notes.txt'), 'not a segment');

  await recorder.scanOrphans(CAM);
  await recorder.scanOrphans('never-recorded'); // no directory: nothing to do, no throw
  const row = index.getByPath(orphan);
  assert.ok(row, 'orphan not indexed');
  assert.equal(row.state, 'recovered');
  assert.equal(row.camera, CAM);
  assert.match(row.note ?? '', /orphan/);
  assert.equal(row.frames, await countDecodedFrames(orphan));
  assert.equal(row.bytes, fs.statSync(orphan).size);
  assert.equal(row.end_ms, Math.round(fs.statSync(orphan).mtimeMs));
  assert.equal(index.getByPath(file('notes.txt')), undefined);
  assert.equal(index.stats()[0]?.segments, 2, 'known segment indexed twice or orphan missing');
  assert.deepEqual(recoveredEvents(events).map((e) => [e.path, e.state]), [[orphan, 'recovered']]);
});

test('a close and a recovery of the same camera queued back to back run one after the other', async (t) => {
  // The real probe, instrumented (and slowed a little) to record when each job is inside it.
  const trace: string[] = [];
  const probe = async (f: string) => {
    trace.push(`start ${path.basename(f)}`);
    await sleep(100);
    const r = await probeSegment(f);
    trace.push(`end ${path.basename(f)}`);
    return r;
  };
  const { db, index, recorder, events, file } = setup(probe);
  t.after(() => db.close());
  const live = file('live.ts');
  fs.copyFileSync(fullSeg, live);
  const crashed = file('crashed.ts');
  const data = fs.readFileSync(fullSeg);
  fs.writeFileSync(crashed, data.subarray(0, Math.floor(data.length * 0.6)));
  const crashedId = index.open(CAM, crashed, 'run-0', 1000);
  const liveId = index.open(CAM, live, 'run-1', 5000);

  recorder.closed(CAM, live, 8000);
  const recovery = recorder.recoverOpen(CAM);
  await recovery;
  await recorder.drain(CAM);

  assert.deepEqual(trace, ['start live.ts', 'end live.ts', 'start crashed.ts', 'end crashed.ts']);
  assert.deepEqual(events.map((e) => `${e.type} ${path.basename(e.payload.path)}`), ['segment.closed live.ts', 'segment.recovered crashed.ts']);
  assert.equal(index.get(liveId)?.state, 'closed', 'the recovery grabbed the segment that was being closed');
  assert.equal(index.get(crashedId)?.state, 'recovered');
});
