// The supervisor on real processes: a SIGKILLed camera is back within 3 s, a hung (SIGSTOPped)
// camera is detected from its missing heartbeats, killed and restarted, and a camera that
// always crashes uses its restart budget with growing delays and then makes vigild exit 3.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import YAML from 'yaml';
import type { VigilEvents } from '../../src/events';
import { alivePids, readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) if (d.alive) await d.killGroup();
});

interface LogLine { msg: string; time: string; event?: VigilEvents['stage']; [k: string]: unknown }

function logLines(d: Daemon): LogLine[] {
  return d.log().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as LogLine);
}

/** Stage events as the daemon logged them, with the log time in epoch ms. */
function stageEvents(d: Daemon): Array<VigilEvents['stage'] & { time: number }> {
  return logLines(d).filter((l) => l.msg === 'stage event' && l.event).map((l) => ({ ...(l.event as VigilEvents['stage']), time: Date.parse(l.time) }));
}

/** Largest gap between consecutive segments of the index, in ms. */
function maxGap(dataDir: string, camera: string, fromMs: number): number {
  const rows = readSegments(dataDir, camera).filter((r) => r.end_ms !== null && r.end_ms >= fromMs);
  let gap = 0;
  for (let i = 1; i < rows.length; i++) gap = Math.max(gap, rows[i]!.start_ms - rows[i - 1]!.end_ms!);
  return gap;
}

test('SIGKILL of a camera process: a new pid within 3 s, recording gap in the index <= 3 s', { timeout: 90000 }, async (t) => {
  const dir = tmpDir();
  const d = startDaemon(writeConfig(dir, [{ name: 'front', segment_seconds: 3 }]));
  daemons.push(d);
  await waitFor('a closed segment', () => readSegments(d.dataDir, 'front').some((r) => r.state === 'closed'), 30000);
  const pid = await d.cameraPid('front');
  const killedAt = Date.now();
  process.kill(pid, 'SIGKILL');
  const next = await waitFor('a new camera pid', async () => {
    const p = (await d.status()).cameras[0]?.pid;
    return p && p !== pid ? p : null;
  }, 3000, 50);
  t.diagnostic(`new pid ${next} after ${Date.now() - killedAt} ms`);
  await waitFor('two segments closed after the restart', () => readSegments(d.dataDir, 'front').filter((r) => r.state === 'closed' && r.start_ms > killedAt).length >= 2, 30000);
  const gap = maxGap(d.dataDir, 'front', killedAt - 10000);
  t.diagnostic(`largest gap around the kill: ${gap} ms`);
  assert.ok(gap <= 3000, `gap of ${gap} ms`);
  const ev = stageEvents(d).find((e) => e.state === 'restarting' && e.cause === 'camera process killed by SIGKILL');
  assert.ok(ev, 'restart stage event');
  const status = await d.status();
  assert.equal(status.stages.find((s) => s.name === 'camera:front')?.restarts, 1);
  assert.equal(await d.stop() < 10000, true);
});

test('SIGSTOP of the camera child: hang detected within stall_after_s + 2 s, killed, restarted, recording resumes', { timeout: 90000 }, async (t) => {
  const STALL_S = 3;
  const dir = tmpDir();
  const d = startDaemon(writeConfig(dir, [{ name: 'front', segment_seconds: 3, stall_after_s: STALL_S }]));
  daemons.push(d);
  await waitFor('a closed segment', () => readSegments(d.dataDir, 'front').some((r) => r.state === 'closed'), 30000);
  const pid = await d.cameraPid('front');
  const stoppedAt = Date.now();
  process.kill(pid, 'SIGSTOP');
  const stall = await waitFor('a stall stage event', () => stageEvents(d).find((e) => e.state === 'stalled' && e.time >= stoppedAt), (STALL_S + 4) * 1000, 100);
  const detectMs = stall.time - stoppedAt;
  t.diagnostic(`detected after ${detectMs} ms: ${stall.cause}`);
  assert.match(stall.cause, /hang/);
  assert.ok(detectMs <= (STALL_S + 2) * 1000, `detected after ${detectMs} ms`);
  await waitFor('the hung child gone', () => alivePids([pid]).length === 0, 3000);
  await waitFor('a new pid', async () => ((await d.status()).cameras[0]?.pid ?? pid) !== pid, 5000);
  await waitFor('recording again', () => readSegments(d.dataDir, 'front').some((r) => r.state === 'closed' && r.start_ms > stoppedAt), 30000);
  const s = (await d.status()).stages.find((x) => x.name === 'camera:front');
  assert.equal(s?.restarts, 1);
  assert.match(s?.last_cause ?? '', /hang|SIGKILL/);
  await d.stop();
});

test('crash loop: restarts within the budget with growing delays, then escalates: stage failed, log fatal, exit 3', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  // Exists but is no video: decodebin fails to type it, a crash (not source trouble).
  const garbage = path.join(dir, 'not-a-video.mp4');
  fs.writeFileSync(garbage, 'this is not a video file\n'.repeat(100));
  const file = writeConfig(dir, [{ name: 'front' }], { supervisor: { restart_budget: 3, budget_window_s: 120 } });
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { cameras: Array<{ source: unknown }> };
  doc.cameras[0]!.source = { kind: 'file', path: garbage };
  fs.writeFileSync(file, YAML.stringify(doc));
  const d = startDaemon(file);
  daemons.push(d);
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([d.exited, new Promise<null>((r) => { timer = setTimeout(() => r(null), 100000); })]);
  clearTimeout(timer);
  assert.ok(exit, 'vigild did not exit');
  assert.equal(exit.code, 3);
  const events = stageEvents(d).filter((e) => e.stage === 'camera:front');
  t.diagnostic(events.map((e) => `${e.state} #${e.attempt} retry ${e.nextRetryS}: ${e.cause}`).join('\n'));
  const restarts = events.filter((e) => e.state === 'restarting');
  assert.equal(restarts.length, 3, 'exactly the budget');
  assert.deepEqual(restarts.map((e) => e.attempt), [1, 2, 3]);
  const delays = restarts.map((e) => e.nextRetryS ?? 0);
  assert.ok(delays[0]! < delays[1]! && delays[1]! < delays[2]!, `delays grow: ${delays.join(', ')}`);
  const last = events.at(-1);
  assert.equal(last?.state, 'failed');
  assert.match(last?.cause ?? '', /restart budget spent/);
  const lines = logLines(d);
  assert.ok(lines.some((l) => l.msg === 'camera failed beyond its restart budget; vigild exits'), 'fatal log line');
  assert.ok(lines.some((l) => l.msg === 'stopped'), 'graceful stop before exit');
});
