// ObjectTracker: lifecycle (one new, rate-limited updates, one end), flicker suppression, identity
// through crossings, label separation, timer expiry, flush, and best-score/snapshot-frame tracking.
// Time is a plain number passed to every call (fake clock), so nothing here sleeps.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iou } from '../../src/detection/nms';
import { ObjectTracker, type Box, type FrameDetection, type TrackEvent, type TrackerOptions } from '../../src/detection/tracker';

const OPTS: TrackerOptions = { minHits: 3, lostAfterMs: 1000, iouMatch: 0.3, updateMinIntervalMs: 2000, boxChange: 0.3, scoreChange: 0.05 };
const FRAME_MS = 100;

function box(x: number, y: number, w = 0.2, h = 0.2): Box {
  return { x1: x, y1: y, x2: x + w, y2: y + h };
}

function det(label: string, b: Box, score = 0.8, zones: string[] = []): FrameDetection {
  return { label, score, box: b, zones };
}

/** Feeds one frame per entry, FRAME_MS apart starting at t0, and collects every event. */
function run(tracker: ObjectTracker, frames: FrameDetection[][], t0 = 0, seq0 = 0): TrackEvent[] {
  const out: TrackEvent[] = [];
  frames.forEach((dets, i) => out.push(...tracker.update(t0 + i * FRAME_MS, seq0 + i, dets)));
  return out;
}

test('iou: identical, disjoint, half-overlapping and degenerate boxes', () => {
  assert.equal(iou(box(0, 0), box(0, 0)), 1);
  assert.equal(iou(box(0, 0), box(0.5, 0.5)), 0);
  assert.ok(Math.abs(iou(box(0, 0), box(0.1, 0)) - 1 / 3) < 1e-9);
  assert.equal(iou({ x1: 0, y1: 0, x2: 0, y2: 0 }, { x1: 0, y1: 0, x2: 0, y2: 0 }), 0);
});

test('a ball moving right yields one new, rate-limited updates, then one end, in order', () => {
  const tracker = new ObjectTracker('cam1', OPTS);
  // 0.01 per frame over 60 frames (6 s): the box drifts well past boxChange many times over.
  const frames = Array.from({ length: 60 }, (_, i) => [det('ball', box(0.05 + i * 0.01, 0.4))]);
  const events = run(tracker, frames);
  // Nothing for a while, then silence long enough to lose it (frames with no detections).
  const lastSeen = 59 * FRAME_MS;
  events.push(...tracker.update(lastSeen + 500, 60, []));
  assert.equal(tracker.active(), 1, 'still active inside lostAfterMs');
  events.push(...tracker.update(lastSeen + OPTS.lostAfterMs, 61, []));

  const kinds = events.map((e) => e.kind);
  assert.equal(kinds.filter((k) => k === 'new').length, 1);
  assert.equal(kinds.filter((k) => k === 'end').length, 1);
  assert.equal(kinds[0], 'new');
  assert.equal(kinds[kinds.length - 1], 'end');
  const updates = events.filter((e) => e.kind === 'update');
  assert.ok(updates.length >= 2, `expected several updates, got ${kinds.join(',')}`);
  // 6 s at most one per 2 s after 'new' at 200 ms → at most 2 (at ≥2200 and ≥4200).
  assert.ok(updates.length <= 2, `rate limit broken: ${kinds.join(',')}`);
  const reportTimes = events.filter((e) => e.kind !== 'end').map((e) => e.lastSeenMs);
  for (let i = 1; i < reportTimes.length; i++) {
    const gap = (reportTimes[i] ?? 0) - (reportTimes[i - 1] ?? 0);
    assert.ok(gap >= OPTS.updateMinIntervalMs, `reports ${gap} ms apart`);
  }

  const first = events[0];
  const end = events[events.length - 1];
  assert.ok(first && end);
  assert.equal(first.objectId, 'cam1-1');
  assert.ok(events.every((e) => e.objectId === 'cam1-1' && e.label === 'ball'));
  assert.equal(first.firstSeenMs, 0, 'firstSeen is the first tentative frame, not confirmation');
  assert.equal(first.lastSeenMs, 2 * FRAME_MS, 'confirmed on the 3rd consecutive frame');
  assert.equal(first.hits, 3);
  assert.equal(end.lastSeenMs, lastSeen);
  assert.equal(end.hits, 60);
  assert.deepEqual(end.box, box(0.05 + 59 * 0.01, 0.4));
  assert.equal(tracker.active(), 0);
  assert.deepEqual(tracker.update(lastSeen + 5000, 62, []), [], 'ends only once');
});

