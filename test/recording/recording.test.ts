// End-to-end recording on real GStreamer (videotestsrc + x264enc), a real vigild process and
// its camera child processes, checked against the SQLite index and by decoding every segment.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, test } from 'node:test';
import { countDecodedFrames } from '../helpers/media';
import { readSegments, sleep, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

const FPS = 30;
const FRAME_MS = 1000 / FPS;
const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) if (d.alive) await d.killGroup();
});

test('30 s of recording: contiguous index, durations match wall time, every segment decodes', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const cfg = writeConfig(dir, [{ name: 'front', width: 640, height: 360, fps: FPS, segment_seconds: 5 }]);
  const d = startDaemon(cfg);
  daemons.push(d);
  await waitFor('first segment', () => readSegments(d.dataDir, 'front').length > 0, 30000);
  await sleep(30000);
  const stopMs = await d.stop();
  t.diagnostic(`graceful stop took ${stopMs} ms`);
  assert.ok(stopMs < 10000, `stop took ${stopMs} ms`);
  assert.equal((await d.exited).code, 0);

  const rows = readSegments(d.dataDir, 'front');
  assert.ok(rows.length >= 6, `only ${rows.length} segments`);
  for (const r of rows) assert.equal(r.state, 'closed', `${r.path} is ${r.state}`);
  for (let i = 1; i < rows.length; i++) {
    const gap = rows[i]!.start_ms - rows[i - 1]!.end_ms!;
    assert.ok(Math.abs(gap) <= FRAME_MS, `gap of ${gap} ms between segments ${i - 1} and ${i}`);
  }
  const span = rows.at(-1)!.end_ms! - rows[0]!.start_ms;
  const sum = rows.reduce((s, r) => s + r.duration_ms!, 0);
  t.diagnostic(`${rows.length} segments, index span ${span} ms, durations sum ${sum} ms`);
  assert.ok(Math.abs(sum - span) / span <= 0.03, `durations ${sum} ms vs wall ${span} ms`);
  assert.ok(span >= 30000, `recorded span ${span} ms is shorter than the 30 s run`);

  for (const r of rows) {
    assert.ok(fs.existsSync(r.path), r.path);
    const decoded = await countDecodedFrames(r.path);
    const expected = (r.duration_ms! / 1000) * FPS;
    assert.ok(Math.abs(decoded - expected) / expected <= 0.02, `${r.path}: ${decoded} frames decoded, ${expected} expected`);
    assert.equal(r.frames, decoded, `${r.path}: index says ${r.frames} frames, decoder ${decoded}`);
    assert.equal(r.bytes, fs.statSync(r.path).size);
  }
});

test('SIGKILL of the camera process: restarted, partial segment recovered and playable, loss <= 2 s', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const cfg = writeConfig(dir, [{ name: 'front', fps: FPS, segment_seconds: 6 }]);
  const d = startDaemon(cfg);
  daemons.push(d);
  await waitFor('two closed segments', () => readSegments(d.dataDir, 'front').filter((r) => r.state === 'closed').length >= 2, 40000);
  const open = await waitFor('an open segment 3 s old', () => readSegments(d.dataDir, 'front').find((r) => r.state === 'open' && Date.now() - r.start_ms > 3000));
  const pid = await d.cameraPid('front');
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');

  const rec = await waitFor('killed segment indexed as recovered', () => readSegments(d.dataDir, 'front').find((r) => r.id === open.id && r.state !== 'open'), 15000);
  assert.equal(rec.state, 'recovered');
  const lossMs = killedAt - rec.start_ms - rec.duration_ms!;
  t.diagnostic(`segment ${rec.path}: ${rec.duration_ms} ms recovered, ${lossMs} ms lost`);
  assert.ok(lossMs <= 2000, `lost ${lossMs} ms`);
  const decoded = await countDecodedFrames(rec.path);
  assert.ok(decoded > 0 && Math.abs(decoded - rec.frames!) <= 1, `decoded ${decoded}, index ${rec.frames}`);

  const newPid = await waitFor('camera restarted', async () => {
    const p = await d.cameraPid('front');
    return p !== pid ? p : null;
  }, 10000);
  assert.notEqual(newPid, pid);
  const resumed = await waitFor('a new segment closed after the kill', () => readSegments(d.dataDir, 'front').find((r) => r.start_ms > killedAt && r.state === 'closed'), 30000);
  t.diagnostic(`recording resumed ${resumed.start_ms - killedAt} ms after the kill`);
  assert.ok(resumed.start_ms - killedAt < 5000);
  await d.stop();
});

