// A detector that cannot load its model is a configuration problem: the error names it, the
// stage is reported failed (status and a stage event), it is not restarted in a loop, and the
// camera keeps recording.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import Database from 'better-sqlite3';
import { writeBallModel } from '../fixtures/ball-model';
import { readSegments, sleep, startDaemon, tmpDir, waitFor, writeConfig } from '../helpers/daemon';

test('bad model path, wrong input shape, non-ONNX file, label count mismatch: clear errors, stage failed, recording continues', { timeout: 90_000 }, async () => {
  const dir = tmpDir();
  const ball = writeBallModel(path.join(dir, 'ball.onnx'), { size: 320 });
  const notOnnx = path.join(dir, 'notes.onnx');
  fs.writeFileSync(notOnnx, 'this is not a model\n');
  const det = (model: Record<string, unknown>) => ({ fps: 5, model: { kind: 'yolo', input_size: 320, labels: ['ball'], ...model } });
  const cases = [
    { name: 'missing', detection: det({ path: path.join(dir, 'nope.onnx') }), cause: /detection\.model\.path: no such file .*nope\.onnx/ },
    { name: 'shape', detection: det({ path: ball, input_size: 640 }), cause: /detection\.model\.input_size: the model input "images" is \[1, 3, 320, 320\] but the config gives input_size 640/ },
    { name: 'notonnx', detection: det({ path: notOnnx }), cause: /detection\.model\.path: .*notes\.onnx is not a model onnxruntime can load/ },
    { name: 'labels', detection: det({ path: ball, labels: ['a', 'b', 'c'] }), cause: /detection\.model\.labels: 3 labels given but the model output is \[1, 5, 1\] \(it fits 1 labels/ },
  ];
  const cfg = writeConfig(dir, cases.map((c) => ({ name: c.name, width: 160, height: 120, fps: 10, segment_seconds: 2, detection: c.detection })));
  const d = startDaemon(cfg);
  try {
    const st = await waitFor('all detectors failed', async () => {
      const s = await d.status();
      const stagesFailed = cases.every((c) => s.stages.find((x) => x.name === `detector:${c.name}`)?.state === 'failed');
      return s.detectors.length === cases.length && s.detectors.every((x) => x.state === 'failed') && stagesFailed ? s : null;
    }, 30_000);
    for (const c of cases) {
      const ds = st.detectors.find((x) => x.camera === c.name);
      assert.match(ds?.lastCause ?? '', c.cause, `camera ${c.name}`);
      assert.match(st.stages.find((s) => s.name === `detector:${c.name}`)?.last_cause ?? '', c.cause);
    }
    // Not restarted in a loop: a config problem does not fix itself.
    await sleep(3000);
    const later = await d.status();
    for (const x of later.detectors) assert.equal(x.restarts, 0, `${x.camera} was restarted`);
    assert.equal(later.detectors.every((x) => x.state === 'failed'), true);
    // Recording was never affected.
    for (const c of cases) {
      const cam = later.cameras.find((x) => x.camera === c.name);
      assert.equal(cam?.state, 'recording', `camera ${c.name}`);
      assert.ok(readSegments(d.dataDir, c.name).length >= 2, `camera ${c.name} kept writing segments`);
    }
    // Each failure went out as a stage event naming the cause.
    const db = new Database(path.join(d.dataDir, 'vigil.db'), { readonly: true });
    const events = (db.prepare(`SELECT payload FROM outbox WHERE topic LIKE '%/events/stage'`).all() as { payload: string }[]).map((r) => JSON.parse(r.payload) as { stage: string; state: string; cause: string });
    db.close();
    for (const c of cases) {
      const e = events.find((x) => x.stage === `detector:${c.name}` && x.state === 'failed');
      assert.ok(e, `stage event for detector:${c.name}`);
      assert.match(e.cause, c.cause);
    }
  } finally {
    await d.stop();
  }
});
