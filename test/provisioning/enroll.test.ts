// enroll.sh for real: openssl-validated certificates, the key/certificate match, the config
// validated by vigild --check-config, atomic replacement with safe modes, and refusals that
// name the field and leave the previous config and certificates untouched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import YAML from 'yaml';
import { makePki, type TestPki } from '../helpers/certs';
import { tmpDir } from '../helpers/daemon';
import { makeLongPki, type LongPki } from '../field/pki';
import { script, treeSums } from './tree';

let pki: LongPki;
let shortPki: TestPki;
let root: string;

before(() => {
  pki = makeLongPki(365);
  shortPki = makePki();
  root = tmpDir('vigil-enroll-root-');
});

after(() => {
  shortPki?.dispose();
  for (const d of [pki?.dir, root]) if (d) fs.rmSync(d, { recursive: true, force: true });
});

const at = (p: string): string => path.join(root, p);
const mode = (p: string): string => (fs.statSync(at(p)).mode & 0o777).toString(8);
const enroll = (args: string[]): ReturnType<typeof script> => script('provisioning/enroll.sh', ['--root', root, ...args]);

/** Everything under etc/vigil: no stray temp files, nothing changed by a refused run. */
const etcSums = (): Map<string, string> => treeSums(at('etc/vigil'));

test('a good enrollment writes device id, broker and certificates with safe modes; vigild accepts the file', () => {
  const r = enroll(['--device-id', 'cab-0042', '--broker', 'mqtts://fleet.example.net:8883', '--ca', pki.ca, '--cert', pki.clientCert, '--key', pki.clientKey]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'enrolled: device cab-0042, broker mqtts://fleet.example.net:8883, config /etc/vigil/config.yaml');
  const doc = YAML.parse(fs.readFileSync(at('etc/vigil/config.yaml'), 'utf8')) as { device: { id: string }; mqtt: Record<string, unknown>; cameras: unknown[] };
  assert.equal(doc.device.id, 'cab-0042');
  assert.equal(doc.mqtt.url, 'mqtts://fleet.example.net:8883');
  assert.deepEqual(doc.mqtt.tls, { ca: '/etc/vigil/certs/ca.crt', cert: '/etc/vigil/certs/device.crt', key: '/etc/vigil/certs/device.key' });
  assert.ok(doc.cameras.length >= 1, 'a new config starts from config.example.yaml');
  assert.equal(mode('etc/vigil/config.yaml'), '640');
  assert.equal(mode('etc/vigil/certs/device.key'), '600');
  assert.equal(mode('etc/vigil/certs/device.crt'), '640');
  assert.equal(mode('etc/vigil/certs/ca.crt'), '640');
  assert.equal(fs.readFileSync(at('etc/vigil/certs/device.crt'), 'utf8'), fs.readFileSync(pki.clientCert, 'utf8'));
  const check = execFileSync(process.execPath, [path.resolve(__dirname, '../../src/cli/vigild.js'), '--check-config', at('etc/vigil/config.yaml')], { encoding: 'utf8' });
  assert.match(check, /is valid \(device cab-0042, \d+ camera\(s\), broker mqtts:\/\/fleet\.example\.net:8883\)/);
  // Comments of the example survive (the file is edited, not regenerated).
  assert.match(fs.readFileSync(at('etc/vigil/config.yaml'), 'utf8'), /id: cab-0042 # required/);
});

test('bad input is refused naming the field; config and certificates stay exactly as they were', () => {
  const sums = etcSums();
  const cases: Array<[string[], RegExp]> = [
    [['--device-id', 'cab 42', '--broker', 'mqtts://h:8883'], /^enroll: --device-id: "cab 42" must match/],
    [['--device-id', '-cab', '--broker', 'mqtts://h:8883'], /^enroll: --device-id: "-cab" must match/],
    [['--device-id', 'cab-1', '--broker', 'http://h:8883'], /^enroll: --broker: "http:\/\/h:8883" must be mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\//],
    [['--device-id', 'cab-1', '--broker', 'mqtts://h:8883', '--ca', pki.clientKey], /^enroll: --ca: .*client\.key is not a PEM certificate/],
    [['--device-id', 'cab-1', '--broker', 'mqtts://h:8883', '--ca', '/nonexistent.crt'], /^enroll: --ca: \/nonexistent\.crt is not readable/],
    [['--device-id', 'cab-1', '--broker', 'mqtts://h:8883', '--cert', pki.clientCert, '--key', pki.serverKey], /^enroll: --key: .*server\.key does not belong to .*client\.crt/],
    [['--device-id', 'cab-1', '--broker', 'mqtts://h:8883', '--cert', pki.clientCert], /^enroll: --cert\/--key: give both or neither/],
    [['--device-id', 'cab-1', '--broker', 'mqtts://h:8883', '--cert', pki.clientCert, '--key', pki.ca], /^enroll: --key: .*ca\.crt is not a PEM private key/],
  ];
  for (const [args, want] of cases) {
    const r = enroll(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(want.source, 'm'));
    assert.match(r.stderr, /nothing was changed/);
  }
  assert.deepEqual(etcSums(), sums);
});

test('a config that would be invalid after enrollment is refused with vigild\'s own message; the old file stays', () => {
  const file = at('etc/vigil/config.yaml');
  const good = fs.readFileSync(file, 'utf8');
  try {
    fs.writeFileSync(file, good.replace(/^( {2}min_free_percent:) 10\b/m, '$1 500'));
    const sums = etcSums();
    const r = enroll(['--device-id', 'cab-0043', '--broker', 'mqtt://h:1883']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the resulting config is invalid; nothing was changed/);
    assert.match(r.stderr, /retention\.min_free_percent: 500 is not allowed/);
    assert.deepEqual(etcSums(), sums);

    fs.writeFileSync(file, `${good}\ndevice: { id: twice }\n`);
    const dup = enroll(['--device-id', 'cab-0043', '--broker', 'mqtt://h:1883']);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /config\.yaml is not valid YAML: .*; nothing was changed/);
  } finally {
    fs.writeFileSync(file, good);
  }
});

test('certificates expiring within 30 days are accepted with a warning', () => {
  const r = enroll(['--device-id', 'cab-0042', '--broker', 'mqtts://fleet.example.net:8883', '--ca', shortPki.ca, '--cert', shortPki.clientCert, '--key', shortPki.clientKey]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /warning: .*ca\.crt expires within 30 days/);
});

test('first-boot form: --env-file with --remove-env-file enrolls and removes the file; an unknown key is refused', () => {
  const env = path.join(root, 'enroll.env');
  fs.writeFileSync(env, `# written by the image builder\nDEVICE_ID=van-17\nBROKER_URL="mqtts://fleet.example.net:8883"\nCA=${pki.ca}\nCERT=${pki.clientCert}\nKEY=${pki.clientKey}\n`);
  const r = enroll(['--env-file', env, '--remove-env-file']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.existsSync(env), false, 'env file removed after enrolling');
  assert.equal((YAML.parse(fs.readFileSync(at('etc/vigil/config.yaml'), 'utf8')) as { device: { id: string } }).device.id, 'van-17');

  fs.writeFileSync(env, 'DEVICE_ID=van-18\nBROKER=mqtt://x\n');
  const bad = enroll(['--env-file', env]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--env-file: unknown key BROKER/);
  assert.ok(fs.existsSync(env));
});