test('SIGKILL of the whole daemon, then start: the open segment is recovered at boot and recording resumes', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const cfg = writeConfig(dir, [{ name: 'front', fps: FPS, segment_seconds: 6 }]);
  const d1 = startDaemon(cfg);
  daemons.push(d1);
  const open = await waitFor('an open segment 3 s old', () => readSegments(d1.dataDir, 'front').find((r) => r.state === 'open' && Date.now() - r.start_ms > 3000), 40000);
  const killedAt = Date.now();
  await d1.killGroup();
  assert.equal(readSegments(d1.dataDir, 'front').find((r) => r.id === open.id)?.state, 'open');

  const d2 = startDaemon(cfg);
  daemons.push(d2);
  const rec = await waitFor('segment recovered at boot', () => readSegments(d2.dataDir, 'front').find((r) => r.id === open.id && r.state !== 'open'), 20000);
  assert.equal(rec.state, 'recovered');
  const lossMs = killedAt - rec.start_ms - rec.duration_ms!;
  t.diagnostic(`recovered ${rec.duration_ms} ms, lost ${lossMs} ms`);
  assert.ok(lossMs <= 2000, `lost ${lossMs} ms`);
  assert.ok((await countDecodedFrames(rec.path)) > 0);
  await waitFor('recording resumed', () => readSegments(d2.dataDir, 'front').find((r) => r.start_ms > killedAt && r.state === 'closed'), 30000);
  await d2.stop();
});

test('two cameras record independently; killing one does not interrupt the other', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const cfg = writeConfig(dir, [{ name: 'left', fps: 15, segment_seconds: 3 }, { name: 'right', fps: 15, segment_seconds: 3, pattern: 'smpte' }]);
  const d = startDaemon(cfg);
  daemons.push(d);
  await waitFor('both cameras closed a segment', () => ['left', 'right'].every((c) => readSegments(d.dataDir, c).some((r) => r.state === 'closed')), 40000);
  await waitFor('left mid-segment', () => readSegments(d.dataDir, 'left').find((r) => r.state === 'open' && Date.now() - r.start_ms > 1500), 10000);
  const rightPid = await d.cameraPid('right');
  const leftPid = await d.cameraPid('left');
  const killedAt = Date.now();
  process.kill(leftPid, 'SIGKILL');
  await sleep(8000);
  assert.equal(await d.cameraPid('right'), rightPid, 'right camera process was restarted');
  await waitFor('left restarted', async () => (await d.cameraPid('left')) !== leftPid, 10000);
  await d.stop();

  const right = readSegments(d.dataDir, 'right');
  const around = right.filter((r) => r.end_ms !== null && r.end_ms > killedAt - 3000 && r.start_ms < killedAt + 6000);
  assert.ok(around.length >= 2);
  for (const r of right) assert.equal(r.state, 'closed');
  for (let i = 1; i < right.length; i++) {
    const gap = right[i]!.start_ms - right[i - 1]!.end_ms!;
    assert.ok(Math.abs(gap) <= 1000 / 15, `right camera gap ${gap} ms`);
  }
  const left = readSegments(d.dataDir, 'left');
  t.diagnostic(`left: ${left.length} segments (${left.filter((r) => r.state === 'recovered').length} recovered), right: ${right.length} contiguous`);
  assert.ok(left.some((r) => r.state === 'recovered'));
  assert.ok(left.some((r) => r.start_ms > killedAt));
});
