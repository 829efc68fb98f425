// FleetLink availability and health against a real Mosquitto: retained `online` on connect,
// retained `stopped` on a clean stop, the broker's last will `offline` when the process is
// SIGKILLed, health retained at its interval, and the password never in the log.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
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
import type { HealthPayload, StatusPayload } from '../../src/fleet/topics';
import { Mosquitto, TestClient } from '../helpers/mosquitto';
import { disposeLinkFixtures } from '../helpers/link-fixture';

const DEVICE = 'cam-link-1';
const BASE = `vigil/${DEVICE}`;

interface Fixture { link: FleetLink; db: Db; outbox: Outbox; logs: string[]; bootId: string; dir: string; healthCalls: () => number }

const fixtures: Fixture[] = [];
const clients: TestClient[] = [];
let broker: Mosquitto;

function healthOf(deviceId: string, n: number): HealthPayload {
  return {
    ts: new Date().toISOString(), device_id: deviceId, version: '0.0.0-test', boot_id: 'b', uptime_s: n,
    cpu: { load_percent: null, load_avg_1m: null, temperature_c: null },
    memory: { total_bytes: null, available_bytes: null, used_percent: null, process_rss_bytes: process.memoryUsage().rss },
    disk: { path: '/', total_bytes: null, free_bytes: null, free_percent: null, state: null },
    cameras: [], stages: [],
    link: { state: 'connected', connected_since: null, reconnects: 0, last_error: null },
    outbox: { depth: 0, bytes: 0, oldest_ts: null, dropped: 0 },
  };
}

function makeLink(mqtt: Partial<MqttConfig> & { url: string }, inDir?: (dir: string) => Partial<MqttConfig>): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-link-'));
  const db = openDb(path.join(dir, 'vigil.db'));
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (s: string) => void logs.push(s) });
  const outbox = new Outbox(db, { maxBytes: 64 * 1024 * 1024, log });
  const bootId = randomUUID();
  let calls = 0;
  const link = new FleetLink({
    config: mqttSchema.parse({ ...mqtt, ...inDir?.(dir) }), deviceId: DEVICE, version: '0.0.0-test', bootId, startedAt: new Date().toISOString(),
    outbox, commands: new CommandRegistry(), health: () => Promise.resolve(healthOf(DEVICE, ++calls)), log,
    backoff: { initialMs: 200, maxMs: 1000 },
  });
  const f = { link, db, outbox, logs, bootId, dir, healthCalls: () => calls };
  fixtures.push(f);
  return f;
}

async function subscriber(topic: string): Promise<TestClient> {
  const c = await TestClient.connect(broker.url);
  clients.push(c);
  await c.subscribe(topic);
  return c;
}

