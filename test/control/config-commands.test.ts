// config.get and config.set against a real vigild: redaction, changes that restart only the
// stages they touch, an operator's file that keeps its comments, refused changes that leave
// the file byte for byte unchanged, and a change that is still in effect after a restart.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { callDaemon } from '../../src/cli/client';
import type { Config } from '../../src/config/schema';
import type { CommandResponse } from '../../src/control/registry';
import { readSegments, startDaemon, tmpDir, waitFor, type Daemon } from '../helpers/daemon';

function camera(name: string, seconds: number, comment: string): string {
  return `  - name: ${name}
    source: { kind: test, pattern: ball, overlay: false }
    video: { width: 320, height: 240, fps: 30 }
    encoder: { codec: h264, bitrate_kbps: 500, keyframe_interval_s: 1, prefer: software }
    recording:
      segment_seconds: ${seconds} # ${comment}
    tap: { fps: 5, width: 160, height: 160 }
`;
}

const dir = tmpDir('vigil-config-set-');
const configPath = path.join(dir, 'config.yaml');
const FILE = `# vigil test rig: this comment must survive remote changes
device:
  id: test-dev # enrolled id

data_dir: ${path.join(dir, 'data')}
log: { level: info }
cameras:
  # the front door
${camera('front', 3, 'front: short segments')}${camera('back', 3, 'back: changed remotely')}
retention: { min_free_percent: 0, min_free_bytes: 1MB, interval_s: 5 } # test reserve
mqtt:
  url: mqtt://127.0.0.1:1883
  username: dev
  password: s3cret-pw
`;

let d: Daemon;

async function startRig(): Promise<Daemon> {
  const daemon = startDaemon(configPath);
  await waitFor('both cameras recording', async () => (await daemon.status()).cameras.every((c) => c.state === 'recording'), 30000);
  return daemon;
}

before(async () => {
  fs.writeFileSync(configPath, FILE);
  fs.chmodSync(configPath, 0o640);
  d = await startRig();
});

after(async () => {
  if (d?.alive) await d.stop();
});

async function call(command: string, args: unknown): Promise<CommandResponse> {
  return callDaemon(d.socket, command, args, 30000);
}

async function pids(): Promise<Record<string, number | null>> {
  return Object.fromEntries((await d.status()).cameras.map((c) => [c.camera, c.pid]));
}

test('config.get: the effective config with defaults filled in and the broker password redacted', async () => {
  const res = await call('config.get', {});
  assert.equal(res.status, 'ok');
  const cfg = res.data as Config;
  assert.equal(cfg.mqtt?.password, '[redacted]');
  assert.equal(cfg.mqtt?.username, 'dev');
  assert.equal(cfg.device.id, 'test-dev');
  assert.equal(cfg.data_dir, path.join(dir, 'data'));
  assert.deepEqual(cfg.cameras.map((c) => [c.name, c.recording.segment_seconds, c.watchdog.stall_after_s]), [['front', 3, 5], ['back', 3, 5]]);
  assert.equal(cfg.retention.min_free_bytes, 1024 * 1024);
  assert.doesNotMatch(JSON.stringify(res), /s3cret-pw/);
});

