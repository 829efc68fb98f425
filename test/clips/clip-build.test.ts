// Clips end to end on a real vigild (videotestsrc camera, 2 s segments, 1 s GOP) with a real
// Mosquitto: a future-window clip delivered once its post-roll segment closes (ready event on
// MQTT), a 30 s clip over many segments built by remux in under 1 s whose coded pictures are
// byte-identical to the loop's and which decodes fully, and the error answers.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import type { CommandResponse } from '../../src/control/registry';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { countDecodedFrames } from '../helpers/media';
import { Mosquitto, TestClient, type Received } from '../helpers/mosquitto';
import { matchRun, mp4SliceNals, sliceNals, splitAnnexB, tsElementaryStream } from './media-nals';

const BASE = 'vigil/test-dev';
let broker: Mosquitto;
let daemon: Daemon;
let ctl: TestClient;

before(async () => {
  broker = await Mosquitto.start();
  const dir = tmpDir('vigil-clips-');
  const cfg = writeConfig(dir, [{ name: 'front', fps: 30, segment_seconds: 2 }], { mqtt: { url: broker.url } });
  daemon = startDaemon(cfg);
  ctl = await TestClient.connect(broker.url, { clientId: 'ctl-clips', protocolVersion: 4 });
  await ctl.subscribe(`${BASE}/events/clip`);
  await waitFor('first closed segment', () => readSegments(daemon.dataDir, 'front').some((s) => s.state === 'closed'), 30000);
});

after(async () => {
  await ctl?.end();
  await daemon?.killGroup();
  await broker?.dispose();
});

async function call(command: string, args: unknown): Promise<CommandResponse> {
  return callDaemon(daemon.socket, command, args);
}

async function ok<T = Record<string, unknown>>(command: string, args: unknown): Promise<T> {
  const res = await call(command, args);
  assert.equal(res.status, 'ok', `${command}: ${JSON.stringify(res.error)}`);
  return res.data as T;
}

/** Matches a clip's MQTT event by its `clip_id` (the envelope's `id` is the event's own). */
const clipEvent = (clip: { id: string; camera: string; requested_start: string; requested_end: string }, event: string) => (m: Received): boolean => {
  const p = JSON.parse(m.payload) as { clip_id: string; camera: string; event: string; requested_start: string; requested_end: string };
  return p.clip_id === clip.id && p.camera === clip.camera && p.event === event && p.requested_start === clip.requested_start;
};

interface Clip { id: string; camera: string; state: string; start: string; end: string; requested_start: string; requested_end: string; path: string; bytes: number; sha256: string; frames: number }

test('a clip whose window ends 10 s in the future is pending, then delivered with a ready event once its post-roll segment closes', { timeout: 45000 }, async () => {
  const now = Date.now();
  const created = await ok<Clip>('clip.create', { camera: 'front', start: new Date(now).toISOString(), end: new Date(now + 10000).toISOString() });
  assert.equal(created.state, 'pending');
  const msg = await ctl.waitFor('ready event', clipEvent(created, 'ready'), 30000);
  assert.equal(msg.qos, 1);
  const body = JSON.parse(msg.payload) as Record<string, unknown>;
  // Not before the window ended, and within one segment (2 s) plus the build after it.
  assert.ok(msg.at >= now + 10000, `ready ${msg.at - now} ms after the request`);
  assert.ok(msg.at <= now + 10000 + 2000 + 3000, `ready only ${msg.at - now - 10000} ms after the window ended`);
  const clip = await ok<Clip>('clip.get', { id: created.id });
  assert.equal(clip.state, 'ready');
  assert.equal(body.sha256, clip.sha256);
  assert.equal(body.bytes, clip.bytes);
  assert.equal(body.camera, 'front');
  assert.equal(body.requested_end, new Date(now + 10000).toISOString());
  assert.ok(fs.statSync(clip.path).size === clip.bytes);
});

