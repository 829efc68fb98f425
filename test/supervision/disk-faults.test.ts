// Disk faults under a real vigild: (a) the data_dir filesystem fills up with something retention
// cannot delete, (b) it turns read-only. Either way the daemon must stay up (same pid, bounded
// camera restarts, no crash loop), say what is wrong, and resume recording by itself once the
// disk is usable again. Needs root (mount); CI runs as root.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test, type TestContext } from 'node:test';
import { readSegments, sleep, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { mountTmpfs, unmountAfter } from '../helpers/tmpfs';
import { readLogLines, type LogLine } from '../helpers/daemon-log';

const MB = 1024 * 1024;
const FAULT_MS = 20000;
/** Crash backoff 1 s → 30 s, source backoff 5 s → 30 s: a 20 s fault allows a handful of restarts. */
const MAX_RESTARTS_IN_FAULT = 10;

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) if (d.alive) await d.killGroup();
});

function logLines(d: Daemon, sinceMs = 0): LogLine[] {
  return readLogLines(d.logFile).filter((l) => l.time >= sinceMs);
}

function brief(l: LogLine): string {
  const extra = ['cause', 'message', 'state', 'err'].map((k) => l[k]).filter((v) => v !== undefined && v !== '');
  return `${l.module ?? '?'}${l.camera ? `/${l.camera}` : ''}: ${l.msg}${extra.length ? ` ${JSON.stringify(extra).slice(0, 200)}` : ''}`;
}

