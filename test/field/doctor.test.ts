// `vigil doctor` on this machine, for real: a real Mosquitto with mTLS for the broker and TLS
// checks (certificates valid for a year, and the 2-day helper ones that must be flagged), a
// read-only tmpfs data dir, a missing V4L2 camera, and the service checks against a tree that
// provisioning/install.sh really installed. The daemon is not running in this file.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { runDoctor } from '../../src/field/doctor';
import type { CheckResult } from '../../src/field/check';
import { findPipelinesDir } from '../../src/pipeline/templates';
import { makePki, type TestPki } from '../helpers/certs';
import { tmpDir, VIGIL } from '../helpers/daemon';
import { Mosquitto } from '../helpers/mosquitto';
import { makeLongPki, type LongPki } from './pki';

const REPO = path.dirname(findPipelinesDir(__dirname));

let broker: Mosquitto;
let pki: LongPki;
let shortPki: TestPki;
let dir: string;

before(async () => {
  pki = makeLongPki(365);
  shortPki = makePki();
  broker = await Mosquitto.start({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true } });
  dir = tmpDir('vigil-doctor-');
});

after(async () => {
  await broker?.dispose();
  shortPki?.dispose();
  if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
});

function config(name: string, over: Record<string, unknown> = {}, camera: Record<string, unknown> = { kind: 'test', pattern: 'ball', overlay: false }): string {
  const file = path.join(dir, `${name}.yaml`);
  const doc = {
    device: { id: 'cab-0042' },
    data_dir: path.join(dir, `data-${name}`),
    cameras: [{ name: 'front', source: camera, video: { width: 320, height: 240, fps: 15 }, encoder: { prefer: 'auto' } }],
    retention: { min_free_percent: 0, min_free_bytes: '1MB' },
    ...over,
  };
  fs.mkdirSync(doc.data_dir as string, { recursive: true });
  fs.writeFileSync(file, YAML.stringify(doc));
  return file;
}

function byName(results: CheckResult[], name: string): CheckResult {
  const r = results.find((x) => x.name === name);
  assert.ok(r, `no check named "${name}" in: ${results.map((x) => x.name).join(', ')}`);
  return r;
}

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VIGIL, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, VIGIL_SOCKET: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => void (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => void (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('this machine, standalone config: PASS what is present, FAIL "no broker configured", exit 4, one line per check', async () => {
  const file = config('plain');
  const r = await cli(['--config', file, 'doctor']);
  assert.equal(r.code, 4, r.stdout + r.stderr);
  const lines = r.stdout.split('\n').filter((l) => /^(PASS|WARN|FAIL) /.test(l));
  const line = (name: string): string => lines.find((l) => l.slice(6).startsWith(`${name} `)) ?? assert.fail(`no line for ${name}:\n${r.stdout}`);
  assert.match(line('config'), /^PASS\s+config\s+.*valid: device cab-0042, 1 camera/);
  assert.match(line('pipeline front'), /^PASS\s+pipeline front\s+\d+ elements present \(generic\)/);
  assert.match(line('encoder front'), /^WARN\s+encoder front\s+software x264enc: auto: no hardware h264 encoder/);
  assert.match(line('camera front'), /^PASS\s+camera front\s+test source/);
  assert.match(line('data dir'), /^PASS\s+data dir\s+.* writable/);
  assert.match(line('free space'), /^PASS\s+free space\s+/);
  assert.match(line('broker'), /^FAIL\s+broker\s+no broker configured/);
  assert.match(line('daemon'), /^WARN\s+daemon\s+vigild not running/);
  assert.match(line('service'), /^FAIL\s+service\s+vigil\.service not installed/);
  // Every WARN/FAIL is followed by its fix.
  assert.match(r.stdout, /FAIL\s+broker\s+no broker configured.*\n\s+fix: enroll the device: sudo provisioning\/enroll\.sh/);
  assert.match(r.stdout, /\d+ passed, \d+ warnings, \d+ failed\n$/);

  const j = await cli(['--json', '--config', file, 'doctor']);
  assert.equal(j.code, 4);
  const body = JSON.parse(j.stdout) as { ok: boolean; checks: CheckResult[] };
  assert.equal(body.ok, false);
  assert.deepEqual(byName(body.checks, 'broker').level, 'FAIL');
  for (const c of body.checks) {
    assert.ok(['PASS', 'WARN', 'FAIL'].includes(c.level), JSON.stringify(c));
    assert.equal(c.level === 'PASS', c.fix === '', `fix hint iff not PASS: ${JSON.stringify(c)}`);
  }
});

test('broker with mTLS and year-long certificates: every TLS check and the broker PASS', async () => {
  const file = config('mtls', { mqtt: { url: broker.url, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } } });
  const res = await runDoctor({ configPath: file });
  for (const name of ['tls ca', 'tls cert', 'tls key', 'broker']) assert.equal(byName(res, name).level, 'PASS', JSON.stringify(byName(res, name)));
  assert.match(byName(res, 'broker').detail, /reachable, connected as vigil-cab-0042-doctor-\d+/);
  assert.match(byName(res, 'tls cert').detail, /CN=cab-0042.*\(36[45] days\)/);
});

test('certificates expiring within 30 days WARN with the days left; a key of another certificate FAILs', async () => {
  const short = config('short', { mqtt: { url: broker.url, tls: { ca: shortPki.ca, cert: shortPki.clientCert, key: shortPki.clientKey } } });
  const res = await runDoctor({ configPath: short });
  assert.equal(byName(res, 'tls ca').level, 'WARN');
  assert.match(byName(res, 'tls ca').detail, /expires in [01] day\(s\)/);
  assert.match(byName(res, 'tls ca').fix, /renew/);
  // The broker trusts only the year-long CA: the short client certificate is refused.
  assert.equal(byName(res, 'broker').level, 'FAIL');

  const wrongKey = config('wrongkey', { mqtt: { url: broker.url, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.serverKey } } });
  const res2 = await runDoctor({ configPath: wrongKey });
  assert.equal(byName(res2, 'tls key').level, 'FAIL');
  assert.match(byName(res2, 'tls key').detail, /does not match/);
  assert.match(byName(res2, 'broker').detail, /not tried, TLS files are unusable/);
});

