// Clips under a tiny disk budget, for real: the App records onto a small tmpfs with a real camera
// process while retention deletes the oldest footage. A pending clip's segments must survive
// until it is built; the clip quota deletes unlocked clips oldest first, never locked ones, and
// reports the pressure locked clips put on it. Needs root (mount).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { App } from '../../src/app';
import { parseConfigText } from '../../src/config/load';
import { buildCommands } from '../../src/control/commands';
import type { ClipEvent, VigilEvents } from '../../src/events';
import { tmpDir, waitFor } from '../helpers/daemon';
import { mountTmpfs } from '../helpers/tmpfs';
import { countDecodedFrames } from '../helpers/media';

const MB = 1024 * 1024;

test('tiny disk: retention never deletes a segment a pending clip needs, nor a locked clip; quota deletes unlocked ones', { timeout: 90000 }, async (t) => {
  const dir = tmpDir('vigil-cliptmpfs-');
  const mnt = mountTmpfs(dir, 64);
  // About 4 MB above the 20 MB reserve: retention has to delete within seconds at 0.5 MB/s, and
  // the 8.5 MB a pending 17 s clip protects cannot fit above the reserve.
  fs.writeFileSync(path.join(mnt, 'ballast'), Buffer.alloc(40 * MB));
  const config = parseConfigText(`
device: { id: cliptmpfs }
data_dir: ${path.join(mnt, 'vigil')}
cameras:
  - name: cam
    source: { kind: test, pattern: snow, overlay: false }
    video: { width: 640, height: 360, fps: 30 }
    encoder: { codec: h264, bitrate_kbps: 4000, keyframe_interval_s: 1, prefer: software }
    recording: { segment_seconds: 2 }
retention: { min_free_percent: 0, min_free_bytes: 20MB, interval_s: 1, clips_max_bytes: 1MB }
`, 'inline');
  const app = new App({ config, log: pino({ level: 'warn' }), socketPath: null });
  const clipEvents: ClipEvent[] = [];
  const pruned: Array<VigilEvents['segments.pruned']> = [];
  const disk: Array<VigilEvents['disk'] & { at: number }> = [];
  app.bus.on('disk', 'test', (e) => void disk.push({ ...e, at: Date.now() }));
  app.bus.on('clip', 'test', (e) => void clipEvents.push(e));
  app.bus.on('segments.pruned', 'test', (e) => void pruned.push(e));
  const closed: Array<VigilEvents['segment.closed']> = [];
  app.bus.on('segment.closed', 'test', (e) => void closed.push(e));
  await app.start();
  const commands = buildCommands(app);
  const create = async (args: Record<string, unknown>): Promise<{ id: string; state: string }> => {
    const res = await commands.dispatch({ command: 'clip.create', args: { camera: 'cam', ...args } });
    assert.equal(res.status, 'ok', JSON.stringify(res.error));
    return res.data as { id: string; state: string };
  };
  const iso = (ms: number): string => new Date(ms).toISOString();
  try {
    const first = await waitFor('first closed segment', () => closed[0], 30000);
    // A: locked, B: unlocked, both from the first segment; they build at once.
    const a = await create({ start: iso(first.startMs + 100), end: iso(first.startMs + 1500), lock: true });
    await waitFor('A ready', () => clipEvents.find((e) => e.id === a.id && e.event === 'ready'), 15000);
    const b = await create({ start: iso(first.startMs + 100), end: iso(first.startMs + 1500) });
    await waitFor('B ready', () => clipEvents.find((e) => e.id === b.id && e.event === 'ready'), 15000);

    // C: locked and pending, 16 s into the future, created once retention is already deleting:
    // the footage it protects alone exceeds what the reserve leaves, so retention runs out of
    // deletable segments (disk critical) and must still leave C's alone.
    await waitFor('retention deleting', () => pruned.length > 0, 30000, 100);
    const now = Date.now();
    const c = await create({ start: iso(now - 1000), end: iso(now + 16000), lock: true });
    assert.equal(c.state, 'pending');
    await waitFor('disk critical while C is pending', () => disk.find((d) => d.at > now && d.state === 'critical'), 30000, 100);
    const cRow = app.clipService().get(c.id);
    assert.ok(cRow && (cRow.state === 'pending' || cRow.state === 'building'), `C is ${cRow?.state} ${cRow?.cause}; pruned ${JSON.stringify(pruned)}`);
    const needed = app.index.list('cam', now - 1000, now + 16000);
    assert.ok(needed.length >= 1);
    assert.ok(needed.every((s) => s.protected === 1 || s.state === 'open'), 'segments C needs are protected');
    assert.ok(needed.every((s) => fs.existsSync(s.path)), 'a segment C needs was deleted');
    assert.ok(needed[0]!.start_ms <= now - 1000, 'the segment holding C\'s start is still indexed');

    const ready = await waitFor('C ready', () => clipEvents.find((e) => e.id === c.id && e.event === 'ready'), 30000);
    t.diagnostic(`${pruned.reduce((n, p) => n + p.count, 0)} segments pruned; C ${ready.bytes} bytes ${ready.startMs}..${ready.endMs}`);
    const cDone = app.clipService().get(c.id);
    assert.ok(cDone?.path && fs.existsSync(cDone.path), 'locked clip C kept');
    const frames = await countDecodedFrames(cDone.path);
    const expected = ((cDone.end_ms ?? 0) - (cDone.start_ms ?? 0)) * 30 / 1000;
    assert.ok(Math.abs(frames - expected) <= 2 && frames >= 16 * 30, `C decodes to ${frames} frames, expected ${expected}: no footage missing`);
    // Released after the build: retention may delete those segments again.
    assert.ok(app.index.list('cam', now - 1000, now + 16000).every((s) => s.protected === 0), 'protection released');

    // Quota (1 MB): B (unlocked, oldest) goes; A and C are locked and stay, so a quota event says so.
    const deleted = await waitFor('B deleted by quota', () => clipEvents.find((e) => e.id === b.id && e.event === 'deleted'), 10000);
    assert.match(deleted.cause ?? '', /clips_max_bytes/);
    assert.ok(!fs.existsSync(path.join(config.data_dir, 'clips', `${b.id}.mp4`)));
    const quota = await waitFor('quota event', () => clipEvents.find((e) => e.event === 'quota'), 10000);
    assert.match(quota.cause ?? '', /locked/);
    for (const id of [a.id, c.id]) {
      const row = app.clipService().get(id);
      assert.ok(row?.path && fs.existsSync(row.path), `locked clip ${id} deleted`);
    }
    assert.equal(clipEvents.filter((e) => e.event === 'deleted' && (e.id === a.id || e.id === c.id)).length, 0);
    // Unlocking lets the quota delete the oldest (A) at once.
    const res = await commands.dispatch({ command: 'clip.lock', args: { id: a.id, locked: false } });
    assert.equal(res.status, 'ok');
    await waitFor('A deleted after unlock', () => clipEvents.find((e) => e.id === a.id && e.event === 'deleted'), 5000);
  } finally {
    await app.stop();
  }
});
