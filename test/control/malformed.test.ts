// Malformed requests over the real control socket: every one gets a response with a precise
// code and message, none changes anything, and the daemon keeps serving.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import type { CommandResponse } from '../../src/control/registry';
import { startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

let d: Daemon;

before(async () => {
  d = startDaemon(writeConfig(tmpDir(), [{ name: 'front', segment_seconds: 4 }]));
  await waitFor('front recording', async () => (await d.status()).cameras[0]?.state === 'recording', 30000);
});

after(async () => {
  if (d?.alive) await d.stop();
});

/** Writes raw bytes and collects `lines` newline-terminated answers (or whatever came before the daemon hung up). */
function raw(payload: string, lines = 1): Promise<CommandResponse[]> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(d.socket);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no ${lines} answer(s) within 10 s; got ${JSON.stringify(buf)}`));
    }, 10000);
    const finish = (): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CommandResponse));
    };
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(payload));
    sock.on('data', (chunk: string) => {
      buf += chunk;
      if (buf.split('\n').length - 1 >= lines) finish();
    });
    sock.on('end', finish);
    sock.on('error', reject);
  });
}

async function one(req: unknown): Promise<CommandResponse> {
  const [res] = await raw(`${typeof req === 'string' ? req : JSON.stringify(req)}\n`);
  assert.ok(res, 'no answer');
  return res;
}

type Case = [name: string, request: unknown, code: string, message: string | RegExp];

const CASES: Case[] = [
  ['bad JSON', '{"command": "ping",', 'bad_json', /^invalid JSON: /],
  ['JSON array', '[1, 2]', 'bad_request', 'request must be an object with a string "command"'],
  ['JSON string', '"ping"', 'bad_request', 'request must be an object with a string "command"'],
  ['command of the wrong type', { command: 5 }, 'bad_request', 'request must be an object with a string "command"'],
  ['unknown command', { command: 'format.disk' }, 'unknown_command', 'unknown command "format.disk"; known: clip.create, clip.delete, clip.get, clip.list, clip.lock, clip.upload, config.get, config.set, fleet.selftest, health.now, ping, recording.start, recording.stop, segments.list, stage.restart, status'],
  ['extra argument', { command: 'ping', args: { verbose: true } }, 'bad_args', 'args: unknown argument(s) verbose'],
  ['args not an object', { command: 'status', args: 'all' }, 'bad_args', 'args: Invalid input: expected object, received string'],
  ['missing required camera', { command: 'segments.list', args: {} }, 'bad_args', 'camera: Invalid input: expected string, received undefined'],
  ['camera of the wrong type', { command: 'segments.list', args: { camera: 5 } }, 'bad_args', 'camera: Invalid input: expected string, received number'],
  ['path-like camera', { command: 'segments.list', args: { camera: '../../etc' } }, 'bad_args', 'camera: must match [a-z0-9][a-z0-9_-]{0,31}'],
  ['absolute-path camera', { command: 'recording.stop', args: { camera: '/dev/video0' } }, 'bad_args', 'camera: must match [a-z0-9][a-z0-9_-]{0,31}'],
  ['overlong camera name', { command: 'recording.start', args: { camera: 'a'.repeat(40) } }, 'bad_args', 'camera: must match [a-z0-9][a-z0-9_-]{0,31}'],
  ['unknown camera', { command: 'segments.list', args: { camera: 'garage' } }, 'unknown_camera', 'unknown camera "garage"; known: front'],
  ['unknown camera to stop', { command: 'recording.stop', args: { camera: 'garage' } }, 'unknown_camera', 'unknown camera "garage"; known: front'],
  ['null camera', { command: 'recording.start', args: { camera: null } }, 'bad_args', 'camera: Invalid input: expected string, received null'],
  ['bad time', { command: 'segments.list', args: { camera: 'front', since: 'yesterday' } }, 'bad_args', 'since: must be an ISO-8601 time, e.g. 2026-11-21T10:00:00Z'],
  ['limit out of range', { command: 'segments.list', args: { camera: 'front', limit: 0 } }, 'bad_args', 'limit: Too small: expected number to be >=1'],
  ['inverted range', { command: 'segments.list', args: { camera: 'front', since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' } }, 'bad_args', 'since must be before until'],
  ['missing stage', { command: 'stage.restart' }, 'bad_args', 'stage: Invalid input: expected string, received undefined'],
  ['path-like stage', { command: 'stage.restart', args: { stage: 'camera:../x' } }, 'bad_args', 'stage: must be a stage name such as "camera:<name>" or "retention"'],
  ['unknown camera stage', { command: 'stage.restart', args: { stage: 'camera:garage' } }, 'unknown_stage', 'unknown stage "camera:garage"; known: camera:front, retention'],
  ['unknown stage', { command: 'stage.restart', args: { stage: 'detector' } }, 'unknown_stage', 'unknown stage "detector"; known: camera:front, retention'],
  ['missing changes', { command: 'config.set', args: {} }, 'bad_args', 'changes: Invalid input: expected record, received undefined'],
  ['changes not an object', { command: 'config.set', args: { changes: [1, 2] } }, 'bad_args', 'changes: Invalid input: expected record, received array'],
  ['extra config.set argument', { command: 'config.set', args: { changes: {}, dry_run: true } }, 'bad_args', 'args: unknown argument(s) dry_run'],
  ['selftest count 0', { command: 'fleet.selftest', args: { count: 0 } }, 'bad_args', 'count: Too small: expected number to be >=1'],
  ['selftest count 1001', { command: 'fleet.selftest', args: { count: 1001 } }, 'bad_args', 'count: Too big: expected number to be <=1000'],
  ['selftest count not an integer', { command: 'fleet.selftest', args: { count: 2.5 } }, 'bad_args', 'count: Invalid input: expected int, received number'],
  ['health.now with an argument', { command: 'health.now', args: { now: true } }, 'bad_args', 'args: unknown argument(s) now'],
  ['selftest count missing', { command: 'fleet.selftest', args: {} }, 'bad_args', 'count: Invalid input: expected number, received undefined'],
];

test(`${CASES.length} malformed requests: each answered with a precise code and message, nothing restarted`, { timeout: 60000 }, async () => {
  assert.ok(CASES.length >= 20);
  const pid = await d.cameraPid('front');
  for (const [name, req, code, message] of CASES) {
    const res = await one(req);
    assert.equal(res.status, 'error', `${name}: accepted`);
    assert.equal(res.data, null, name);
    assert.equal(res.error?.code, code, `${name}: ${JSON.stringify(res.error)}`);
    if (typeof message === 'string') assert.equal(res.error?.message, message, name);
    else assert.match(res.error?.message ?? '', message, name);
  }
  assert.equal(await d.cameraPid('front'), pid, 'a malformed request restarted the camera');
  assert.equal((await d.status()).cameras[0]?.state, 'recording');
});

test('an oversized request is refused with too_large and the connection closed', async () => {
  // No newline: a runaway client streaming one endless line, which the daemon must not buffer forever.
  const res = await raw(`{"command":"ping","args":{"pad":"${'x'.repeat(200 * 1024)}`);
  assert.equal(res.length, 1);
  assert.equal(res[0]?.error?.code, 'too_large');
  assert.equal(res[0]?.error?.message, 'request exceeds 65536 bytes');
});

test('ids are echoed; pipelined requests on one connection each get their answer; the daemon still serves', async () => {
  const answers = await raw(`${JSON.stringify({ id: 'a1', command: 'ping' })}\nnot json\n${JSON.stringify({ id: 'a3', command: 'nosuch' })}\n`, 3);
  assert.equal(answers.length, 3);
  const byId = new Map(answers.map((a) => [a.id, a]));
  assert.equal(byId.get('a1')?.status, 'ok');
  assert.equal(byId.get('a3')?.error?.code, 'unknown_command');
  assert.equal(byId.get(null)?.error?.code, 'bad_json');
  assert.equal(d.alive, true);
  assert.equal((await one({ command: 'ping' })).status, 'ok');
});
