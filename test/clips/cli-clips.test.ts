// `vigil clips` against a real vigild: create, list, get, lock, delete, a bad upload URL, and
// field export to a mounted "USB stick" (a small tmpfs): copied, verified, never overwriting,
// and a clip whose file rotted on the device fails verification with a non-zero exit.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { clipsVerb } from '../../src/cli/verbs/clips';
import { EXIT, UsageError, type CliContext } from '../../src/cli/verb';
import { readSegments, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';

let daemon: Daemon;
let stick: string;
const dir = tmpDir('vigil-clipcli-');

before(async () => {
  daemon = startDaemon(writeConfig(dir, [{ name: 'front', fps: 30, segment_seconds: 2 }]));
  stick = path.join(dir, 'usb');
  fs.mkdirSync(stick);
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', stick]);
  await waitFor('two closed segments', () => readSegments(daemon.dataDir, 'front').filter((s) => s.state === 'closed').length >= 2, 30000);
});

after(async () => {
  await daemon?.killGroup();
  if (stick) execFileSync('umount', ['-l', stick]);
});

function cli(json = false): CliContext & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    json, configPath: null, stdout, stderr,
    call: (command, args) => callDaemon(daemon.socket, command, args),
    out: (t) => void stdout.push(t),
    err: (t) => void stderr.push(t),
  };
}

async function readyClip(): Promise<{ id: string; path: string; sha256: string; bytes: number }> {
  const first = readSegments(daemon.dataDir, 'front')[0]!.start_ms;
  const c = cli(true);
  assert.equal(await clipsVerb.run(['create', '--camera', 'front', '--start', new Date(first + 200).toISOString(), '--end', new Date(first + 3000).toISOString()], c), EXIT.ok);
  const { id } = JSON.parse(c.stdout[0]!) as { id: string };
  return waitFor('clip ready', async () => {
    const g = cli(true);
    await clipsVerb.run(['get', id], g);
    const v = JSON.parse(g.stdout[0]!) as { state: string; id: string; path: string; sha256: string; bytes: number };
    return v.state === 'ready' ? v : null;
  }, 20000);
}

test('create, list, get, lock, delete; errors exit 1 naming the problem', { timeout: 40000 }, async () => {
  const clip = await readyClip();
  const list = cli();
  assert.equal(await clipsVerb.run(['list'], list), EXIT.ok);
  assert.match(list.stdout[0]!, /^ID\s+CAMERA\s+STATE/);
  assert.ok(list.stdout[0]!.includes(clip.id) && list.stdout[0]!.includes('ready'));

  const lock = cli(true);
  assert.equal(await clipsVerb.run(['lock', clip.id], lock), EXIT.ok);
  assert.equal((JSON.parse(lock.stdout[0]!) as { locked: boolean }).locked, true);
  const del = cli();
  assert.equal(await clipsVerb.run(['delete', clip.id], del), EXIT.commandError);
  assert.match(del.stderr[0]!, /locked/);
  assert.equal(await clipsVerb.run(['lock', clip.id, '--off'], cli()), EXIT.ok);

  const up = cli();
  assert.equal(await clipsVerb.run(['upload', clip.id, 'file:///etc/passwd', '--header', 'x-a: 1'], up), EXIT.commandError);
  assert.match(up.stderr[0]!, /bad_url: url must be http:\/\/ or https:\/\//);
  await assert.rejects(clipsVerb.run(['upload', clip.id, 'http://x/y', '--header', 'nocolon'], cli()), UsageError);
  await assert.rejects(clipsVerb.run(['bogus'], cli()), UsageError);
  const unknown = cli();
  assert.equal(await clipsVerb.run(['create', '--camera', 'nope', '--pre', '5', '--post', '0'], unknown), EXIT.commandError);
  assert.match(unknown.stderr[0]!, /unknown_camera/);

  const gone = cli();
  assert.equal(await clipsVerb.run(['delete', clip.id], gone), EXIT.ok);
  assert.ok(!fs.existsSync(clip.path));
  const get = cli();
  assert.equal(await clipsVerb.run(['get', clip.id], get), EXIT.commandError);
  assert.match(get.stderr[0]!, /unknown_clip/);
});

test('export to a mounted stick: copied and sha256-verified, refuses to overwrite, detects a rotten source', { timeout: 40000 }, async () => {
  const clip = await readyClip();
  const c = cli();
  assert.equal(await clipsVerb.run(['export', clip.id, stick], c), EXIT.ok);
  const dest = path.join(stick, `${clip.id}.mp4`);
  assert.equal(createHash('sha256').update(fs.readFileSync(dest)).digest('hex'), clip.sha256);
  assert.match(c.stdout[0]!, /verified/);
  assert.match(c.stderr.at(-1)!, /100% .*B/, 'a final progress line on a non-TTY stderr');

  const again = cli();
  assert.equal(await clipsVerb.run(['export', clip.id, stick], again), EXIT.commandError);
  assert.match(again.stderr[0]!, /refusing to overwrite/);
  assert.equal(createHash('sha256').update(fs.readFileSync(dest)).digest('hex'), clip.sha256, 'existing export untouched');

  // Bit rot in the device's copy: the export must not pass it off as the evidence.
  const fd = fs.openSync(clip.path, 'r+');
  fs.writeSync(fd, Buffer.from([0xff, 0xee]), 0, 2, Math.floor(clip.bytes / 2));
  fs.closeSync(fd);
  const bad = cli(true);
  assert.equal(await clipsVerb.run(['export', clip.id, path.join(stick, 'rotten.mp4')], bad), EXIT.checkFailed);
  assert.equal((JSON.parse(bad.stdout[0]!) as { verified: boolean }).verified, false);
});
