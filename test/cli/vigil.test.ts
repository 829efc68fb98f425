// The `vigil` CLI against a real vigild (real camera child, real GStreamer) over its real
// control socket: output, exit codes, and the socket's own protections.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { vigil } from './run-cli';


interface RawReply { id?: string | null; status?: string; error?: { code?: string; message?: string } }

/** Sends raw bytes on one connection to the control socket and resolves with the first `lines` replies. */
function rawRequest(socketPath: string, payload: string, lines = 1): Promise<RawReply[]> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no reply within 10 s; got ${JSON.stringify(buf)}`));
    }, 10000);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (c: string) => {
      buf += c;
      const got = buf.split('\n').slice(0, -1);
      if (got.length < lines) return;
      clearTimeout(timer);
      sock.destroy();
      resolve(got.slice(0, lines).map((l) => JSON.parse(l) as RawReply));
    });
    // The server may close its side while we are still writing a huge request.
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') {
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

let daemon: Daemon | null = null;
let S = '';

before(async () => {
  const dir = tmpDir('vigil-cli-');
  daemon = startDaemon(writeConfig(dir, [{ name: 'front', width: 160, height: 120, fps: 15, segment_seconds: 2 }]));
  S = daemon.socket;
  const d = daemon;
  await waitFor('control socket answering', async () => d.alive && (await callDaemon(S, 'ping', {}, 2000)).status === 'ok', 30000);
  await waitFor('camera front recording', async () => (await d.status()).cameras[0]?.state === 'recording', 30000);
});

after(async () => {
  if (daemon?.alive) await daemon.killGroup();
});

test('status prints a table with the camera and its state, exit 0', async () => {
  const r = await vigil(['--socket', S, 'status']);
  assert.equal(r.code, 0, r.stderr);
  const row = r.stdout.split('\n').find((l) => l.startsWith('front '));
  assert.ok(row, `no row for camera front in:\n${r.stdout}`);
  assert.match(row, /^front\s+recording\s/);
  assert.match(r.stdout, /^vigild \S+ on test-dev, pid \d+/);
  assert.match(r.stdout, /CAMERA\s+STATE/);
});

test('--json status prints the response as JSON with the cameras', async () => {
  const r = await vigil(['--json', '--socket', S, 'status']);
  assert.equal(r.code, 0, r.stderr);
  // --json prints the whole response envelope ({id, status, data}); `call status` prints data only.
  const res = JSON.parse(r.stdout) as { status: string; data: { cameras: { camera: string; state: string }[]; pid: number } };
  assert.equal(res.status, 'ok');
  assert.equal(res.data.cameras[0]?.camera, 'front');
  assert.equal(res.data.pid, daemon?.proc.pid);
});

test('call ping answers pong true', async () => {
  const r = await vigil(['--socket', S, 'call', 'ping']);
  assert.equal(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout) as { pong: boolean; time: string };
  assert.equal(data.pong, true);
  assert.ok(Math.abs(Date.parse(data.time) - Date.now()) < 60000, `time ${data.time}`);
});

test('call segments.list for the camera returns its segments as an array', async () => {
  const d = daemon;
  assert.ok(d);
  await waitFor('a segment indexed', async () => (await d.status()).segments.some((s) => s.camera === 'front' && s.segments > 0), 20000);
  const r = await vigil(['--socket', S, 'call', 'segments.list', '{"camera":"front"}']);
  assert.equal(r.code, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as unknown;
  assert.ok(Array.isArray(rows), r.stdout);
  assert.ok(rows.length > 0, 'no segments listed');
  for (const row of rows as { camera: string; path: string }[]) {
    assert.equal(row.camera, 'front');
    assert.ok(fs.existsSync(row.path), row.path);
  }
});

test('command errors exit 1 and name the error code on stderr', async () => {
  const unknownCam = await vigil(['--socket', S, 'call', 'segments.list', '{"camera":"nope"}']);
  assert.equal(unknownCam.code, 1);
  assert.match(unknownCam.stderr, /unknown_camera/);
  assert.match(unknownCam.stderr, /known: front/);

  const badLimit = await vigil(['--socket', S, 'call', 'segments.list', '{"camera":"front","limit":"x"}']);
  assert.equal(badLimit.code, 1);
  assert.match(badLimit.stderr, /bad_args: limit:/);

  const noSuch = await vigil(['--socket', S, 'call', 'nosuch']);
  assert.equal(noSuch.code, 1);
  assert.match(noSuch.stderr, /unknown_command/);
  assert.match(noSuch.stderr, /segments\.list/);
});

test('bad usage exits 2: invalid JSON args, unknown verb, no verb, unknown flag', async () => {
  const badJson = await vigil(['--socket', S, 'call', 'ping', '{bad json']);
  assert.equal(badJson.code, 2);
  assert.match(badJson.stderr, /call arguments must be JSON/);

  const verb = await vigil(['--socket', S, 'frobnicate']);
  assert.equal(verb.code, 2);
  assert.match(verb.stderr, /unknown command "frobnicate"/);
  assert.match(verb.stderr, /usage: vigil/);

  const none = await vigil(['--socket', S]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: vigil/);

  const flag = await vigil(['--socket', S, '--frob', 'status']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /usage: vigil/);
  assert.equal(verb.stdout + none.stdout + badJson.stdout, '', 'usage errors must not print to stdout');
});

test('the control socket is mode 0600', () => {
  const st = fs.statSync(S);
  assert.ok(st.isSocket(), `${S} is not a socket`);
  assert.equal((st.mode & 0o777).toString(8), '600');
});

test('raw socket: a line of invalid JSON gets bad_json, and the same connection still serves requests', async () => {
  const [bad, ping] = await rawRequest(S, 'this is {not json\n{"id":"p1","command":"ping"}\n', 2);
  assert.equal(bad?.status, 'error');
  assert.equal(bad?.error?.code, 'bad_json');
  assert.equal(bad?.id, null);
  assert.equal(ping?.status, 'ok');
  assert.equal(ping?.id, 'p1');
  const [notCommand] = await rawRequest(S, '{"nocommand":1}\n');
  assert.equal(notCommand?.error?.code, 'bad_request');
});

test('raw socket: a request over 64 KiB without a newline gets too_large', async () => {
  const [res] = await rawRequest(S, `{"command":"ping","args":{"pad":"${'x'.repeat(70 * 1024)}`);
  assert.equal(res?.status, 'error');
  assert.equal(res?.error?.code, 'too_large');
  assert.match(res?.error?.message ?? '', /65536/);
  // The daemon survives it.
  assert.equal((await callDaemon(S, 'ping')).status, 'ok');
});

test('daemon unreachable exits 3 with a message saying vigild cannot be reached', async () => {
  const missing = path.join(tmpDir('vigil-cli-nosock-'), 'vigil.sock');
  const r = await vigil(['--socket', missing, 'status']);
  assert.equal(r.code, 3);
  assert.match(r.stderr, /cannot reach vigild/);
  assert.match(r.stderr, /is vigild running/);

  const d = daemon;
  assert.ok(d);
  await d.stop();
  assert.equal(d.alive, false);
  assert.equal((await d.exited).code, 0, 'vigild did not stop cleanly');
  const stopped = await vigil(['--socket', S, 'call', 'ping']);
  assert.equal(stopped.code, 3, stopped.stderr);
  assert.match(stopped.stderr, /cannot reach vigild/);
});
