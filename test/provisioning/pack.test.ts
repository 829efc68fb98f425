// The release tarball from provisioning/pack.sh: what is in it, that vigild from it records
// the test source when unpacked into an empty directory, and that install.sh --from-tarball
// installs it idempotently. One pack for the whole file.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { readSegments, tmpDir, waitFor } from '../helpers/daemon';
import { REPO, script, treeSums } from './tree';

let out: string;
let tarball: string;

before(() => {
  out = tmpDir('vigil-pack-');
  // dist/ is what the test run was compiled to; --no-build keeps tsc (slow here) out of the test.
  const r = script('provisioning/pack.sh', ['--no-build', '--out', out]);
  assert.equal(r.code, 0, r.stderr);
  tarball = r.stdout.trim();
});

after(() => {
  if (out) fs.rmSync(out, { recursive: true, force: true });
});

test('the tarball is named vigil-<version>-linux-<arch>.tar.gz and holds the app, production node_modules only', () => {
  const version = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  assert.equal(path.basename(tarball), `vigil-${version}-linux-${process.arch}.tar.gz`);
  const entries = new Set(execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).split('\n').map((e) => e.replace(/^\.\//, '')));
  for (const must of ['dist/src/cli/vigild.js', 'dist/src/cli/vigil.js', 'dist/src/media/camera-process.js', 'dist/package.json', 'pipelines/generic.yaml', 'pipelines/jetson.yaml',
    'pipelines/rpi.yaml', 'systemd/vigil.service', 'systemd/vigil-enroll.service', 'provisioning/install.sh', 'provisioning/enroll.sh', 'provisioning/config.example.yaml',
    'package.json', 'package-lock.json', 'VERSION', 'node_modules/better-sqlite3/package.json', 'node_modules/gstreamer-superficial/package.json', 'node_modules/mqtt/package.json']) {
    assert.ok(entries.has(must), `missing ${must}`);
  }
  assert.ok([...entries].some((e) => /^node_modules\/better-sqlite3\/build\/Release\/better_sqlite3\.node$/.test(e)), 'the compiled native module is in');
  for (const e of entries) {
    assert.ok(!/^node_modules\/(typescript|eslint|@typescript-eslint)\//.test(e), `dev dependency packed: ${e}`);
    assert.ok(!e.startsWith('dist/test/') && !e.startsWith('dist/bench/') && !e.startsWith('src/'), `not part of a release: ${e}`);
  }
});

test('unpacked into an empty directory, vigild records the test source and stops cleanly', async () => {
  const app = tmpDir('vigil-unpacked-');
  execFileSync('tar', ['-xzf', tarball, '-C', app]);
  const work = tmpDir('vigil-unpacked-run-');
  const config = path.join(work, 'config.yaml');
  fs.writeFileSync(config, YAML.stringify({
    device: { id: 'pack-test' }, data_dir: path.join(work, 'data'),
    cameras: [{ name: 'demo', source: { kind: 'test', pattern: 'smpte', overlay: true }, video: { width: 320, height: 240, fps: 15 },
      encoder: { prefer: 'software', bitrate_kbps: 500 }, recording: { segment_seconds: 2 }, tap: { fps: 1, width: 64, height: 64 } }],
    retention: { min_free_percent: 0, min_free_bytes: '1MB' },
  }));
  // cwd is another empty directory: nothing may be resolved from the checkout.
  const log = path.join(work, 'vigild.log');
  const fd = fs.openSync(log, 'w');
  const proc = spawn(process.execPath, [path.join(app, 'dist/src/cli/vigild.js'), '--config', config], { cwd: work, stdio: ['ignore', fd, fd], env: { ...process.env, NODE_PATH: '' } });
  fs.closeSync(fd);
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  try {
    const seg = await waitFor('the first closed segment', () => readSegments(path.join(work, 'data'), 'demo').find((s) => s.state === 'closed'), 30000);
    assert.ok(seg.path.startsWith(path.join(work, 'data', 'segments', 'demo')), seg.path);
    assert.ok((seg.bytes ?? 0) > 0 && (seg.frames ?? 0) > 0, JSON.stringify(seg));
    const text = fs.readFileSync(log, 'utf8');
    assert.ok(!text.includes(REPO), 'the unpacked app loaded something from the checkout');
  } finally {
    proc.kill('SIGTERM');
  }
  assert.equal(await exited, 0, fs.readFileSync(log, 'utf8').slice(-2000));
  fs.rmSync(app, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

test('install.sh --from-tarball into a throwaway root twice: the second run changes nothing', () => {
  const root = tmpDir('vigil-tar-root-');
  const first = script('provisioning/install.sh', ['--root', root, '--from-tarball', tarball]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`^changed: install app \\S+ into /opt/vigil \\(from ${tarball.replace(/[.]/g, '\\.')}\\)$`, 'm'));
  const version = execFileSync(process.execPath, [path.join(root, 'opt/vigil/dist/src/cli/vigild.js'), '--version'], { encoding: 'utf8' }).trim();
  assert.equal(version, fs.readFileSync(path.join(root, 'opt/vigil/VERSION'), 'utf8').trim());
  const sums = treeSums(root);
  const second = script('provisioning/install.sh', ['--root', root, '--from-tarball', tarball]);
  assert.equal(second.code, 0, second.stderr);
  assert.doesNotMatch(second.stdout, /^(changed|would change):/m);
  assert.deepEqual(treeSums(root), sums);
  fs.rmSync(root, { recursive: true, force: true });
});
