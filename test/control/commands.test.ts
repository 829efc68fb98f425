// recording.start/stop and stage.restart against a real vigild with two real GStreamer cameras,
// checked through the control socket, the SQLite index and the camera processes themselves.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import type { CommandResponse } from '../../src/control/registry';
import type { CameraChange } from '../../src/media/camera-set';
import type { CameraStatus } from '../../src/media/camera-stage';
import { alivePids, readSegments, sleep, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

let d: Daemon;

before(async () => {
  d = startDaemon(writeConfig(tmpDir(), [{ name: 'front', segment_seconds: 3 }, { name: 'back', segment_seconds: 3 }]));
  await waitFor('both cameras recording with a closed segment', async () => {
    const st = await d.status();
    return st.cameras.every((c) => c.state === 'recording') && ['front', 'back'].every((c) => readSegments(d.dataDir, c).some((r) => r.state === 'closed'));
  }, 30000);
});

after(async () => {
  if (d?.alive) await d.stop();
});

async function ok(command: string, args: unknown = {}): Promise<unknown> {
  const res = await callDaemon(d.socket, command, args, 20000);
  assert.equal(res.status, 'ok', `${command} ${JSON.stringify(args)}: ${JSON.stringify(res.error)}`);
  return res.data;
}

async function refused(command: string, args: unknown): Promise<NonNullable<CommandResponse['error']>> {
  const res = await callDaemon(d.socket, command, args, 20000);
  assert.equal(res.status, 'error', `${command} ${JSON.stringify(args)} was accepted`);
  assert.ok(res.error);
  return res.error;
}

async function camera(name: string): Promise<CameraStatus> {
  const cam = (await d.status()).cameras.find((c) => c.camera === name);
  assert.ok(cam, `no camera ${name} in status`);
  return cam;
}

test('recording.stop of one camera: it stops with its segment closed, the other camera keeps recording', { timeout: 60000 }, async () => {
  const frontPid = await d.cameraPid('front');
  const backPid = await d.cameraPid('back');
  const stoppedAt = Date.now();
  const data = (await ok('recording.stop', { camera: 'front' })) as { cameras: CameraChange[] };
  assert.deepEqual(data.cameras, [{ camera: 'front', previous: 'recording', state: 'stopped', changed: true }]);

  const front = await camera('front');
  assert.equal(front.state, 'stopped');
  assert.equal(front.lastCause, 'stopped by command');
  assert.equal(front.pid, null);
  assert.deepEqual(alivePids([frontPid]), [], 'the camera process is gone');
  const rows = readSegments(d.dataDir, 'front');
  assert.ok(rows.length > 0);
  for (const r of rows) assert.equal(r.state, 'closed', `${r.path} is ${r.state} after the stop`);
  const last = rows.at(-1)!;
  // end_ms comes from the stream clock (start + duration), so it may run a few frames ahead of the wall clock.
  const stopDone = Date.now();
  assert.ok(last.end_ms !== null && last.end_ms >= stoppedAt - 1500 && last.end_ms <= stopDone + 500, `last segment ends at ${last.end_ms}; stop began ${stoppedAt}, done ${stopDone}`);

  // The other camera is untouched and goes on cutting segments.
  assert.equal(await d.cameraPid('back'), backPid);
  await waitFor('a back segment closed after the stop', () => readSegments(d.dataDir, 'back').some((r) => r.start_ms > stoppedAt && r.state === 'closed'), 15000);

  // And the stopped camera stays stopped: no process, no new rows.
  await sleep(1500);
  assert.equal((await camera('front')).state, 'stopped');
  assert.equal(readSegments(d.dataDir, 'front').length, rows.length);

  const again = (await ok('recording.stop', { camera: 'front' })) as { cameras: CameraChange[] };
  assert.deepEqual(again.cameras, [{ camera: 'front', previous: 'stopped', state: 'stopped', changed: false, note: 'already stopped' }]);
  const restart = await refused('stage.restart', { stage: 'camera:front' });
  assert.deepEqual(restart, { code: 'camera_stopped', message: 'camera "front" was stopped by recording.stop; use recording.start' });

  // A config change to a stopped camera rebuilds it but does not start it behind the operator's back.
  const set = await ok('config.set', { changes: { cameras: { front: { recording: { segment_seconds: 4 } } } } });
  assert.deepEqual(set, { applied: ['camera:front'], restart_required: [] });
  const held = await camera('front');
  assert.deepEqual([held.state, held.pid, held.lastCause], ['stopped', null, 'stopped by command']);
  assert.equal(readSegments(d.dataDir, 'front').length, rows.length);
  assert.equal(await d.cameraPid('back'), backPid);
});

test('recording.start: the stopped camera records again into a new segment; a recording one is left alone', { timeout: 60000 }, async () => {
  const backPid = await d.cameraPid('back');
  const startedAt = Date.now();
  const data = (await ok('recording.start', {})) as { cameras: CameraChange[] };
  assert.deepEqual(data.cameras, [
    { camera: 'front', previous: 'stopped', state: 'starting', changed: true },
    { camera: 'back', previous: 'recording', state: 'recording', changed: false, note: 'already recording' },
  ]);
  const seg = await waitFor('a new front segment', () => readSegments(d.dataDir, 'front').find((r) => r.start_ms >= startedAt - 50), 15000);
  assert.equal(seg.state, 'open');
  await waitFor('front recording', async () => (await camera('front')).state === 'recording', 10000);
  assert.equal((await camera('front')).lastCause, 'started by command');
  assert.equal(await d.cameraPid('back'), backPid, 'back was not restarted');
});

test('stage.restart camera:back: graceful stop, then a new process that records; front untouched', { timeout: 60000 }, async () => {
  const frontPid = await d.cameraPid('front');
  const oldPid = await d.cameraPid('back');
  const before = readSegments(d.dataDir, 'back').length;
  const data = (await ok('stage.restart', { stage: 'camera:back' })) as CameraStatus & { stage: string };
  assert.equal(data.stage, 'camera:back');
  assert.ok(data.pid !== null && data.pid !== oldPid, `pid ${data.pid} after restart, was ${oldPid}`);
  assert.equal(data.lastCause, 'restart by command');
  assert.deepEqual(alivePids([oldPid]), []);
  // The graceful stop closed the segment that was open: nothing of the old run is left open.
  const oldRows = readSegments(d.dataDir, 'back').slice(0, before);
  for (const r of oldRows) assert.notEqual(r.state, 'open', `${r.path} still open`);
  await waitFor('back recording again', async () => (await camera('back')).state === 'recording', 15000);
  assert.equal((await camera('back')).pid, data.pid);
  assert.equal(await d.cameraPid('front'), frontPid);
});

test('stage.restart retention runs a pass now; recording.stop/start without a camera act on all', { timeout: 60000 }, async () => {
  const retention = (await ok('stage.restart', { stage: 'retention' })) as { stage: string; state: string; disk: { freeBytes: number } };
  assert.equal(retention.stage, 'retention');
  assert.equal(retention.state, 'ok');
  assert.ok(retention.disk.freeBytes > 0);

  const stopped = (await ok('recording.stop')) as { cameras: CameraChange[] };
  assert.deepEqual(stopped.cameras.map((c) => [c.camera, c.state, c.changed]), [['front', 'stopped', true], ['back', 'stopped', true]]);
  for (const r of readSegments(d.dataDir)) assert.notEqual(r.state, 'open', `${r.path} open after stopping all`);
  const started = (await ok('recording.start')) as { cameras: CameraChange[] };
  assert.deepEqual(started.cameras.map((c) => [c.camera, c.state, c.changed]), [['front', 'starting', true], ['back', 'starting', true]]);
  await waitFor('both recording', async () => (await d.status()).cameras.every((c) => c.state === 'recording'), 15000);
});
