// Detection can never cost a recorded frame: with a model far slower than the tap, with the
// detector SIGKILLed and with it hung (SIGSTOP), every frame that entered the recording branch
// is in the segments (counted by decoding them), and the detector comes back each time within
// stall_after_s + 3 s.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { writeBallModel } from '../fixtures/ball-model';
import { readSegments, sleep, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { countDecodedFrames } from '../helpers/media';

const STALL_S = 3;

async function detector(d: Daemon) {
  return (await d.status()).detectors[0];
}

/** Waits until a detector other than `oldPid` has loaded its model and runs; returns seconds since `since`. */
async function backAfter(d: Daemon, oldPid: number, since: number): Promise<number> {
  await waitFor('detector back', async () => {
    const x = await detector(d);
    return x && x.state === 'running' && x.pid !== null && x.pid !== oldPid;
  }, (STALL_S + 10) * 1000, 100);
  return (Date.now() - since) / 1000;
}

test('slow, killed and hung detector: 100 % of frames recorded, detector back within stall_after_s + 3 s', { timeout: 120_000 }, async (t) => {
  const dir = tmpDir();
  const model = writeBallModel(path.join(dir, 'ball.onnx'), { size: 160 });
  const cfg = writeConfig(dir, [{
    name: 'cam', width: 320, height: 240, fps: 30, segment_seconds: 3,
    detection: { fps: 10, model: { kind: 'yolo', path: model, input_size: 160, labels: ['ball'] }, stall_after_s: STALL_S },
  }]);
  // Every inference takes 700 ms more: 1.4 inferences/s for a 10 fps tap.
  const d = startDaemon(cfg, { VIGIL_FAULT_INFER_DELAY_MS: '700' });
  try {
    const first = await waitFor('detector running', async () => {
      const x = await detector(d);
      return x?.state === 'running' && (x.counters?.inferences ?? 0) >= 2 ? x : null;
    }, 30_000);

    // SIGSTOP: the detector hangs; its missing heartbeat gives it away after stall_after_s.
    const hung = first;
    const stoppedAt = Date.now();
    process.kill(hung?.pid as number, 'SIGSTOP');
    const hangBack = await backAfter(d, hung?.pid as number, stoppedAt);
    t.diagnostic(`SIGSTOP: detector back after ${hangBack.toFixed(1)} s`);
    assert.ok(hangBack <= STALL_S + 3, `back after ${hangBack} s`);
    // SIGKILL: the detector dies; the daemon restarts it after its backoff.
    const killedAt = Date.now();
    const victim = await detector(d);
    process.kill(victim?.pid as number, 'SIGKILL');
    const killBack = await backAfter(d, victim?.pid as number, killedAt);
    t.diagnostic(`SIGKILL: detector back after ${killBack.toFixed(1)} s`);
    assert.ok(killBack <= STALL_S + 3, `back after ${killBack} s`);

    const st = await d.status();
    const det = st.detectors[0];
    assert.equal(det?.restarts, 2);
    assert.match(det?.lastCause ?? '', /model loaded/);
    // And it infers again.
    const before = det?.counters?.inferences ?? 0;
    await waitFor('inferences resume', async () => ((await detector(d))?.counters?.inferences ?? 0) > before + 1, 10_000);

    // Stop recording: the final counters say how many frames entered the recording branch.
    const res = await callDaemon(d.socket, 'recording.stop', { camera: 'cam' });
    assert.equal(res.status, 'ok');
    const cam = await waitFor('camera stopped', async () => (await d.status()).cameras.find((c) => c.state === 'stopped'));
    const segs = readSegments(d.dataDir, 'cam');
    let decoded = 0;
    for (const s of segs) decoded += await countDecodedFrames(s.path);
    const produced = cam.counters.framesOut;
    t.diagnostic(`frames into the recording branch ${produced}, decoded from ${segs.length} segments ${decoded}, tap dropped ${cam.counters.tapDropped}`);
    assert.ok(produced > 200, `recorded for a while (${produced} frames)`);
    assert.equal(decoded, produced, 'every frame that entered the recording branch is in the segments');
    // The camera process never restarted: detection faults stay in the detector.
    assert.equal(cam.restarts, 0);
    assert.ok((cam.counters.tapDropped ?? 0) > 0, 'the slow detector made the tap drop frames (and only the tap)');
  } finally {
    await d.stop();
  }
});

test('a detector that keeps crashing spends its budget, then the camera records without detection', { timeout: 120_000 }, async () => {
  const dir = tmpDir();
  const model = writeBallModel(path.join(dir, 'ball.onnx'), { size: 160 });
  const cfg = writeConfig(dir, [{
    name: 'cam', width: 160, height: 120, fps: 10, segment_seconds: 2,
    detection: { fps: 5, model: { kind: 'yolo', path: model, input_size: 160, labels: ['ball'] } },
  }], { supervisor: { restart_budget: 2, budget_window_s: 120 } });
  const d = startDaemon(cfg, { VIGIL_FAULT_DETECTOR_EXIT_AFTER_MS: '300' });
  try {
    const det = await waitFor('detector degraded', async () => (await d.status()).detectors.find((x) => x.state === 'degraded'), 40_000);
    assert.match(det.lastCause ?? '', /restart budget spent \(detector exited \(code 70\)\); recording continues without detection/);
    assert.equal(det.restarts, 3, 'two restarts within the budget, the third crash escalates');
    // No more restarts after the escalation.
    await sleep(3000);
    const st = await d.status();
    assert.equal(st.detectors[0]?.restarts, 3);
    assert.equal(st.detectors[0]?.pid, null);
    assert.equal(st.cameras[0]?.state, 'recording');
    assert.equal(st.cameras[0]?.restarts, 0);
    const segs = readSegments(d.dataDir, 'cam');
    assert.ok(segs.length >= 3, `recording went on (${segs.length} segments)`);
    // The stage events tell the story in order: restarting, restarting, degraded.
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(path.join(d.dataDir, 'vigil.db'), { readonly: true });
    const events = (db.prepare(`SELECT payload FROM outbox WHERE topic LIKE '%/events/stage' ORDER BY seq`).all() as { payload: string }[])
      .map((r) => JSON.parse(r.payload) as { stage: string; state: string; attempt: number; next_retry_s: number | null })
      .filter((e) => e.stage === 'detector:cam' && e.state !== 'running');
    db.close();
    assert.deepEqual(events.map((e) => e.state), ['restarting', 'restarting', 'degraded']);
    assert.deepEqual(events.map((e) => e.attempt), [1, 2, 3]);
    assert.equal(events[2]?.next_retry_s, null);
  } finally {
    await d.stop();
  }
});