test('broker down: FAIL naming the URL and the refusal', async () => {
  const file = config('down', { mqtt: { url: broker.url, tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey } } });
  await broker.stop();
  try {
    const b = byName(await runDoctor({ configPath: file }), 'broker');
    assert.equal(b.level, 'FAIL');
    assert.match(b.detail, new RegExp(`${broker.url.replace(/[.]/g, '\\.')} unreachable: .*ECONNREFUSED`));
  } finally {
    await broker.start();
  }
});

test('V4L2 camera configured on a machine without one: FAIL naming the device', async () => {
  const file = config('v4l2', {}, { kind: 'v4l2', device: '/dev/video0' });
  const cam = byName(await runDoctor({ configPath: file }), 'camera front');
  assert.equal(cam.level, 'FAIL');
  assert.match(cam.detail, /^\/dev\/video0 not present: no V4L2 camera on this machine/);
  assert.match(cam.fix, /plug the camera in/);
});

test('data dir on a read-only tmpfs: not writable FAIL, volatile filesystem WARN, reserve larger than the disk FAIL; missing FAILs', async () => {
  const file = config('ro', { retention: { min_free_percent: 0, min_free_bytes: '8MB' } });
  const data = path.join(dir, 'data-ro');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=4m', 'tmpfs', data]);
  try {
    const res = await runDoctor({ configPath: file });
    assert.equal(byName(res, 'data dir').level, 'FAIL');
    assert.match(byName(res, 'data dir').detail, /not writable: EROFS/);
    assert.equal(byName(res, 'filesystem').level, 'WARN');
    assert.match(byName(res, 'filesystem').detail, /tmpfs: recordings are lost at reboot/);
    assert.equal(byName(res, 'free space').level, 'FAIL');
    assert.match(byName(res, 'free space').detail, /free of 4\.0 MB .*retention keeps 8\.0 MB: the reserve is larger than the disk/);
  } finally {
    execFileSync('umount', [data]);
  }
  fs.rmSync(data, { recursive: true });
  const missing = byName(await runDoctor({ configPath: file }), 'data dir');
  assert.equal(missing.level, 'FAIL');
  assert.match(missing.detail, /does not exist/);
});

test('service checks against a tree installed by install.sh: unit enabled with WatchdogSec, RuntimeWatchdogSec set', async () => {
  const root = tmpDir('vigil-doctor-root-');
  const before = await runDoctor({ configPath: config('svc'), root });
  assert.match(byName(before, 'service').detail, /vigil\.service not installed/);
  assert.equal(byName(before, 'hardware watchdog').level, 'FAIL');
  execFileSync('bash', [path.join(REPO, 'provisioning/install.sh'), '--root', root], { stdio: 'ignore' });
  const res = await runDoctor({ configPath: config('svc'), root });
  assert.equal(byName(res, 'service').level, 'PASS', JSON.stringify(byName(res, 'service')));
  assert.match(byName(res, 'service watchdog').detail, /^WatchdogSec=30$/);
  const hw = byName(res, 'hardware watchdog');
  assert.notEqual(hw.level, 'FAIL', JSON.stringify(hw));
  assert.match(hw.detail, /RuntimeWatchdogSec=30s .*vigil-watchdog\.conf/);
  fs.rmSync(root, { recursive: true, force: true });
});