async function waitConnected(link: FleetLink, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (link.snapshot().state !== 'connected') {
    if (Date.now() > until) throw new Error(`link not connected after ${timeoutMs} ms: ${JSON.stringify(link.snapshot())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const status = (payload: string): StatusPayload => JSON.parse(payload) as StatusPayload;

before(async () => {
  broker = await Mosquitto.start();
});

after(async () => {
  await disposeLinkFixtures(fixtures, clients, broker);
});

test('online is published retained (QoS 1) on connect; clean stop leaves stopped retained', async () => {
  // The password file lives in the fixture's dir, so after() removes it whatever happens here.
  const f = makeLink({ url: broker.url, username: 'dev' }, (dir) => {
    const file = path.join(dir, 'mqtt-password');
    fs.writeFileSync(file, 'hunter2-secret\n');
    return { password_file: file };
  });
  const t0 = Date.now();
  await f.link.start();
  assert.ok(Date.now() - t0 < 100, 'start() returns at once');
  await waitConnected(f.link);
  const snap = f.link.snapshot();
  assert.equal(snap.state, 'connected');
  assert.ok(snap.connected_since !== null && Date.parse(snap.connected_since) >= t0 - 1000);
  assert.equal(snap.reconnects, 0);

  // A subscriber that arrives later gets the retained status: what a controller sees after a restart.
  const late = await subscriber(`${BASE}/status`);
  const online = await late.waitFor('retained online', (m) => m.retain && status(m.payload).state === 'online');
  assert.equal(online.topic, `${BASE}/status`);
  assert.equal(online.qos, 1);
  assert.deepEqual(Object.keys(status(online.payload)).sort(), ['boot_id', 'device_id', 'started_at', 'state', 'version']);
  assert.equal(status(online.payload).boot_id, f.bootId);
  assert.equal(status(online.payload).device_id, DEVICE);

  await f.link.stop();
  assert.equal(f.link.snapshot().state, 'stopped');
  const fresh = await subscriber(`${BASE}/status`);
  const stopped = await fresh.waitFor('retained stopped', (m) => m.retain);
  assert.equal(status(stopped.payload).state, 'stopped');
  assert.equal(status(stopped.payload).boot_id, f.bootId);
  // A clean DISCONNECT suppresses the will: nothing after `stopped`.
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(late.messages.filter((m) => status(m.payload).state === 'offline').length, 0);

  const log = f.logs.join('');
  assert.ok(!log.includes('hunter2-secret'), 'the password never reaches the log');
  assert.match(log, /"password":"\[redacted\]"/);
});

test('SIGKILL of the process running the link: the broker publishes the will `offline`, retained', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-link-child-'));
  const bootId = randomUUID();
  const dist = path.resolve(__dirname, '../../src');
  // The child is the real link in its own process, so the kill is a real crash, not a simulation.
  const script = `
    const pino = require('pino');
    const { FleetLink } = require(${JSON.stringify(`${dist}/fleet/link.js`)});
    const { Outbox } = require(${JSON.stringify(`${dist}/fleet/outbox.js`)});
    const { openDb } = require(${JSON.stringify(`${dist}/db.js`)});
    const { CommandRegistry } = require(${JSON.stringify(`${dist}/control/registry.js`)});
    const { mqttSchema } = require(${JSON.stringify(`${dist}/config/schema.js`)});
    const log = pino({ level: 'silent' });
    const db = openDb(${JSON.stringify(path.join(dir, 'vigil.db'))});
    const link = new FleetLink({ config: mqttSchema.parse({ url: ${JSON.stringify(broker.url)}, keepalive_s: 5 }), deviceId: ${JSON.stringify(DEVICE)},
      version: 'child', bootId: ${JSON.stringify(bootId)}, startedAt: new Date().toISOString(), outbox: new Outbox(db, { maxBytes: 1e6, log }),
      commands: new CommandRegistry(), health: async () => ({}), log });
    link.start();
    setInterval(() => { if (link.snapshot().state === 'connected') process.stdout.write('connected\\n'); }, 50);`;
  const sub = await subscriber(`${BASE}/status`);
  const child = spawn(process.execPath, ['-e', script], { cwd: path.resolve(__dirname, '../../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((r) => child.once('exit', r));
  try {
    await sub.waitFor('child online', (m) => status(m.payload).boot_id === bootId && status(m.payload).state === 'online', 10_000);
    child.kill('SIGKILL');
    await exited;
    const will = await sub.waitFor('will offline', (m) => status(m.payload).boot_id === bootId && status(m.payload).state === 'offline', 10_000);
    assert.equal(will.topic, `${BASE}/status`);
    assert.equal(status(will.payload).device_id, DEVICE);
    const fresh = await subscriber(`${BASE}/status`);
    const retained = await fresh.waitFor('retained offline', (m) => m.retain);
    assert.equal(status(retained.payload).state, 'offline');
    assert.equal(status(retained.payload).boot_id, bootId);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('health is published retained (QoS 0) right after connecting and then every health_interval_s', async () => {
  const sub = await subscriber(`${BASE}/health`);
  const f = makeLink({ url: broker.url, health_interval_s: 1 });
  await f.link.start();
  await waitConnected(f.link);
  const connectedAt = Date.now();
  const first = await sub.waitFor('first health', () => true, 3000);
  assert.ok(first.at - connectedAt < 800, `first health ${first.at - connectedAt} ms after connect, before the first interval`);
  await new Promise((r) => setTimeout(r, 3200));
  const got = sub.messages.filter((m) => m.topic === `${BASE}/health`);
  // One at connect, then one per second: 4 in 3.2 s, with one either side for timer slack.
  assert.ok(got.length >= 3 && got.length <= 5, `expected 3-5 health messages in ~3.2 s, got ${got.length}`);
  for (const m of got) assert.equal(m.qos, 0);
  const body = JSON.parse(got[got.length - 1]?.payload ?? '{}') as HealthPayload;
  assert.equal(body.device_id, DEVICE);
  const fresh = await subscriber(`${BASE}/health`);
  const retained = await fresh.waitFor('retained health', (m) => m.retain);
  assert.equal((JSON.parse(retained.payload) as HealthPayload).device_id, DEVICE);

  const before = f.healthCalls();
  await f.link.publishHealthNow();
  assert.equal(f.healthCalls(), before + 1);
  await f.link.stop();
  const afterStop = f.healthCalls();
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(f.healthCalls(), afterStop, 'no health after stop');
});
