// Retention for real: the daemon's App records onto a 40 MB tmpfs with a real camera process.
// Needs root (mount); CI runs as root.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { App } from '../../src/app';
import { parseConfigText } from '../../src/config/load';
import type { VigilEvents } from '../../src/events';
import { sleep, tmpDir, waitFor } from '../helpers/daemon';
import { mountTmpfs } from '../helpers/tmpfs';

const MB = 1024 * 1024;

test('retention on a small filesystem: oldest deleted, newest and protected kept, disk events, no crash', { timeout: 180000 }, async (t) => {
  const dir = tmpDir('vigil-tmpfs-');
  const mnt = mountTmpfs(dir, 40);
  // Ballast leaves about 6 MB above the 16 MB reserve, so retention must act within seconds.
  const ballast = path.join(mnt, 'ballast');
  fs.writeFileSync(ballast, Buffer.alloc(18 * MB));

  const config = parseConfigText(`
device: { id: tmpfs-test }
data_dir: ${path.join(mnt, 'vigil')}
cameras:
  - name: cam
    source: { kind: test, pattern: snow, overlay: false }
    video: { width: 640, height: 360, fps: 30 }
    encoder: { codec: h264, bitrate_kbps: 4000, keyframe_interval_s: 1, prefer: software }
    recording: { segment_seconds: 2 }
retention: { min_free_percent: 0, min_free_bytes: 16MB, interval_s: 2 }
`, 'inline');
  const app = new App({ config, log: pino({ level: 'warn' }), socketPath: null });
  const disk: Array<VigilEvents['disk']> = [];
  let pruned = 0;
  app.bus.on('disk', 'test', (e) => void disk.push(e));
  app.bus.on('segments.pruned', 'test', (e) => void (pruned += e.count));
  let closed: Array<VigilEvents['segment.closed']> = [];
  app.bus.on('segment.closed', 'test', (e) => void closed.push(e));
  await app.start();
  try {
    const first = await waitFor('first closed segment', () => closed[0], 30000);
    app.index.setProtected('cam', first.startMs, first.startMs + 1, true);

    await waitFor('retention deleted segments', () => pruned >= 3, 60000);
    await sleep(4000);
    const rows = app.index.list('cam', 0, Number.MAX_SAFE_INTEGER);
    const free = fs.statfsSync(mnt).bavail * fs.statfsSync(mnt).bsize;
    t.diagnostic(`${pruned} segments pruned, ${rows.length} kept, ${(free / MB).toFixed(1)} MB free`);
    assert.ok(fs.existsSync(first.path), 'protected segment was deleted');
    assert.equal(rows[0]!.path, first.path, 'protected segment left the index');
    const deletedEarly = closed.slice(1, 3);
    for (const c of deletedEarly) assert.ok(!fs.existsSync(c.path), `oldest unprotected ${c.path} still on disk`);
    const newest = closed.at(-1)!;
    assert.ok(fs.existsSync(newest.path), 'newest segment deleted');
    assert.ok(rows.some((r) => r.state === 'open'), 'no segment being written');
    // The reserve holds within one segment's worth (retention runs at each close).
    assert.ok(free >= 16 * MB - 2 * MB, `free ${free} bytes`);

    // Protect everything and eat the reserve: nothing left to delete → critical, recording goes on.
    app.index.setProtected('cam', 0, Number.MAX_SAFE_INTEGER, true);
    fs.writeFileSync(path.join(mnt, 'ballast2'), Buffer.alloc(10 * MB));
    await waitFor('critical disk event', () => disk.find((e) => e.state === 'critical'), 20000);
    closed = [];
    await waitFor('recording continues while critical', () => closed.length >= 2, 20000);
    assert.equal(app.status().cameras[0]!.state, 'recording');

    fs.rmSync(path.join(mnt, 'ballast2'));
    fs.rmSync(ballast);
    await waitFor('disk back to ok', () => disk.at(-1)?.state === 'ok', 20000);
    t.diagnostic(`disk states: ${disk.map((e) => e.state).join(' → ')}`);
    const crit = disk.find((e) => e.state === 'critical')!;
    assert.ok(crit.freeBytes < crit.requiredBytes && crit.requiredBytes === 16 * MB);
  } finally {
    await app.stop();
  }
});
