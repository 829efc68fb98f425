// FleetLink across broker outages, against a real Mosquitto that the test stops and restarts
// on the same port: events appended while the broker is down all arrive afterwards, in seq
// order with no gaps; reconnect attempts back off increasingly and the link comes back.
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
import type { BackoffOptions } from '../../src/supervision/backoff';
import { FleetLink } from '../../src/fleet/link';
import { Outbox } from '../../src/fleet/outbox';
import { DeviceTopics, type EventPayload, type HealthPayload } from '../../src/fleet/topics';
import { Mosquitto, TestClient } from '../helpers/mosquitto';
import { disposeLinkFixtures } from '../helpers/link-fixture';

const DEVICE = 'cam-outage-1';
const topics = new DeviceTopics('vigil', DEVICE);

interface Fixture { link: FleetLink; db: Db; outbox: Outbox; dir: string }

const fixtures: Fixture[] = [];
const clients: TestClient[] = [];
let broker: Mosquitto;

function makeLink(mqtt: Partial<MqttConfig> & { url: string }, backoff: BackoffOptions): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-link-'));
  const db = openDb(path.join(dir, 'vigil.db'));
  const log = pino({ level: 'silent' });
  const outbox = new Outbox(db, { maxBytes: 64 * 1024 * 1024, log });
  const link = new FleetLink({
    config: mqttSchema.parse(mqtt), deviceId: DEVICE, version: '0.0.0-test', bootId: randomUUID(), startedAt: new Date().toISOString(),
    outbox, commands: new CommandRegistry(), health: () => Promise.resolve({ device_id: DEVICE } as HealthPayload), log, backoff,
  });
  const f = { link, db, outbox, dir };
  fixtures.push(f);
  return f;
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

before(async () => {
  // Persistence only here: the test subscriber's QoS 1 session must survive the restart, so it
  // is subscribed before the link can possibly publish (the link reconnects on its own timer).
  broker = await Mosquitto.start({ persistence: true });
});

after(async () => {
  await disposeLinkFixtures(fixtures, clients, broker);
});

test('500 events appended while the broker is down all arrive after it returns: in order, no gaps, outbox empty', async (t) => {
  const subOpts = { clientId: `sub-${randomUUID()}`, clean: false, protocolVersion: 4 as const };
  const sub = await TestClient.connect(broker.url, subOpts);
  clients.push(sub);
  await sub.subscribe(topics.events, 1);
  const f = makeLink({ url: broker.url, client_id: 'vigil-drain' }, { initialMs: 500, maxMs: 4000 });
  await f.link.start();
  await until('connected', () => f.link.snapshot().state === 'connected', 5000);

  await broker.stop();
  await until('link sees the outage', () => f.link.snapshot().state !== 'connected', 5000);
  const appended: EventPayload[] = [];
  for (let i = 1; i <= 500; i++) appended.push(f.outbox.append(topics.event('selftest'), 'selftest', { n: i, of: 500, batch: 'outage' }, { telemetry: false }));
  assert.equal(f.outbox.stats().depth, 500);
  const reconnectsBefore = f.link.snapshot().reconnects;
  await sleep(5500);
  const during = f.link.snapshot();
  assert.ok(during.reconnects > reconnectsBefore, `reconnect attempts while down: ${JSON.stringify(during)}`);
  assert.notEqual(during.state, 'connected');
  assert.equal(f.outbox.stats().depth, 500, 'nothing acked while the broker is down');

  await broker.start();
  // The subscriber's persistent session is back from disk; reconnecting it resumes delivery.
  const sub2 = await TestClient.connect(broker.url, subOpts);
  clients.push(sub2);
  await until('link reconnects', () => f.link.snapshot().state === 'connected', 10_000);
  const t1 = Date.now();
  await until('outbox drained', () => f.outbox.stats().depth === 0, 15_000);
  t.diagnostic(`500 events drained ${Date.now() - t1} ms after reconnecting`);
  const seqsOf = (c: TestClient): number[] => c.messages.filter((m) => m.topic === topics.event('selftest')).map((m) => (JSON.parse(m.payload) as EventPayload).seq);
  await until('500 distinct seqs at the subscriber', () => new Set(seqsOf(sub2)).size >= 500, 15_000);

  const seqs = seqsOf(sub2);
  t.diagnostic(`subscriber got ${seqs.length} event messages (${seqs.length - 500} duplicates)`);
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const s of seqs) {
    if (seen.has(s)) continue;
    seen.add(s);
    firsts.push(s);
  }
  const expected = appended.map((p) => p.seq);
  assert.deepEqual(firsts, expected, 'first occurrences are exactly the appended seqs, in order');
  for (let i = 1; i < expected.length; i++) assert.equal(expected[i], (expected[i - 1] ?? 0) + 1, 'seqs have no gaps');
  for (const m of sub2.messages) assert.equal(m.retain, false, 'events are never retained');
  const snap = f.link.snapshot();
  assert.equal(snap.inflight, 0);
  assert.ok(snap.acked >= 500 && snap.published >= snap.acked, JSON.stringify(snap));
  assert.deepEqual({ depth: f.outbox.stats().depth, bytes: f.outbox.stats().bytes }, { depth: 0, bytes: 0 });

  // Appends while connected are woken onto the wire without waiting for anything else.
  const live = f.outbox.append(topics.event('selftest'), 'selftest', { n: 501, of: 501, batch: 'live' });
  await sub2.waitFor('live event', (m) => m.payload.includes(`"seq":${live.seq}`), 3000);
  await until('live event acked', () => f.outbox.stats().depth === 0, 3000);
  await f.link.stop();
});

