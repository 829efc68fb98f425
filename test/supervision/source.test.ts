// Sources that come and go are not crashes: a file source whose file is missing waits with a
// gentle backoff (5 s, 10 s, ...), never spends the restart budget, leaves the other camera
// alone, and reports 'source back after N s' once frames return.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import YAML from 'yaml';
import type { VigilEvents } from '../../src/events';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

const daemons: Daemon[] = [];
after(async () => {
  for (const d of daemons) if (d.alive) await d.killGroup();
});

function stageEvents(d: Daemon, stage: string): Array<VigilEvents['stage'] & { time: number }> {
  return d.log().split('\n').filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { msg: string; time: string; event?: VigilEvents['stage'] })
    .filter((l) => l.msg === 'stage event' && l.event?.stage === stage)
    .map((l) => ({ ...(l.event as VigilEvents['stage']), time: Date.parse(l.time) }));
}

test('missing source: waiting_for_source with 5 s → 10 s retries, no escalation, other camera untouched, recovery reported', { timeout: 120000 }, async (t) => {
  const dir = tmpDir();
  const video = path.join(dir, 'clip.mp4');
  const staged = path.join(dir, 'staged.mp4');
  execFileSync('gst-launch-1.0', ['-q', 'videotestsrc', 'num-buffers=240', '!', 'video/x-raw,width=320,height=240,framerate=30/1',
    '!', 'x264enc', 'key-int-max=30', '!', 'mp4mux', '!', 'filesink', `location=${staged}`], { timeout: 30000 });
  // A budget of 1 crash: if source trouble counted as crashes, vigild would exit within seconds.
  const file = writeConfig(dir, [{ name: 'gate' }, { name: 'lobby', stall_after_s: 3 }], { supervisor: { restart_budget: 1, budget_window_s: 300 } });
  const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { cameras: Array<{ source: unknown }> };
  doc.cameras[1]!.source = { kind: 'file', path: video, loop: true };
  fs.writeFileSync(file, YAML.stringify(doc));
  const d = startDaemon(file);
  daemons.push(d);
  const gatePid = await d.cameraPid('gate');

  const retries = await waitFor('two source retries', () => {
    const r = stageEvents(d, 'camera:lobby').filter((e) => e.state === 'restarting');
    return r.length >= 2 ? r : null;
  }, 40000);
  const events = stageEvents(d, 'camera:lobby');
  t.diagnostic(events.map((e) => `${e.state} #${e.attempt} retry ${e.nextRetryS}: ${e.cause}`).join('\n'));
  assert.ok(events.some((e) => e.state === 'stalled' && /source unavailable/.test(e.cause)), 'stalled event names the source');
  assert.ok(retries[0]!.nextRetryS! >= 4 && retries[0]!.nextRetryS! <= 6, `first retry ${retries[0]!.nextRetryS} s`);
  assert.ok(retries[1]!.nextRetryS! >= 8 && retries[1]!.nextRetryS! <= 12, `second retry ${retries[1]!.nextRetryS} s`);
  const st = await d.status();
  assert.equal(st.cameras.find((c) => c.camera === 'lobby')?.state, 'waiting_for_source');
  assert.ok(!events.some((e) => e.state === 'failed' || e.state === 'degraded'), 'never escalated');
  assert.equal(d.alive, true);

  // The source comes back.
  fs.renameSync(staged, video);
  const back = await waitFor('source back', () => stageEvents(d, 'camera:lobby').find((e) => e.state === 'running'), 30000);
  t.diagnostic(back.cause);
  assert.match(back.cause, /^source back after \d+ s$/);
  await waitFor('lobby records', () => readSegments(d.dataDir, 'lobby').length > 0, 20000);
  await waitFor('lobby recording', async () => (await d.status()).cameras.find((c) => c.camera === 'lobby')?.state === 'recording', 10000);
  const gate = (await d.status()).cameras.find((c) => c.camera === 'gate');
  assert.equal(gate?.pid, gatePid, 'the other camera was never restarted');
  assert.equal(gate?.restarts, 0);
  await d.stop();
  assert.equal((await d.exited).code, 0);
});