test('flicker (every other frame) never confirms with minHits 3', () => {
  const tracker = new ObjectTracker('cam1', OPTS);
  const frames = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? [det('person', box(0.3, 0.3))] : []));
  assert.deepEqual(run(tracker, frames), []);
  assert.equal(tracker.active(), 0);
  assert.deepEqual(tracker.flush(10_000), [], 'tentative tracks end silently');
});

test('a miss before confirmation restarts the count', () => {
  const tracker = new ObjectTracker('cam1', OPTS);
  const p = [det('person', box(0.3, 0.3))];
  const events = run(tracker, [p, p, [], p, p, p]);
  assert.deepEqual(events.map((e) => [e.kind, e.lastSeenMs, e.firstSeenMs, e.hits]), [['new', 500, 300, 3]]);
});

test('two objects of the same label crossing keep their ids', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 2 });
  // A moves right along y 0.30–0.50, B moves left along y 0.40–0.60; at the crossing A's old box
  // overlaps B's new box with IoU up to 1/3 (≥ iouMatch), so only best-IoU-first keeps them apart.
  const frames = Array.from({ length: 17 }, (_, i) => [
    det('car', box(0.0 + i * 0.05, 0.3), 0.7),
    det('car', box(0.8 - i * 0.05, 0.4), 0.9),
  ]);
  const events = run(tracker, frames);
  events.push(...tracker.flush(17 * FRAME_MS));
  const news = events.filter((e) => e.kind === 'new');
  assert.deepEqual(news.map((e) => e.objectId), ['cam1-1', 'cam1-2']);
  const ends = events.filter((e) => e.kind === 'end');
  assert.equal(ends.length, 2);
  const a = ends.find((e) => e.objectId === 'cam1-1');
  const b = ends.find((e) => e.objectId === 'cam1-2');
  assert.ok(a && b);
  // Each id ends where its own object went (A far right, B far left), scores never swapped.
  const last = frames[frames.length - 1];
  assert.ok(last);
  assert.deepEqual(a.box, last[0]?.box);
  assert.deepEqual(b.box, last[1]?.box);
  assert.ok(a.box.x1 > 0.7 && b.box.x1 < 0.1);
  assert.equal(a.bestScore, 0.7);
  assert.equal(b.bestScore, 0.9);
  assert.equal(a.hits, 17);
  assert.equal(b.hits, 17);
});

test('different labels never match, even on the same box', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 2 });
  const b = box(0.2, 0.2);
  // Alternating labels: each track misses every other frame, so neither ever confirms.
  const events = run(tracker, Array.from({ length: 10 }, (_, i) => [det(i % 2 ? 'dog' : 'cat', b)]));
  assert.deepEqual(events, []);
  // Both at once: two separate objects.
  const both = run(tracker, [[det('cat', b), det('dog', b)], [det('cat', b), det('dog', b)]], 2000, 10);
  assert.deepEqual(both.map((e) => [e.kind, e.label]).sort(), [['new', 'cat'], ['new', 'dog']]);
  assert.notEqual(both[0]?.objectId, both[1]?.objectId);
});

test('expire() ends tracks without new frames; tentative ones vanish silently', () => {
  const tracker = new ObjectTracker('cam1', OPTS);
  const p = det('person', box(0.1, 0.1));
  run(tracker, [[p], [p], [p, det('person', box(0.7, 0.7))]]);
  assert.equal(tracker.active(), 1);
  assert.deepEqual(tracker.expire(1000), [], 'only 800 ms unseen');
  const ends = tracker.expire(200 + OPTS.lostAfterMs);
  assert.deepEqual(ends.map((e) => [e.kind, e.objectId, e.lastSeenMs]), [['end', 'cam1-1', 200]]);
  assert.equal(tracker.active(), 0);
  assert.deepEqual(tracker.expire(100_000), []);
  // The same place later is a new object with a fresh id.
  const again = run(tracker, [[p], [p], [p]], 200_000);
  assert.deepEqual(again.map((e) => [e.kind, e.objectId]), [['new', 'cam1-2']]);
});