test('reconnect attempts back off increasingly while the broker is down, and the link returns with it', async (t) => {
  const f = makeLink({ url: broker.url, client_id: 'vigil-backoff' }, { initialMs: 250, maxMs: 2000, jitter: 0.2 });
  await f.link.start();
  await until('connected', () => f.link.snapshot().state === 'connected', 5000);
  await broker.stop();
  const attempts: number[] = [];
  let last = f.link.snapshot().reconnects;
  const t0 = Date.now();
  while (Date.now() - t0 < 8000) {
    const r = f.link.snapshot().reconnects;
    if (r !== last) {
      attempts.push(Date.now());
      last = r;
    }
    await sleep(10);
  }
  const snap = f.link.snapshot();
  assert.notEqual(snap.state, 'connected');
  assert.ok(snap.last_error !== null && /ECONNREFUSED|connection lost/.test(snap.last_error), `last_error: ${snap.last_error}`);
  const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] ?? at));
  t.diagnostic(`gaps between reconnect attempts (ms): ${gaps.join(', ')}; last_error: ${snap.last_error}`);
  // Expected delays 250, 500, 1000, 2000, 2000 ms (±20 %): the first gaps double, then the cap holds.
  assert.ok(attempts.length >= 4 && attempts.length <= 7, `attempts in 8 s: ${attempts.length} (gaps ${gaps.join(', ')})`);
  assert.ok((gaps[0] ?? 0) > 300 && (gaps[0] ?? 0) < 700, `first gap ~500 ms: ${gaps.join(', ')}`);
  assert.ok((gaps[1] ?? 0) > (gaps[0] ?? 0) * 1.3, `second gap grows: ${gaps.join(', ')}`);
  assert.ok((gaps[2] ?? 0) > (gaps[1] ?? 0) * 1.3, `third gap grows: ${gaps.join(', ')}`);
  for (const g of gaps) assert.ok(g <= 2000 * 1.2 + 100, `no gap beyond the cap: ${gaps.join(', ')}`);

  await broker.start();
  await until('reconnected after the broker returns', () => f.link.snapshot().state === 'connected', 2000 * 1.2 + 3000);
  const back = f.link.snapshot();
  assert.ok(back.reconnects >= attempts.length, JSON.stringify(back));
  assert.ok(back.connected_since !== null);
  const status = await TestClient.connect(broker.url);
  clients.push(status);
  await status.subscribe(topics.status);
  const online = await status.waitFor('online after reconnect', (m) => m.retain, 3000);
  assert.equal((JSON.parse(online.payload) as { state: string }).state, 'online');
  await f.link.stop();
});

test('a broker restart in the middle of a drain: duplicates allowed, gaps and reordering not', async (t) => {
  const subOpts = { clientId: `sub-${randomUUID()}`, clean: false, protocolVersion: 4 as const };
  const sub = await TestClient.connect(broker.url, subOpts);
  clients.push(sub);
  await sub.subscribe(topics.events, 1);
  const logFrom = broker.log().length;
  const f = makeLink({ url: broker.url, client_id: 'vigil-mid-drain' }, { initialMs: 300, maxMs: 1000 });
  const N = 6000;
  // One transaction for the whole backlog, so the test spends its time draining, not fsyncing.
  const appended = f.outbox.appendMany(Array.from({ length: N }, (_, i) => ({ topic: topics.event('selftest'), type: 'selftest' as const, body: { n: i + 1, of: N, batch: 'mid-drain' }, telemetry: false })));
  await f.link.start();
  await until('part of the backlog acked', () => f.link.snapshot().acked >= 1000, 15_000);
  await broker.stop();
  const cut = f.link.snapshot();
  t.diagnostic(`broker stopped with ${cut.acked} acked, ${cut.inflight} in flight, outbox depth ${f.outbox.stats().depth}`);
  assert.ok(f.outbox.stats().depth > 0, 'the cut happened mid-drain');
  await broker.start();
  const sub2 = await TestClient.connect(broker.url, subOpts);
  clients.push(sub2);
  await until('outbox drained after the restart', () => f.outbox.stats().depth === 0, 30_000);
  const seqsOf = (c: TestClient): number[] => c.messages.map((m) => (JSON.parse(m.payload) as EventPayload).seq);
  await until(`${N} distinct seqs`, () => new Set([...seqsOf(sub), ...seqsOf(sub2)]).size >= N, 15_000);
  const seqs = [...seqsOf(sub), ...seqsOf(sub2)];
  const firsts: number[] = [];
  const seen = new Set<number>();
  for (const s of seqs) {
    if (seen.has(s)) continue;
    seen.add(s);
    firsts.push(s);
  }
  t.diagnostic(`subscriber got ${seqs.length} messages for ${N} events (${seqs.length - N} duplicates)`);
  assert.deepEqual(firsts, appended.map((p) => p.seq), 'every seq, first occurrences in order');
  // Publishes failing as the connection died must not start a second reconnect chain: two
  // clients with one client id would keep kicking each other off the broker.
  await sleep(1500);
  assert.doesNotMatch(broker.log().slice(logFrom), /already connected, closing old connection/);
  assert.equal(f.link.snapshot().state, 'connected');
  await f.link.stop();
});
