// The provisioning scripts for real: shellcheck on every script in the repo, systemd-analyze
// verify on the units as installed, install.sh's dry-run plan on this machine, a real install
// into a throwaway root run twice (the second changes nothing), and platform detection from
// fake Jetson / Raspberry Pi marker files.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { tmpDir } from '../helpers/daemon';
import { REPO, script, treeSums } from './tree';

/** Every shell script in the repository (by extension or bash shebang), outside node_modules and dist. */
function shellScripts(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (['node_modules', 'dist', '.git', 'release', '.vigil-dev'].includes(e.name)) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && (e.name.endsWith('.sh') || /^#!.*\b(ba)?sh\b/.test(fs.readFileSync(p, 'utf8').slice(0, 64)))) out.push(p);
    }
  };
  walk(REPO);
  return out.sort();
}

test('shellcheck is clean on every shell script in the repository', () => {
  const files = shellScripts();
  const rel = files.map((f) => path.relative(REPO, f));
  for (const must of ['.ci/run', 'provisioning/dev-setup.sh', 'provisioning/install.sh', 'provisioning/enroll.sh', 'provisioning/pack.sh']) {
    assert.ok(rel.includes(must), `${must} not found among ${rel.join(', ')}`);
  }
  const r = spawnSync('shellcheck', ['--severity=style', ...files], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'shellcheck is not installed (provisioning/dev-setup.sh installs it)');
  assert.equal(r.status, 0, r.stdout + r.stderr);
});

test('install.sh --dry-run on this machine prints the generic plan and changes nothing', () => {
  const r = script('provisioning/install.sh', ['--dry-run']);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines[0], 'platform: generic (markers under /)');
  for (const l of lines.slice(1)) assert.match(l, /^(ok|would change|skipped): /, `unexpected line: ${l}`);
  assert.ok(!lines.some((l) => l.startsWith('changed:')), 'a dry run must not change anything');
  // Every action appears, changed or not.
  for (const action of ['system packages|apt-get install', 'Node\\.js', 'user vigil', 'install app into /opt/vigil|app 0\\.1\\.0 in /opt/vigil', '/etc/vigil ', '/etc/vigil/certs', '/var/lib/vigil',
    '/etc/systemd/system/vigil\\.service', '/etc/systemd/system/vigil-enroll\\.service', 'vigil\\.service( \\(wants symlink\\))? ?enabled|enable vigil\\.service',
    '/etc/systemd/system\\.conf\\.d/vigil-watchdog\\.conf', 'start vigil\\.service']) {
    assert.ok(lines.some((l) => new RegExp(action).test(l)), `no line for ${action}:\n${r.stdout}`);
  }
  assert.ok(!fs.existsSync('/etc/systemd/system.conf.d/vigil-watchdog.conf') || lines.some((l) => l === 'ok: /etc/systemd/system.conf.d/vigil-watchdog.conf'));
});

let installedRoot = '';

test('install.sh into a throwaway root: everything installed, and a second run prints only ok/skipped and changes no file', () => {
  const root = (installedRoot = tmpDir('vigil-install-root-'));
  const first = script('provisioning/install.sh', ['--root', root]);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^changed: install app 0\.1\.0 into \/opt\/vigil/m);
  assert.match(first.stdout, /^skipped: apt-get install gstreamer1\.0-tools .* \(root is /m);
  assert.match(first.stdout, /^skipped: useradd --system vigil/m);
  const at = (p: string): string => path.join(root, p);
  assert.ok(fs.existsSync(at('opt/vigil/dist/src/cli/vigild.js')));
  assert.ok(!fs.existsSync(at('opt/vigil/node_modules/typescript')), 'dev dependencies must not be installed');
  assert.equal(fs.readFileSync(at('etc/systemd/system/vigil.service'), 'utf8'), fs.readFileSync(path.join(REPO, 'systemd/vigil.service'), 'utf8'));
  assert.equal(fs.readlinkSync(at('etc/systemd/system/multi-user.target.wants/vigil.service')), '/etc/systemd/system/vigil.service');
  assert.match(fs.readFileSync(at('etc/systemd/system.conf.d/vigil-watchdog.conf'), 'utf8'), /^\[Manager\]\nRuntimeWatchdogSec=30s$/m);
  assert.equal((fs.statSync(at('etc/vigil')).mode & 0o777).toString(8), '770');
  assert.equal((fs.statSync(at('var/lib/vigil')).mode & 0o777).toString(8), '750');

  const sums = treeSums(root);
  const second = script('provisioning/install.sh', ['--root', root]);
  assert.equal(second.code, 0, second.stderr);
  const lines = second.stdout.trim().split('\n').slice(1);
  for (const l of lines) assert.match(l, /^(ok|skipped): /, `second run changed something: ${l}`);
  assert.ok(lines.filter((l) => l.startsWith('ok: ')).length >= 9, second.stdout);
  assert.deepEqual(treeSums(root), sums, 'the tree changed on the second run');
});