/** Appends until the filesystem refuses (ENOSPC); returns the bytes written. */
function fillUp(file: string): number {
  const fd = fs.openSync(file, 'a');
  let total = 0;
  try {
    for (const chunk of [Buffer.alloc(MB), Buffer.alloc(4096)]) {
      for (;;) {
        try {
          total += fs.writeSync(fd, chunk);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
          throw err;
        }
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  return total;
}

function startRecording(dir: string, dataDir: string): Daemon {
  const config = writeConfig(dir, [{ name: 'cam', fps: 30, segment_seconds: 2, bitrate_kbps: 1000, pattern: 'snow' }], {
    data_dir: dataDir,
    retention: { min_free_percent: 0, min_free_bytes: '1MB', interval_s: 2 },
  });
  const d = startDaemon(config);
  daemons.push(d);
  return d;
}

const closedSince = (d: Daemon, sinceMs: number): number =>
  readSegments(d.dataDir, 'cam').filter((r) => r.state === 'closed' && r.start_ms >= sinceMs).length;

/** Watches the daemon through a fault: camera states, restarts, and that it stays the same process. */
async function ride(t: TestContext, d: Daemon, ms: number): Promise<{ states: Set<string>; restarts: number; retention: Set<string> }> {
  const pid = d.proc.pid as number;
  const first = await d.status();
  const states = new Set<string>();
  const retention = new Set<string>();
  const until = Date.now() + ms;
  while (Date.now() < until) {
    assert.ok(d.alive, `vigild exited during the fault:\n${logLines(d).slice(-15).map(brief).join('\n')}`);
    const s = await d.status();
    assert.equal(s.pid, pid, 'vigild pid changed');
    const cam = s.cameras.find((c) => c.camera === 'cam');
    if (cam) states.add(String(cam.state));
    if (s.retention.state) retention.add(s.retention.state);
    await sleep(500);
  }
  const last = await d.status();
  const restarts = (last.cameras[0]?.restarts ?? 0) - (first.cameras[0]?.restarts ?? 0);
  t.diagnostic(`during the fault: camera states ${[...states].join(', ')}; ${restarts} camera restarts in ${ms} ms; retention ${[...retention].join(', ') || 'n/a'}`);
  return { states, restarts, retention };
}

test('disk full (ballast retention cannot delete): reported, no crash loop, recording resumes once space returns', { timeout: 240000 }, async (t) => {
  const dir = tmpDir('vigil-diskfull-');
  const mnt = mountTmpfs(dir, 12);
  const d = startRecording(dir, path.join(mnt, 'vigil'));
  const pid = d.proc.pid as number;
  await waitFor('two closed segments', () => closedSince(d, 0) >= 2, 60000);

  const fullAt = Date.now();
  const ballast = path.join(mnt, 'ballast');
  const bytes = fillUp(ballast);
  t.diagnostic(`ballast ${(bytes / MB).toFixed(1)} MB; ${fs.statfsSync(mnt).bavail} blocks left`);
  // Keep it full: retention frees a segment now and then; the camera and the ballast race for it.
  const topUp = setInterval(() => fillUp(ballast), 1000);
  let ride1: Awaited<ReturnType<typeof ride>>;
  try {
    ride1 = await ride(t, d, FAULT_MS);
  } finally {
    clearInterval(topUp);
  }
  const since = logLines(d, fullAt);
  t.diagnostic(`log while full: ${since.filter((l) => l.level >= 40).slice(0, 12).map(brief).join(' | ')}`);

  assert.ok(ride1.restarts <= MAX_RESTARTS_IN_FAULT, `${ride1.restarts} camera restarts in ${FAULT_MS} ms: crash loop`);
  assert.ok(!ride1.states.has('failed'), 'camera gave up (failed) on a full disk');
  const noSpace = since.find((l) => /ENOSPC|No space|SQLITE_FULL|disk is full/i.test(JSON.stringify(l)));
  const critical = since.find((l) => l.msg === 'disk critical');
  assert.ok(noSpace ?? critical, 'neither "disk critical" nor an ENOSPC / No space line in the log while the disk was full');
  t.diagnostic(`reported: ${critical ? `disk critical after ${critical.time - fullAt} ms` : 'no disk critical'}; ${noSpace ? `ENOSPC line after ${noSpace.time - fullAt} ms: ${brief(noSpace)}` : 'no ENOSPC line'}`);

  const freedAt = Date.now();
  fs.rmSync(ballast);
  await waitFor('a closed segment started after space came back', () => closedSince(d, freedAt) >= 1, 90000, 250);
  t.diagnostic(`space back → first new closed segment: ${Date.now() - freedAt} ms`);
  assert.ok(d.alive);
  assert.equal((await d.status()).pid, pid);
  await waitFor('disk ok again', async () => (await d.status()).retention.state === 'ok', 30000);
  t.diagnostic(`vigild stopped in ${await d.stop()} ms`);
});

test('read-only data_dir: reported, no crash loop, recording resumes after remount rw', { timeout: 240000 }, async (t) => {
  const dir = tmpDir('vigil-rofs-');
  const base = mountTmpfs(dir, 64);
  // data_dir sits on a bind mount of the tmpfs, so "read-only" can be applied to a fresh mount
  // when the kernel refuses to remount one that has files open for writing (EBUSY).
  const mnt = path.join(dir, 'data');
  fs.mkdirSync(mnt);
  execFileSync('mount', ['--bind', base, mnt]);
  unmountAfter(mnt);
  const d = startRecording(dir, path.join(mnt, 'vigil'));
  const pid = d.proc.pid as number;
  await waitFor('two closed segments', () => closedSince(d, 0) >= 2, 60000);

  const roAt = Date.now();
  let how = 'mount -o remount,ro';
  let r = spawnSync('mount', ['-o', 'remount,ro', base], { encoding: 'utf8' });
  if (r.status !== 0) {
    // Expected while vigild holds the db and the open segment for writing: swap in a fresh
    // read-only bind mount; open files stay writable, every new file (segment, journal) gets EROFS.
    how = `bind mount made read-only (remount,ro refused: ${r.stderr.trim().split('\n')[0]})`;
    execFileSync('umount', ['-l', mnt]);
    execFileSync('mount', ['--bind', base, mnt]);
    execFileSync('mount', ['-o', 'remount,bind,ro', mnt]);
  }
  t.diagnostic(`read-only via ${how}`);
  assert.throws(() => fs.writeFileSync(path.join(mnt, 'vigil', 'probe'), 'x'), /EROFS/);

  const ride1 = await ride(t, d, FAULT_MS);
  const since = logLines(d, roAt);
  t.diagnostic(`log while read-only: ${since.filter((l) => l.level >= 40).slice(0, 12).map(brief).join(' | ')}`);
  assert.ok(ride1.restarts <= MAX_RESTARTS_IN_FAULT, `${ride1.restarts} camera restarts in ${FAULT_MS} ms: crash loop`);
  assert.ok(!ride1.states.has('failed'), 'camera gave up (failed) on a read-only disk');
  const report = since.find((l) => l.level >= 40 && /EROFS|read-only/i.test(JSON.stringify(l)));
  assert.ok(report, 'no warn/error log line naming EROFS / read-only while the data_dir was read-only');
  t.diagnostic(`reported after ${report.time - roAt} ms: ${brief(report)}`);

  const rwAt = Date.now();
  r = spawnSync('mount', ['-o', how.startsWith('mount') ? 'remount,rw' : 'remount,bind,rw', how.startsWith('mount') ? base : mnt], { encoding: 'utf8' });
  assert.equal(r.status, 0, `remount rw failed: ${r.stderr}`);
  await waitFor('a closed segment started after remount rw', () => closedSince(d, rwAt) >= 1, 90000, 250);
  t.diagnostic(`remount rw → first new closed segment: ${Date.now() - rwAt} ms`);
  assert.ok(d.alive);
  assert.equal((await d.status()).pid, pid);
  t.diagnostic(`vigild stopped in ${await d.stop()} ms`);
});
