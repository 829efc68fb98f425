// Every `vigil` verb against a real vigild (real camera child, real GStreamer, real socket):
// human and --json output, bad arguments (exit 2 naming the argument), command errors
// (exit 1), the daemon-free verbs, and an unreachable daemon (exit 3).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import type { LoggedEvent } from '../../src/control/event-log';
import type { SegmentRow } from '../../src/recording/segment-index';
import { startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import { vigil, vigilLive } from './run-cli';

let daemon: Daemon;
let CFG = '';
let S = '';

before(async () => {
  const dir = tmpDir('vigil-verbs-');
  CFG = writeConfig(dir, [{ name: 'front', width: 160, height: 120, fps: 15, segment_seconds: 2 }]);
  daemon = startDaemon(CFG);
  S = daemon.socket;
  await waitFor('control socket answering', async () => daemon.alive && (await callDaemon(S, 'ping', {}, 2000)).status === 'ok', 30000);
  await waitFor('two segments closed', async () => (await daemon.status()).segments.some((s) => s.camera === 'front' && s.segments >= 2), 30000);
});

after(async () => {
  if (daemon?.alive) await daemon.killGroup();
});

test('status: camera row with fps in and frames written, stages, fleet line and last events', async () => {
  const r = await vigil(['--config', CFG, 'status']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CAMERA\s+STATE\s+FPS IN\s+WRITTEN\s+ENCODER\s+SEGMENTS\s+RESTARTS\s+LAST CAUSE$/m);
  assert.match(r.stdout, /^front\s+recording\s+\d+\.\d\s+\d+\s+x264enc\s+\d+\s+0\s/m);
  assert.match(r.stdout, /^STAGE\s+STATE/m);
  assert.match(r.stdout, /^camera:front\s+recording/m);
  assert.match(r.stdout, /^fleet link: standalone, reconnects 0$/m);
  assert.match(r.stdout, /^outbox: \d+ events waiting/m);
  assert.match(r.stdout, /^last events:\n(  \S+Z #\d+ \S+.*\n)+/m);
  assert.match(r.stdout, /#\d+ segment\.(opened|closed) camera=front/);

  const j = await vigil(['--json', '--config', CFG, 'status']);
  assert.equal(j.code, 0, j.stderr);
  const body = JSON.parse(j.stdout) as { status: string; data: { cameras: { camera: string }[]; last_events: LoggedEvent[] } };
  assert.equal(body.status, 'ok');
  assert.equal(body.data.cameras[0]?.camera, 'front');
  assert.ok(body.data.last_events.length > 0 && body.data.last_events.length <= 5, `${body.data.last_events.length} events`);
  const seqs = body.data.last_events.map((e) => e.seq);
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'oldest first');
});

test('segments: table for every camera, --json rows, time range, and bad arguments', async () => {
  const r = await vigil(['--socket', S, 'segments']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^CAMERA\s+START\s+DURATION\s+FRAMES\s+SIZE\s+STATE\s+PATH$/m);
  assert.match(r.stdout, /^front\s+\d{4}-\d\d-\d\dT\S+Z\s+\d+\.\d s\s+\d+\s+\S+ \S+\s+closed\s+\/\S+\.ts$/m);
  assert.match(r.stdout, /^\d+ segment\(s\)$/m);

  const j = await vigil(['--json', '--socket', S, 'segments', '--camera', 'front', '--limit', '1']);
  assert.equal(j.code, 0, j.stderr);
  const rows = JSON.parse(j.stdout) as SegmentRow[];
  assert.equal(rows.length, 1);
  assert.equal(rows[0]?.camera, 'front');

  const past = await vigil(['--json', '--socket', S, 'segments', '--since', '2000-01-01T00:00:00Z', '--until', '2000-01-02T00:00:00Z']);
  assert.equal(past.code, 0, past.stderr);
  assert.deepEqual(JSON.parse(past.stdout), [], 'nothing was recorded in 2000');

  const badSince = await vigil(['--socket', S, 'segments', '--since', 'yesterday']);
  assert.equal(badSince.code, 2);
  assert.match(badSince.stderr, /^vigil segments: --since must be an ISO-8601 time.*"yesterday"\nusage: vigil segments \[--camera NAME\]/);
  const badLimit = await vigil(['--socket', S, 'segments', '--limit', '0']);
  assert.equal(badLimit.code, 2);
  assert.match(badLimit.stderr, /--limit must be an integer from 1 to 10000, got "0"/);
  const badFlag = await vigil(['--socket', S, 'segments', '--camra', 'front']);
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /Unknown option '--camra'/);
  const unknownCam = await vigil(['--socket', S, 'segments', '--camera', 'nope']);
  assert.equal(unknownCam.code, 1);
  assert.match(unknownCam.stderr, /unknown_camera: unknown camera "nope"; known: front/);
});

test('events tail: recent events as lines, NDJSON with --json, -n limits, bad subcommands', async () => {
  const r = await vigil(['--socket', S, 'events', 'tail']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^\S+Z #\d+ segment\.opened camera=front id=\d+ path=\S+\.ts startMs=\d+$/m);
  const two = await vigil(['--socket', S, 'events', 'tail', '-n', '2', '--json']);
  assert.equal(two.code, 0, two.stderr);
  const lines = two.stdout.trim().split('\n').map((l) => JSON.parse(l) as LoggedEvent);
  assert.equal(lines.length, 2);
  assert.equal((lines[1]?.seq ?? 0) - (lines[0]?.seq ?? 0), 1);

  const noSub = await vigil(['--socket', S, 'events']);
  assert.equal(noSub.code, 2);
  assert.match(noSub.stderr, /events needs a subcommand: tail\nusage: vigil events tail \[-f\] \[-n N\]/);
  const badSub = await vigil(['--socket', S, 'events', 'head']);
  assert.equal(badSub.code, 2);
  assert.match(badSub.stderr, /unknown events subcommand "head"/);
  const badN = await vigil(['--socket', S, 'events', 'tail', '-n', 'x']);
  assert.equal(badN.code, 2);
  assert.match(badN.stderr, /--lines must be an integer/);
});

test('events tail -f: prints events that happen after it started, stops on SIGINT with exit 0', async () => {
  const live = vigilLive(['--socket', S, 'events', 'tail', '-f', '-n', '1']);
  await waitFor('the first line', () => live.stdout().includes('\n'), 10000);
  const firstSeq = Number(/#(\d+)/.exec(live.stdout())?.[1]);
  const res = await callDaemon(S, 'stage.restart', { stage: 'camera:front' });
  assert.equal(res.status, 'ok', JSON.stringify(res.error));
  await waitFor('a stage or recording event about the restart', () => /#\d+ (stage|recording) .*(restart by command)/.test(live.stdout()), 15000);
  const seqs = [...live.stdout().matchAll(/#(\d+)/g)].map((m) => Number(m[1]));
  assert.ok(seqs.every((s, i) => i === 0 || s > (seqs[i - 1] ?? 0)), `seqs increase: ${seqs.join(',')}`);
  assert.ok((seqs.at(-1) ?? 0) > firstSeq);
  live.child.kill('SIGINT');
  const done = await live.done;
  assert.equal(done.code, 0, done.stderr);
  await waitFor('front recording again', async () => (await daemon.status()).cameras[0]?.state === 'recording', 20000);
});

test('pipeline: resolved launch string per camera, --json, unknown camera exit 1, extra argument exit 2', async () => {
  const r = await vigil(['--config', CFG, 'pipeline']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^# camera front on generic: x264enc \(software\) — /m);
  assert.match(r.stdout, /^videotestsrc is-live=true pattern=ball .* splitmuxsink name=rec location=\S+\/segments\/front\/RUNID_%05d\.ts/m);
  const j = await vigil(['--json', '--config', CFG, 'pipeline', 'front']);
  const rows = JSON.parse(j.stdout) as { camera: string; encoder: { element: string; hardware: boolean }; launch: string }[];
  assert.deepEqual(rows.map((x) => [x.camera, x.encoder.element, x.encoder.hardware]), [['front', 'x264enc', false]]);
  const unknown = await vigil(['--config', CFG, 'pipeline', 'rear']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown camera "rear"; known: front/);
  const extra = await vigil(['--config', CFG, 'pipeline', 'front', 'rear']);
  assert.equal(extra.code, 2);
  assert.match(extra.stderr, /unexpected argument "rear"/);
});

test('cameras: discovery on this machine (none) in both forms; a stray argument is exit 2', async () => {
  const r = await vigil(['cameras']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^platform generic, discovered with (v4l2-ctl|gst-device-monitor)$/m);
  assert.match(r.stdout, /^note: no camera found: no V4L2 capture device under \/dev$/m);
  const j = await vigil(['--json', 'cameras']);
  assert.deepEqual((JSON.parse(j.stdout) as { platform: string; cameras: unknown[] }).cameras, []);
  const bad = await vigil(['cameras', '--all']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Unknown option '--all'/);
});

test('doctor with the daemon up: the daemon check PASSes with its pid; exit 4 because no broker is configured', async () => {
  const r = await vigil(['--config', CFG, 'doctor']);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  assert.match(r.stdout, new RegExp(`^PASS\\s+daemon\\s+vigild pid ${daemon.proc.pid} up \\d+ s, 1 camera\\(s\\) recording$`, 'm'));
  assert.match(r.stdout, /^FAIL\s+broker\s+no broker configured/m);
});

test('logs: reads the unit journal through journalctl; bad -n is exit 2', async () => {
  const r = await vigil(['logs', '-n', '5']);
  // This machine runs no journald for vigil: journalctl answers, with no entries.
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout + r.stderr, /No entries|No journal files/);
  const bad = await vigil(['logs', '-n', '-3']);
  assert.equal(bad.code, 2);
});

test('global usage: unknown verb and a stray argument to status are exit 2 naming them', async () => {
  const verb = await vigil(['--socket', S, 'statsu']);
  assert.equal(verb.code, 2);
  assert.match(verb.stderr, /unknown command "statsu"/);
  const stray = await vigil(['--socket', S, 'status', 'front']);
  assert.equal(stray.code, 2);
  assert.match(stray.stderr, /^vigil status: unexpected argument "front"\nusage: vigil status$/m);
  const noValue = await vigil(['status', '--socket']);
  assert.equal(noValue.code, 2);
  assert.match(noValue.stderr, /option --socket needs a value/);
});

test('daemon unreachable: status, segments and events exit 3; the daemon-free verbs still work', async () => {
  const missing = path.join(tmpDir('vigil-verbs-nosock-'), 'vigil.sock');
  for (const args of [['status'], ['segments'], ['events', 'tail']]) {
    const r = await vigil(['--socket', missing, ...args]);
    assert.equal(r.code, 3, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^vigil: cannot reach vigild at .*: no socket \(is vigild running\?\)$/m);
  }
  await daemon.stop();
  const down = await vigil(['--config', CFG, 'status']);
  assert.equal(down.code, 3);
  const pipeline = await vigil(['--config', CFG, 'pipeline']);
  assert.equal(pipeline.code, 0, pipeline.stderr);
  const doctor = await vigil(['--config', CFG, 'doctor']);
  assert.equal(doctor.code, 4);
  assert.match(doctor.stdout, /^WARN\s+daemon\s+vigild not running/m);
});
