// Automatic clip triggers: the merge rules (pure), then the App in-process with a real camera,
// fed bus `detection` events the way the detector will emit them (detection is built elsewhere).
// Also: a build that exceeds its time budget is killed with its process group.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { App } from '../../src/app';
import { ClipBuilder } from '../../src/clips/builder';
import { mergeTrigger } from '../../src/clips/triggers';
import { clipsSchema } from '../../src/config/schema';
import { parseConfigText } from '../../src/config/load';
import type { ClipEvent, ObjectEvent, VigilEvents } from '../../src/events';
import { alivePids, sleep, tmpDir, waitFor } from '../helpers/daemon';

const cfg = clipsSchema.parse({ on: ['person', 'car'], pre_s: 10, post_s: 10, merge_gap_s: 5, max_s: 60 });
const T = 1_800_000_000_000;

function obj(kind: ObjectEvent['kind'], label: string, first: number, last = first, camera = 'cam'): ObjectEvent {
  return { camera, kind, objectId: `${label}-${first}`, label, score: 0.9, bestScore: 0.9, box: { x1: 0, y1: 0, x2: 0.1, y2: 0.1 }, zones: [], firstSeenMs: first, lastSeenMs: last, snapshot: null };
}

test('merge rules: open, extend within the gap, cap at max_s, never overlap, ignore other labels', () => {
  assert.deepEqual(mergeTrigger(null, obj('new', 'dog', T), cfg), { kind: 'none' });
  assert.deepEqual(mergeTrigger(null, obj('update', 'person', T), cfg), { kind: 'none' }, 'only `new` opens a clip');
  assert.deepEqual(mergeTrigger(null, obj('new', 'person', T), cfg), { kind: 'create', startMs: T - 10000, endMs: T + 10000 });
  const open = { startMs: T - 10000, endMs: T + 10000, extendable: true };
  // A car 12 s later: its pre-roll starts 2 s after the open clip ends (gap 5 s) -> extend.
  assert.deepEqual(mergeTrigger(open, obj('new', 'car', T + 12000), cfg), { kind: 'extend', endMs: T + 22000 });
  // The person still in view 30 s later (update): extend, capped at start + max_s.
  assert.deepEqual(mergeTrigger(open, obj('update', 'person', T, T + 55000), cfg), { kind: 'extend', endMs: T + 50000 });
  // Far apart (pre-roll starts 20 s after the end): a new clip.
  assert.deepEqual(mergeTrigger(open, obj('new', 'car', T + 40000), cfg), { kind: 'create', startMs: T + 30000, endMs: T + 50000 });
  // The open clip is already built: the overlap is not cut twice, the new one starts where it ended.
  assert.deepEqual(mergeTrigger({ ...open, extendable: false }, obj('new', 'car', T + 12000), cfg), { kind: 'create', startMs: T + 10000, endMs: T + 22000 });
  // A trigger inside the clip adds nothing.
  assert.deepEqual(mergeTrigger(open, obj('new', 'car', T - 5000), cfg), { kind: 'none' });
});

test('detections for clips.on labels make one merged clip, built and announced; other labels make none', { timeout: 60000 }, async () => {
  const dir = tmpDir('vigil-cliptrig-');
  const config = parseConfigText(`
device: { id: trig }
data_dir: ${path.join(dir, 'data')}
cameras:
  - name: cam
    source: { kind: test, pattern: ball, overlay: false }
    video: { width: 320, height: 240, fps: 30 }
    encoder: { codec: h264, bitrate_kbps: 500, keyframe_interval_s: 1, prefer: software }
    recording: { segment_seconds: 2 }
    clips: { on: [person, car], pre_s: 2, post_s: 2, merge_gap_s: 2, max_s: 20 }
retention: { min_free_percent: 0, min_free_bytes: 1MB }
`, 'inline');
  const app = new App({ config, log: pino({ level: 'warn' }), socketPath: null });
  const events: ClipEvent[] = [];
  app.bus.on('clip', 'test', (e) => void events.push(e));
  const closed: Array<VigilEvents['segment.closed']> = [];
  app.bus.on('segment.closed', 'test', (e) => void closed.push(e));
  await app.start();
  try {
    await waitFor('4 s of footage', () => closed.length >= 2, 30000);
    const t = Date.now();
    app.bus.emit('detection', obj('new', 'dog', t));
    app.bus.emit('detection', obj('new', 'person', t));
    app.bus.emit('detection', obj('new', 'car', t + 1500));
    app.bus.emit('detection', obj('update', 'person', t, t + 2500));
    const clips = app.clipService().list({ limit: 10 });
    assert.equal(clips.length, 1, 'overlapping triggers extend one clip');
    const c = clips[0]!;
    assert.equal(c.requested_start_ms, t - 2000);
    assert.equal(c.requested_end_ms, t + 4500);
    assert.equal(c.reason, 'detection:person,car');
    const ready = await waitFor('ready event', () => events.find((e) => e.id === c.id && e.event === 'ready'), 20000);
    assert.ok(ready.startMs !== null && ready.startMs <= t - 2000 && ready.startMs > t - 3100);
    assert.ok(ready.bytes && ready.sha256 && fs.existsSync(app.clipService().get(c.id)!.path!));
    // A later trigger, far from the first clip: a second clip, not overlapping the first.
    app.bus.emit('detection', obj('new', 'person', t + 9000));
    const all = app.clipService().list({ limit: 10 });
    assert.equal(all.length, 2);
    assert.equal(all[0]!.requested_start_ms, t + 7000);
  } finally {
    await app.stop();
  }
});

test('a build over its time budget is killed with its process group and reported', { timeout: 20000 }, async () => {
  const dir = tmpDir('vigil-cliptimeout-');
  // A stand-in worker that hangs and has a child of its own, like gst-launch under the remux worker.
  const script = path.join(dir, 'hang.js');
  const pidFile = path.join(dir, 'pids');
  fs.writeFileSync(script, `const { spawn } = require('node:child_process');
const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, process.pid + ' ' + c.pid);
setTimeout(() => {}, 60000);`);
  const builder = new ClipBuilder({ timeoutMs: 1500, script });
  const t0 = Date.now();
  await assert.rejects(builder.build({ segments: [], startMs: 0, endMs: 1000, out: path.join(dir, 'x.mp4'), tmpDir: dir }), /timed out after 1500 ms and was killed/);
  assert.ok(Date.now() - t0 < 5000);
  const pids = fs.readFileSync(pidFile, 'utf8').split(' ').map(Number);
  await sleep(200);
  // A killed grandchild may linger as a zombie until init reaps it: that is dead too.
  const zombie = (pid: number): boolean => {
    try {
      return /^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return true; // gone between the two checks
    }
  };
  const running = alivePids(pids).filter((pid) => !zombie(pid));
  assert.deepEqual(running, [], 'worker and its child are gone');
});