test('a 30 s clip over ≥ 4 segments: remux under 1 s, keyframe-exact start, byte-identical pictures, decodes fully', { timeout: 60000 }, async (t) => {
  await waitFor('33 s of loop', () => {
    const segs = readSegments(daemon.dataDir, 'front').filter((s) => s.state === 'closed');
    return segs.length > 0 && Date.now() - (segs[0]?.start_ms ?? Date.now()) > 34000;
  }, 50000, 500);
  const end = Date.now() - 2500;
  const start = end - 30000 + 400; // not on a segment boundary, so the head is really trimmed
  const created = await ok<Clip>('clip.create', { camera: 'front', start: new Date(start).toISOString(), end: new Date(end).toISOString(), reason: 'incident 42' });
  await ctl.waitFor('ready event', clipEvent(created, 'ready'), 15000);
  const clip = await ok<Clip>('clip.get', { id: created.id });

  // Build time as the daemon measured it (log line "clip ready", field ms).
  const line = daemon.log().split('\n').find((l) => l.includes(created.id) && l.includes('"clip ready"'));
  assert.ok(line, 'clip ready log line');
  const ms = (JSON.parse(line) as { ms: number }).ms;
  assert.ok(ms < 1000, `build took ${ms} ms`);
  t.diagnostic(`30 s clip built in ${ms} ms`);

  const actualStart = Date.parse(clip.start);
  const actualEnd = Date.parse(clip.end);
  assert.ok(actualStart <= start && actualStart > start - 1000 - 50, `start ${actualStart - start} ms from the request`);
  assert.ok(Math.abs(actualEnd - end) <= 1000, `end ${actualEnd - end} ms from the request`);
  assert.ok(Math.abs(actualEnd - actualStart - 30000) <= 1000, `duration ${actualEnd - actualStart} ms`);

  const sources = readSegments(daemon.dataDir, 'front').filter((s) => s.start_ms < actualEnd && (s.end_ms ?? 0) > actualStart);
  assert.ok(sources.length >= 4, `${sources.length} source segments`);
  const sourceNals = sliceNals(splitAnnexB(Buffer.concat(sources.map((s) => tsElementaryStream(s.path)))));
  const clipNals = await mp4SliceNals(clip.path);
  assert.ok(clipNals.length > 0);
  const run = matchRun(sourceNals, clipNals);
  assert.ok(run.at >= 0, 'first clip picture found in the source');
  assert.equal(run.mismatch, null, `clip picture ${run.mismatch} differs from the source`);
  assert.equal((clipNals[0]?.[0] ?? 0) & 0x1f, 5, 'clip starts on an IDR picture');

  const decoded = await countDecodedFrames(clip.path);
  assert.equal(decoded, clip.frames, 'every frame decodes');
  assert.ok(Math.abs(decoded - 30 * 30) <= 30, `${decoded} frames for 30 s at 30 fps`);
});

test('errors name the problem: unknown camera, before the loop, too long, unknown clip, bad url scheme', { timeout: 20000 }, async () => {
  const err = async (command: string, args: unknown): Promise<{ code: string; message: string }> => {
    const res = await call(command, args);
    assert.equal(res.status, 'error', `${command} should fail`);
    return res.error as { code: string; message: string };
  };
  const e1 = await err('clip.create', { camera: 'back', pre_s: 5, post_s: 0 });
  assert.equal(e1.code, 'unknown_camera');
  assert.match(e1.message, /"back".*front/);

  const oldest = readSegments(daemon.dataDir, 'front')[0]?.start_ms as number;
  const e2 = await err('clip.create', { camera: 'front', start: new Date(oldest - 60000).toISOString(), end: new Date(oldest + 5000).toISOString() });
  assert.equal(e2.code, 'out_of_range');
  assert.ok(e2.message.includes(new Date(oldest).toISOString()), e2.message);

  const e3 = await err('clip.create', { camera: 'front', start: new Date(oldest + 1000).toISOString(), end: new Date(oldest + 1000 + 301000).toISOString() });
  assert.equal(e3.code, 'too_long');
  assert.match(e3.message, /max_s 300/);

  const e4 = await err('clip.get', { id: 'front-nope' });
  assert.equal(e4.code, 'unknown_clip');
  assert.match(e4.message, /front-nope/);

  const any = (await ok<Clip[]>('clip.list', {}))[0] as Clip;
  const e5 = await err('clip.upload', { id: any.id, url: 'ftp://example.com/x' });
  assert.equal(e5.code, 'bad_url');
  assert.match(e5.message, /http:\/\/ or https:\/\//);
  const e6 = await err('clip.delete', { id: 'front-nope' });
  assert.equal(e6.code, 'unknown_clip');

  // The same commands over MQTT: a request gets its response on response/<command>.
  await ctl.subscribe(`${BASE}/response/#`);
  await ctl.publish(`${BASE}/request/clip.create`, JSON.stringify({ id: 'm1', args: { camera: 'front', pre_s: 400, post_s: 0 } }));
  const r1 = await ctl.waitFor('response m1', (m) => m.topic === `${BASE}/response/clip.create` && m.payload.includes('"m1"'), 10000);
  const body1 = JSON.parse(r1.payload) as { status: string; error: { code: string } };
  assert.equal(body1.status, 'error');
  assert.equal(body1.error.code, 'too_long');
  await ctl.publish(`${BASE}/request/clip.list`, JSON.stringify({ id: 'm2', args: { camera: 'front' } }));
  const r2 = await ctl.waitFor('response m2', (m) => m.topic === `${BASE}/response/clip.list` && m.payload.includes('"m2"'), 10000);
  const body2 = JSON.parse(r2.payload) as { status: string; data: { id: string }[] };
  assert.equal(body2.status, 'ok');
  assert.ok(body2.data.some((c) => c.id === any.id));
});
