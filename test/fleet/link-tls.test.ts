// FleetLink over mutual TLS against a real Mosquitto with require_certificate: the link
// connects with its client certificate (seen through a TLS subscriber), and without one it is
// refused, says why in snapshot().last_error, and keeps retrying without ever being connected.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { mqttSchema, type MqttConfig } from '../../src/config/schema';
import { CommandRegistry } from '../../src/control/registry';
import { openDb, type Db } from '../../src/db';
import { FleetLink } from '../../src/fleet/link';
import { Outbox } from '../../src/fleet/outbox';
import { DeviceTopics, type HealthPayload, type StatusPayload } from '../../src/fleet/topics';
import { makePki, type TestPki } from '../helpers/certs';
import { Mosquitto, TestClient } from '../helpers/mosquitto';
import { disposeLinkFixtures } from '../helpers/link-fixture';

interface Fixture { link: FleetLink; db: Db; dir: string; bootId: string; logs: string[] }

const fixtures: Fixture[] = [];
const clients: TestClient[] = [];
let broker: Mosquitto;
let pki: TestPki;

function makeLink(device: string, tls: NonNullable<MqttConfig['tls']>): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-link-'));
  const db = openDb(path.join(dir, 'vigil.db'));
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
  const bootId = randomUUID();
  const link = new FleetLink({
    config: mqttSchema.parse({ url: broker.url, tls }), deviceId: device, version: '0.0.0-test', bootId, startedAt: new Date().toISOString(),
    outbox: new Outbox(db, { maxBytes: 1e6, log }), commands: new CommandRegistry(), health: () => Promise.resolve({ device_id: device } as HealthPayload), log,
    backoff: { initialMs: 200, maxMs: 1000 },
  });
  const f = { link, db, dir, bootId, logs };
  fixtures.push(f);
  return f;
}

before(async () => {
  pki = makePki();
  broker = await Mosquitto.start({ tls: { cafile: pki.ca, certfile: pki.serverCert, keyfile: pki.serverKey, requireCertificate: true } });
});

after(async () => {
  await disposeLinkFixtures(fixtures, clients, broker);
  pki.dispose();
});

test('mTLS: the link connects with its client certificate; a TLS subscriber sees it online', async () => {
  const topics = new DeviceTopics('vigil', 'cam-tls-ok');
  const sub = await TestClient.connect(broker.url, { ca: fs.readFileSync(pki.ca), cert: fs.readFileSync(pki.clientCert), key: fs.readFileSync(pki.clientKey) });
  clients.push(sub);
  await sub.subscribe(topics.status);
  const f = makeLink('cam-tls-ok', { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, reject_unauthorized: true });
  await f.link.start();
  const online = await sub.waitFor('online over TLS', (m) => (JSON.parse(m.payload) as StatusPayload).boot_id === f.bootId, 10_000);
  assert.equal((JSON.parse(online.payload) as StatusPayload).state, 'online');
  assert.equal(f.link.snapshot().state, 'connected');
  assert.equal(f.link.snapshot().last_error, null);
  const log = f.logs.join('');
  assert.ok(!log.includes('PRIVATE KEY') && !log.includes('BEGIN CERTIFICATE'), 'no key or certificate material in the log');
  await f.link.stop();
  const stopped = await sub.waitFor('stopped over TLS', (m) => (JSON.parse(m.payload) as StatusPayload).state === 'stopped', 5000);
  assert.equal((JSON.parse(stopped.payload) as StatusPayload).boot_id, f.bootId);
});

test('mTLS: without a client certificate the broker refuses; last_error says so and the link never connects', async (t) => {
  const f = makeLink('cam-tls-nocert', { ca: pki.ca, reject_unauthorized: true });
  await f.link.start();
  const until = Date.now() + 5000;
  const states = new Set<string>();
  while (Date.now() < until && f.link.snapshot().reconnects < 2) {
    states.add(f.link.snapshot().state);
    await new Promise((r) => setTimeout(r, 10));
  }
  const snap = f.link.snapshot();
  t.diagnostic(`last_error without client cert: ${snap.last_error}`);
  assert.ok(snap.reconnects >= 2, `keeps retrying: ${JSON.stringify(snap)}`);
  assert.ok(!states.has('connected'), `never connected: ${[...states].join(', ')}`);
  assert.notEqual(snap.state, 'connected');
  assert.equal(snap.connected_since, null);
  assert.match(snap.last_error ?? '', /certificate/i, `last_error: ${snap.last_error}`);
});

test('TLS: a broker certificate from an unknown CA is rejected (reject_unauthorized: true)', async (t) => {
  const other = makePki();
  try {
    const f = makeLink('cam-tls-wrongca', { ca: other.ca, cert: pki.clientCert, key: pki.clientKey, reject_unauthorized: true });
    await f.link.start();
    const until = Date.now() + 5000;
    while (Date.now() < until && f.link.snapshot().last_error === null) await new Promise((r) => setTimeout(r, 20));
    const snap = f.link.snapshot();
    t.diagnostic(`last_error with an unknown CA: ${snap.last_error}`);
    assert.notEqual(snap.state, 'connected');
    assert.match(snap.last_error ?? '', /certificate|self.signed|verify/i, `last_error: ${snap.last_error}`);
    await f.link.stop();
  } finally {
    other.dispose();
  }
});

test('a missing certificate file is reported in last_error and retried, not thrown from start()', async () => {
  const f = makeLink('cam-tls-missing', { ca: pki.ca, cert: '/nonexistent/client.crt', key: pki.clientKey, reject_unauthorized: true });
  await f.link.start();
  await new Promise((r) => setTimeout(r, 700));
  const snap = f.link.snapshot();
  assert.notEqual(snap.state, 'connected');
  assert.match(snap.last_error ?? '', /cannot read mqtt\.tls\.cert \/nonexistent\/client\.crt: ENOENT/);
  assert.ok(snap.reconnects >= 1, JSON.stringify(snap));
});
