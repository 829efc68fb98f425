// The whole detection path for real: videotestsrc's moving ball → GStreamer tap → detector
// process → onnxruntime (a real ONNX graph) → YOLO decode → NMS → tracker → object events in
// SQLite, the outbox and snapshots. The true ball position comes from videotestsrc's own
// motion formula, evaluated at each event's frame time.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import jpeg from 'jpeg-js';
import { callDaemon } from '../../src/cli/client';
import { ballCentre, writeBallModel } from '../fixtures/ball-model';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig } from '../helpers/daemon';

const W = 320;
const H = 240;
const FPS = 10;

interface Row { kind: string; object_id: string; label: string; box: string; last_seen_ms: number; snapshot_path: string | null; snapshot_bytes: number | null }

function rows(dataDir: string): Row[] {
  const db = new Database(path.join(dataDir, 'vigil.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT kind, object_id, label, box, last_seen_ms, snapshot_path, snapshot_bytes FROM detections ORDER BY id').all() as Row[];
  } finally {
    db.close();
  }
}

test('ball: detections follow the ball; one object gives one new, several updates and one end, in order', { timeout: 90_000 }, async (t) => {
  const dir = tmpDir();
  const model = writeBallModel(path.join(dir, 'ball.onnx'), { size: 320 });
  const cfg = writeConfig(dir, [{
    name: 'cam', width: W, height: H, fps: FPS, segment_seconds: 4,
    detection: { fps: FPS, model: { kind: 'yolo', path: model, input_size: 320, labels: ['ball'] }, score_threshold: 0.5, event: { min_hits: 3, lost_after_s: 2 } },
  }]);
  const d = startDaemon(cfg);
  try {
    await waitFor('detector running', async () => (await d.status()).detectors.find((x) => x.state === 'running'));
    // 12 s: the ball crosses most of the frame (its period is 200 frames = 20 s at 10 fps).
    await waitFor('several updates', () => rows(d.dataDir).filter((r) => r.kind === 'update').length >= 4, 30_000);
    const res = await callDaemon(d.socket, 'recording.stop', { camera: 'cam' });
    assert.equal(res.status, 'ok', JSON.stringify(res.error));
    // No frames now: the tracker ends the object after lost_after_s by its timer.
    await waitFor('end event', () => rows(d.dataDir).some((r) => r.kind === 'end'), 15_000);

    const all = rows(d.dataDir);
    assert.ok(all.length >= 6, `expected new + updates + end, got ${all.map((r) => r.kind).join(',')}`);
    assert.deepEqual(new Set(all.map((r) => r.object_id)).size, 1, 'one ball, one object id');
    assert.equal(all[0]?.kind, 'new');
    assert.equal(all.at(-1)?.kind, 'end');
    assert.ok(all.slice(1, -1).every((r) => r.kind === 'update'), `order: ${all.map((r) => r.kind).join(',')}`);
    assert.ok(all.every((r) => r.label === 'ball'));

    // Frame n of videotestsrc is shown at running time n / FPS; running time 0 is the first segment's start.
    const first = readSegments(d.dataDir, 'cam')[0];
    assert.ok(first, 'a segment was recorded');
    let worst = 0;
    for (const r of all.filter((x) => x.kind !== 'end')) {
      const box = JSON.parse(r.box) as { x1: number; y1: number; x2: number; y2: number };
      const n = Math.round(((r.last_seen_ms - first.start_ms) * FPS) / 1000);
      const truth = ballCentre(n, W, H);
      const dx = Math.abs((box.x1 + box.x2) / 2 - truth.x / W);
      const dy = Math.abs((box.y1 + box.y2) / 2 - truth.y / H);
      worst = Math.max(worst, dx, dy);
      assert.ok(dx <= 0.1 && dy <= 0.1, `frame ${n}: box centre off by ${dx.toFixed(3)}, ${dy.toFixed(3)} of the frame`);
      // The ball is 40 px across.
      assert.ok(Math.abs((box.x2 - box.x1) * W - 40) < 8, `box width ${((box.x2 - box.x1) * W).toFixed(1)} px`);
    }
    t.diagnostic(`worst centre error ${(worst * 100).toFixed(1)} % of the frame over ${all.length - 1} events`);

    // The snapshot is a real JPEG of the frame without letterbox borders.
    const snap = all.at(-1)?.snapshot_path;
    assert.ok(snap && fs.existsSync(snap), `snapshot ${snap}`);
    const img = jpeg.decode(fs.readFileSync(snap), { useTArray: true });
    assert.deepEqual([img.width, img.height], [W, H]);
    assert.equal(fs.statSync(snap).size, all.at(-1)?.snapshot_bytes);

    // Every object event also waits in the outbox for the fleet (events/detection).
    const db = new Database(path.join(d.dataDir, 'vigil.db'), { readonly: true });
    const queued = db.prepare(`SELECT payload FROM outbox WHERE topic LIKE '%/events/detection'`).all() as { payload: string }[];
    db.close();
    assert.equal(queued.length, all.length);
    const last = JSON.parse(queued.at(-1)?.payload ?? '{}') as Record<string, unknown>;
    assert.equal(last.kind, 'end');
    assert.equal(last.camera, 'cam');

    const st = (await d.status()).detectors[0];
    assert.ok(st && st.counters && st.counters.inferences > 20, `inferences ${st?.counters?.inferences}`);
    assert.equal(st?.provider, 'cpu');
  } finally {
    await d.stop();
  }
});