test('systemd-analyze verify passes on the units as installed (ExecStart pointing into the throwaway root)', () => {
  // The tree the previous test installed (node:test runs a file's tests in order).
  const root = installedRoot;
  assert.ok(root && fs.existsSync(path.join(root, 'etc/systemd/system/vigil.service')), 'the install test did not leave a tree');
  const units = tmpDir('vigil-verify-units-');
  for (const u of ['vigil.service', 'vigil-enroll.service']) {
    const text = fs.readFileSync(path.join(root, 'etc/systemd/system', u), 'utf8');
    fs.writeFileSync(path.join(units, u), text.replaceAll('/opt/vigil/', `${root}/opt/vigil/`));
  }
  const r = spawnSync('systemd-analyze', ['verify', path.join(units, 'vigil.service'), path.join(units, 'vigil-enroll.service')], { encoding: 'utf8' });
  assert.equal(r.error, undefined, 'systemd-analyze is not installed (package systemd)');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr.trim(), '', `warnings from verify:\n${r.stderr}`);

  // And it does catch a broken unit: the same check is not a formality.
  fs.writeFileSync(path.join(units, 'vigil.service'), fs.readFileSync(path.join(units, 'vigil.service'), 'utf8').replace('/usr/bin/node', '/usr/bin/no-such-node'));
  const broken = spawnSync('systemd-analyze', ['verify', path.join(units, 'vigil.service')], { encoding: 'utf8' });
  assert.notEqual(broken.status, 0);
  assert.match(broken.stderr, /no-such-node is not executable/);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the unit carries what the issue asks for', () => {
  const unit = fs.readFileSync(path.join(REPO, 'systemd/vigil.service'), 'utf8');
  for (const line of ['Type=notify', 'WatchdogSec=30', 'Restart=always', 'StartLimitIntervalSec=300', 'StartLimitBurst=10', 'User=vigil', 'SupplementaryGroups=video',
    'Environment=UV_THREADPOOL_SIZE=8', 'ProtectSystem=strict', 'ReadWritePaths=/var/lib/vigil /etc/vigil', 'ProtectHome=true', 'NoNewPrivileges=true', 'PrivateTmp=true',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK', 'DevicePolicy=closed', 'DeviceAllow=char-video4linux rw', 'StandardError=journal', 'TimeoutStopSec=20']) {
    assert.match(unit, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'), `missing: ${line}`);
  }
});

test('platform detection: fake Jetson and Raspberry Pi markers pick their packages; bad options exit 2', () => {
  const jetson = tmpDir('vigil-fake-jetson-');
  fs.mkdirSync(path.join(jetson, 'etc'));
  fs.writeFileSync(path.join(jetson, 'etc/nv_tegra_release'), '# R35 (release), REVISION: 4.1\n');
  const j = script('provisioning/install.sh', ['--dry-run', '--platform-root', jetson]);
  assert.equal(j.code, 0, j.stderr);
  assert.match(j.stdout, /^platform: jetson /m);
  assert.match(j.stdout, /nvidia-l4t-gstreamer/);

  const pi = tmpDir('vigil-fake-pi-');
  fs.mkdirSync(path.join(pi, 'proc/device-tree'), { recursive: true });
  fs.writeFileSync(path.join(pi, 'proc/device-tree/model'), 'Raspberry Pi 4 Model B Rev 1.5\0');
  const p = script('provisioning/install.sh', ['--dry-run'], { VIGIL_PLATFORM_ROOT: pi });
  assert.match(p.stdout, /^platform: rpi /m);
  assert.match(p.stdout, /gstreamer1\.0-libcamera/);

  const bad = script('provisioning/install.sh', ['--dry-run', '--frobnicate']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /unknown argument: --frobnicate/);
  const noTar = script('provisioning/install.sh', ['--dry-run', '--from-tarball', '/nonexistent.tar.gz']);
  assert.equal(noTar.code, 2);
  assert.match(noTar.stderr, /--from-tarball \/nonexistent\.tar\.gz not found/);
  execFileSync('rm', ['-rf', jetson, pi]);
});