test('update() emits ends before news before updates', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 1, updateMinIntervalMs: 0 });
  tracker.update(0, 0, [det('old', box(0, 0))]);
  tracker.update(600, 1, [det('mover', box(0.5, 0.5))]);
  const events = tracker.update(1000, 2, [det('mover', box(0.58, 0.5)), det('fresh', box(0.1, 0.7))]);
  assert.deepEqual(events.map((e) => [e.kind, e.label]), [['end', 'old'], ['new', 'fresh'], ['update', 'mover']]);
});

test('flush() ends every confirmed object once and clears state', () => {
  const ids = ['x', 'y'];
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 1 }, () => ids.shift() ?? 'none');
  run(tracker, [[det('a', box(0, 0)), det('b', box(0.5, 0.5))]]);
  assert.equal(tracker.active(), 2);
  const ends = tracker.flush(50);
  assert.deepEqual(ends.map((e) => [e.kind, e.objectId, e.lastSeenMs]), [['end', 'x', 0], ['end', 'y', 0]]);
  assert.equal(tracker.active(), 0);
  assert.deepEqual(tracker.flush(60), []);
  assert.deepEqual(tracker.expire(100_000), []);
});

test('updates are rate limited but a change inside the window is reported after it', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 1 });
  const at = (t: number, x: number, score = 0.8) => tracker.update(t, t, [det('car', box(x, 0.2), score)]);
  assert.equal(at(0, 0.1)[0]?.kind, 'new');
  assert.deepEqual(at(100, 0.2), [], 'material move, but 100 ms after new');
  // Frames stay < lostAfterMs apart so the object is never lost in between.
  assert.deepEqual(at(1000, 0.2), [], 'still inside the window');
  assert.deepEqual(at(1900, 0.2), [], 'still inside the window');
  const u = at(2000, 0.2);
  assert.deepEqual(u.map((e) => [e.kind, e.box.x1]), [['update', 0.2]], 'pending change reported at the window');
  assert.deepEqual(at(2900, 0.2), []);
  assert.deepEqual(at(3800, 0.2), []);
  assert.deepEqual(at(4000, 0.21), [], 'small move (IoU > 0.7) is not material');
  assert.deepEqual(at(4100, 0.21, 0.84), [], 'score +0.04 is not material');
  assert.deepEqual(at(4200, 0.21, 0.9).map((e) => [e.kind, e.bestScore]), [['update', 0.9]], 'score +0.1 is');
});

test('best score and bestFrameSeq follow the highest-scoring frame', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, updateMinIntervalMs: 0 });
  const scores = [0.5, 0.6, 0.55, 0.9, 0.7, 0.9, 0.4];
  const events: TrackEvent[] = [];
  scores.forEach((s, i) => events.push(...tracker.update(i * FRAME_MS, 1000 + i, [det('person', box(0.3, 0.3), s)])));
  events.push(...tracker.flush(2000));
  const news = events.find((e) => e.kind === 'new');
  assert.deepEqual([news?.score, news?.bestScore, news?.bestFrameSeq], [0.55, 0.6, 1001]);
  const upd = events.filter((e) => e.kind === 'update');
  assert.deepEqual(upd.map((e) => [e.bestScore, e.bestFrameSeq, e.lastSeenMs]), [[0.9, 1003, 300]]);
  const end = events.find((e) => e.kind === 'end');
  // A later tie (0.9 at seq 1005) keeps the earlier frame; latest score is still reported.
  assert.deepEqual([end?.score, end?.bestScore, end?.bestFrameSeq], [0.4, 0.9, 1003]);
});

test('events carry zones and copies that the caller cannot use to corrupt state', () => {
  const tracker = new ObjectTracker('cam1', { ...OPTS, minHits: 1 });
  const d = det('person', box(0.3, 0.3), 0.8, ['driveway']);
  const [ev] = tracker.update(0, 0, [d]);
  assert.ok(ev);
  assert.deepEqual(ev.zones, ['driveway']);
  ev.box.x1 = 0.9;
  ev.zones.push('garden');
  d.box.x1 = 0.95;
  const [end] = tracker.flush(10);
  assert.deepEqual([end?.box, end?.zones], [box(0.3, 0.3), ['driveway']]);
});

test('bad options fail at construction', () => {
  assert.throws(() => new ObjectTracker('c', { ...OPTS, minHits: 0 }), /minHits/);
  assert.throws(() => new ObjectTracker('c', { ...OPTS, iouMatch: 0 }), /iouMatch/);
  assert.throws(() => new ObjectTracker('c', { ...OPTS, lostAfterMs: 0 }), /lostAfterMs/);
});