test('config.set refused: precise error, file byte for byte unchanged, nothing restarted', { timeout: 60000 }, async () => {
  const before = fs.readFileSync(configPath);
  const pidsBefore = await pids();
  const cases: Array<[unknown, string, string | RegExp]> = [
    [{ cameras: { back: { recording: { segment_seconds: -4 } } } }, 'invalid_config', 'cameras[1].recording.segment_seconds: -4 is not allowed; Too small: expected number to be >=2'],
    [{ retention: { keep_days: 7 } }, 'invalid_config', 'retention.keep_days: unknown key (value 7)'],
    [{ cameras: { side: { enabled: false } } }, 'unknown_camera', 'unknown camera "side" in changes.cameras; known: front, back'],
    [{ device: { id: 'someone-else' } }, 'read_only', 'device.id cannot be changed remotely; re-enroll the device'],
    [{ device: null }, 'read_only', 'device.id cannot be changed remotely; re-enroll the device'],
    [{ data_dir: '/tmp/elsewhere' }, 'read_only', 'data_dir cannot be changed remotely; it holds the footage and the index'],
    [{ mqtt: { password: '[redacted]' } }, 'bad_args', 'changes.mqtt.password: "[redacted]" is the marker config.get shows; send the real password or leave the key out'],
    [{ cameras: [{ name: '../../etc', source: { kind: 'test' } }] }, 'invalid_config', 'cameras[0].name: "../../etc" is not allowed; must match [a-z0-9][a-z0-9_-]{0,31}'],
    [{ log: { level: 'loud' } }, 'invalid_config', /^log\.level: "loud" is not allowed; /],
    [{ cameras: { front: { recording: { segment_seconds: 5 } } }, mqtt: { url: 'http://x' } }, 'invalid_config', /^mqtt\.url: "http:\/\/x" is not allowed; must be mqtt:\/\//],
  ];
  for (const [changes, code, message] of cases) {
    const res = await call('config.set', { changes });
    assert.equal(res.status, 'error', `accepted ${JSON.stringify(changes)}`);
    assert.equal(res.error?.code, code, `${JSON.stringify(changes)}: ${res.error?.message}`);
    if (typeof message === 'string') assert.equal(res.error?.message, message);
    else assert.match(res.error?.message ?? '', message);
    assert.ok(fs.readFileSync(configPath).equals(before), `file changed by ${JSON.stringify(changes)}`);
  }
  assert.deepEqual(await pids(), pidsBefore, 'a refused change restarted a camera');
  assert.equal((await call('config.get', {})).status, 'ok');
});

test('config.set of one camera: only that camera restarts, the file keeps its comments, segments follow', { timeout: 90000 }, async () => {
  const before = await pids();
  const changedAt = Date.now();
  const res = await call('config.set', { changes: { cameras: { back: { recording: { segment_seconds: 6 } } } } });
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.deepEqual(res.data, { applied: ['camera:back'], restart_required: [] });

  const after = await waitFor('back restarted', async () => {
    const p = await pids();
    return p.back && p.back !== before.back ? p : null;
  }, 10000);
  assert.equal(after.front, before.front, 'front was restarted');

  const text = fs.readFileSync(configPath, 'utf8');
  assert.equal(text, FILE.replace('segment_seconds: 3 # back: changed remotely', 'segment_seconds: 6 # back: changed remotely'));
  assert.equal(fs.statSync(configPath).mode & 0o777, 0o640);
  const cfg = (await call('config.get', {})).data as Config;
  assert.deepEqual(cfg.cameras.map((c) => c.recording.segment_seconds), [3, 6]);

  const seg = await waitFor('a full back segment after the change', () => readSegments(d.dataDir, 'back').find((r) => r.start_ms > changedAt && r.state === 'closed'), 20000);
  assert.ok(Math.abs(seg.duration_ms! - 6000) <= 200, `back segment of ${seg.duration_ms} ms`);
  const front = readSegments(d.dataDir, 'front').filter((r) => r.state === 'closed').at(-1)!;
  assert.ok(Math.abs(front.duration_ms! - 3000) <= 200, `front segment of ${front.duration_ms} ms`);
});

test('config.set of retention, log level and mqtt: each updated live; no camera restarted', { timeout: 60000 }, async () => {
  const before = await pids();
  const res = await call('config.set', { changes: { retention: { interval_s: 7 }, log: { level: 'warn' }, mqtt: { keepalive_s: 45 } } });
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  assert.deepEqual(res.data, { applied: ['retention', 'log', 'fleet'], restart_required: [] });
  assert.deepEqual(await pids(), before);
  const text = fs.readFileSync(configPath, 'utf8');
  assert.match(text, /^retention: \{ min_free_percent: 0, min_free_bytes: 1MB, interval_s: 7 \} # test reserve$/m);
  assert.match(text, /^ {2}keepalive_s: 45$/m);

  // The level reaches the modules' child loggers: a camera restart's info lines are now silent...
  let mark = d.log().length;
  assert.equal((await call('stage.restart', { stage: 'camera:back' })).status, 'ok');
  assert.doesNotMatch(d.log().slice(mark), /camera process started/);
  // ...and back at info they are written again.
  const info = await call('config.set', { changes: { log: { level: 'info' } } });
  assert.deepEqual(info.data, { applied: ['log'], restart_required: [] });
  mark = d.log().length;
  assert.equal((await call('stage.restart', { stage: 'camera:back' })).status, 'ok');
  assert.match(d.log().slice(mark), /camera process started/);
  await waitFor('back recording', async () => (await d.status()).cameras.find((c) => c.camera === 'back')?.state === 'recording', 15000);
});

test('config.set removing and re-adding a camera stops and starts just that camera', { timeout: 60000 }, async () => {
  const before = await pids();
  const cfg = (await call('config.get', {})).data as Config;
  const removed = await call('config.set', { changes: { cameras: { front: null } } });
  assert.deepEqual(removed.data, { applied: ['camera:front'], restart_required: [] });
  const st = await d.status();
  assert.deepEqual(st.cameras.map((c) => c.camera), ['back']);
  assert.equal(st.cameras[0]?.pid, before.back);
  for (const r of readSegments(d.dataDir, 'front')) assert.notEqual(r.state, 'open');
  const unknown = await call('stage.restart', { stage: 'camera:front' });
  assert.deepEqual(unknown.error, { code: 'unknown_stage', message: 'unknown stage "camera:front"; known: camera:back, retention' });

  const front = cfg.cameras.find((c) => c.name === 'front');
  const added = await call('config.set', { changes: { cameras: [front, { ...cfg.cameras[1], recording: { segment_seconds: 6 } }] } });
  assert.deepEqual(added.data, { applied: ['camera:front'], restart_required: [] });
  await waitFor('front recording again', async () => (await d.status()).cameras.find((c) => c.camera === 'front')?.state === 'recording', 15000);
  assert.equal((await pids()).back, before.back);
  // The array form replaced the list, so the comments inside front went with it; the rest stay.
  const text = fs.readFileSync(configPath, 'utf8');
  assert.match(text, /^# vigil test rig: this comment must survive remote changes$/m);
  assert.match(text, /segment_seconds: 6 # back: changed remotely/);
});

test('after a daemon restart the changed config is in effect', { timeout: 90000 }, async () => {
  await d.stop();
  d = await startRig();
  const cfg = (await call('config.get', {})).data as Config;
  assert.deepEqual(cfg.cameras.map((c) => [c.name, c.recording.segment_seconds]), [['front', 3], ['back', 6]]);
  const bootAt = Date.now();
  const seg = await waitFor('a back segment of the new run', () => readSegments(d.dataDir, 'back').find((r) => r.start_ms > bootAt && r.state === 'closed'), 20000);
  assert.ok(Math.abs(seg.duration_ms! - 6000) <= 200, `back segment of ${seg.duration_ms} ms after restart`);
  assert.deepEqual(YAML.parse(fs.readFileSync(configPath, 'utf8')).mqtt, { url: 'mqtt://127.0.0.1:1883', username: 'dev', password: 's3cret-pw', keepalive_s: 45 });
});
