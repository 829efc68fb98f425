// Clip upload to a pre-signed URL, end to end: a real vigild, a real local HTTP server that
// fails the first 3 attempts with 500 and cuts the connection mid-body on the 4th, and a daemon
// restart in the middle. The object must arrive intact (sha256) and `uploaded` be published;
// a 403 fails at once with the server's reason.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { Mosquitto, TestClient, type Received } from '../helpers/mosquitto';

const BASE = 'vigil/test-dev';
let broker: Mosquitto;
let cfg: string;
let daemon: Daemon;
let ctl: TestClient;
let server: http.Server;
let port = 0;
const attempts: { n: number; path: string; bytes: number; outcome: string }[] = [];
let stored: { body: Buffer; headers: http.IncomingHttpHeaders } | null = null;

before(async () => {
  broker = await Mosquitto.start();
  cfg = writeConfig(tmpDir('vigil-clipup-'), [{ name: 'front', fps: 30, segment_seconds: 2, bitrate_kbps: 2000 }], { mqtt: { url: broker.url } });
  daemon = startDaemon(cfg);
  ctl = await TestClient.connect(broker.url, { clientId: 'ctl-upload', protocolVersion: 4 });
  await ctl.subscribe(`${BASE}/events/clip`);
  server = http.createServer((req, res) => {
    const n = attempts.filter((a) => a.path === req.url).length + 1;
    const rec = { n, path: req.url ?? '', bytes: 0, outcome: '' };
    attempts.push(rec);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      chunks.push(c);
      rec.bytes += c.length;
      // The 4th attempt: the connection drops once part of the body has arrived.
      if (req.url?.startsWith('/bucket') && n === 4 && rec.bytes > 20000 && !rec.outcome) {
        rec.outcome = 'cut';
        req.socket.destroy();
      }
    });
    req.on('end', () => {
      if (rec.outcome === 'cut') return;
      if (req.url?.startsWith('/deny')) {
        rec.outcome = '403';
        res.writeHead(403).end('<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
      } else if (n <= 3) {
        rec.outcome = '500';
        res.writeHead(500).end('InternalError');
      } else {
        rec.outcome = '200';
        stored = { body: Buffer.concat(chunks), headers: req.headers };
        res.writeHead(200, { etag: '"x"' }).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  await waitFor('two closed segments', () => readSegments(daemon.dataDir, 'front').filter((s) => s.state === 'closed').length >= 2, 30000);
});

after(async () => {
  await ctl?.end();
  await daemon?.killGroup();
  await broker?.dispose();
  server?.closeAllConnections();
  server?.close();
});

async function ok<T>(command: string, args: unknown): Promise<T> {
  const res = await callDaemon(daemon.socket, command, args);
  assert.equal(res.status, 'ok', `${command}: ${JSON.stringify(res.error)}`);
  return res.data as T;
}

interface Clip { id: string; camera: string; state: string; sha256: string; bytes: number; requested_start: string; requested_end: string; cause: string | null }

async function readyClip(offsetMs: number): Promise<Clip> {
  const first = readSegments(daemon.dataDir, 'front')[0]?.start_ms as number;
  const c = await ok<Clip>('clip.create', { camera: 'front', start: new Date(first + offsetMs).toISOString(), end: new Date(first + offsetMs + 3000).toISOString() });
  return waitFor('clip ready', async () => {
    const g = await ok<Clip>('clip.get', { id: c.id });
    return g.state === 'ready' ? g : null;
  }, 20000);
}

const eventFor = (clip: Clip, event: string) => (m: Received): boolean => {
  const p = JSON.parse(m.payload) as Record<string, unknown>;
  return p.event === event && p.clip_id === clip.id && p.requested_start === clip.requested_start && p.requested_end === clip.requested_end;
};

test('upload survives 3 server errors, a cut mid-body and a daemon SIGKILL + restart; the object arrives intact', { timeout: 90000 }, async () => {
  const clip = await readyClip(100);
  assert.ok(clip.bytes > 40000, `clip of ${clip.bytes} bytes is big enough to be cut mid-body`);
  await ok('clip.upload', { id: clip.id, url: `http://127.0.0.1:${port}/bucket/${clip.id}.mp4?X-Amz-Signature=deadbeef`, method: 'PUT', headers: { 'x-amz-meta-camera': 'front' } });

  // After two failed attempts: progress is visible in status, then the daemon is restarted.
  await waitFor('2 attempts', () => attempts.filter((a) => a.path.startsWith('/bucket') && a.outcome).length >= 2, 20000, 50);
  const st = await daemon.status();
  const up = st.clips?.uploads.find((u) => u.id === clip.id);
  assert.ok(up, 'upload listed in status.clips.uploads');
  assert.equal(up.host, `127.0.0.1:${port}`);
  assert.equal(up.total_bytes, clip.bytes);
  assert.ok(up.attempt >= 2);
  assert.doesNotMatch(JSON.stringify(st), /deadbeef/, 'the pre-signed signature never shows in status');
  // SIGKILL, like a power cut: the queue lives only in SQLite.
  await daemon.killGroup();
  const before = attempts.length;
  daemon = startDaemon(cfg);

  const msg = await ctl.waitFor('uploaded event', eventFor(clip, 'uploaded'), 60000);
  assert.ok(attempts.length > before, 'the queue resumed after the restart');
  // An attempt in flight at the kill never ends on the server (outcome ''); the others follow
  // the server's script: 500, 500, 500, cut mid-body, then 200 once.
  const outcomes = attempts.filter((a) => a.path.startsWith('/bucket')).map((a) => a.outcome);
  const script = ['500', '500', '500', 'cut', '200'];
  assert.ok(outcomes.every((o, i) => o === '' || o === script[Math.min(i, 4)]), outcomes.join(','));
  assert.deepEqual(outcomes.filter((o) => o === 'cut' || o === '200'), ['cut', '200']);
  assert.equal(outcomes.at(-1), '200');
  assert.ok(stored);
  assert.equal(stored.body.length, clip.bytes);
  assert.equal(createHash('sha256').update(stored.body).digest('hex'), clip.sha256);
  assert.equal(stored.headers['x-amz-meta-camera'], 'front');
  assert.equal(stored.headers['content-length'], String(clip.bytes));
  const body = JSON.parse(msg.payload) as Record<string, unknown>;
  assert.equal(body.sha256, clip.sha256);
  assert.equal(body.state, 'uploaded');
  const after = await ok<Clip>('clip.get', { id: clip.id });
  assert.equal(after.state, 'uploaded');
});

test('a 403 from the storage fails at once with the reason, and a failed event', { timeout: 40000 }, async () => {
  const clip = await readyClip(200);
  await ok('clip.upload', { id: clip.id, url: `http://127.0.0.1:${port}/deny/${clip.id}.mp4` });
  const msg = await ctl.waitFor('failed event', eventFor(clip, 'failed'), 15000);
  const cause = String((JSON.parse(msg.payload) as Record<string, unknown>).cause);
  assert.match(cause, /HTTP 403: <Error><Code>AccessDenied/);
  assert.equal(attempts.filter((a) => a.path.startsWith('/deny')).length, 1, 'no retry after a 403');
  const g = await ok<Clip>('clip.get', { id: clip.id });
  assert.equal(g.state, 'failed');
  assert.match(g.cause ?? '', /403/);
});
