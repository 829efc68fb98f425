// Requests over a real Mosquitto, MQTT v5 (correlationData + responseTopic) and v3.1.1 (id in
// the payload): ok responses, and every malformed request answered with its precise code
// without the handler running. Retained requests are never executed and never answered.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { mqttSchema } from '../../src/config/schema';
import { CommandRegistry, defineCommand } from '../../src/control/registry';
import { openDb, type Db } from '../../src/db';
import { FleetLink } from '../../src/fleet/link';
import { Outbox } from '../../src/fleet/outbox';
import { DeviceTopics, type HealthPayload, type ResponsePayload } from '../../src/fleet/topics';
import { Mosquitto, TestClient, type Received } from '../helpers/mosquitto';
import { disposeLinkFixtures } from '../helpers/link-fixture';

const MAX_PAYLOAD = 1024;
const RATE = 5;

interface Fixture { link: FleetLink; db: Db; dir: string; calls: string[]; logs: string[] }

const fixtures: Fixture[] = [];
const clients: TestClient[] = [];
let broker: Mosquitto;

function makeLink(device: string, protocol: 4 | 5): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-link-'));
  const db = openDb(path.join(dir, 'vigil.db'));
  const logs: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void logs.push(s) });
  const calls: string[] = [];
  const commands = new CommandRegistry();
  commands.register(defineCommand({
    name: 'echo', description: 'returns its text', args: z.strictObject({ text: z.string() }),
    handler: (a) => (calls.push(`echo:${a.text}`), { text: a.text }),
  }));
  commands.register(defineCommand({
    name: 'limited', description: 'counts calls', args: z.strictObject({}),
    handler: () => (calls.push('limited'), { n: calls.length }),
  }));
  const link = new FleetLink({
    config: mqttSchema.parse({ url: broker.url, protocol_version: protocol, max_payload_bytes: MAX_PAYLOAD, rate_limit_per_min: RATE }),
    deviceId: device, version: '0.0.0-test', bootId: randomUUID(), startedAt: new Date().toISOString(),
    outbox: new Outbox(db, { maxBytes: 1e6, log }), commands, health: () => Promise.resolve({ device_id: device } as HealthPayload), log,
  });
  const f = { link, db, dir, calls, logs };
  fixtures.push(f);
  return f;
}

async function connected(link: FleetLink): Promise<void> {
  const until = Date.now() + 5000;
  while (link.snapshot().state !== 'connected') {
    if (Date.now() > until) throw new Error(`link not connected: ${JSON.stringify(link.snapshot())}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  // The SUBACK follows CONNACK by one round trip; give it that before the first request.
  await new Promise((r) => setTimeout(r, 100));
}

async function requester(protocol: 4 | 5, subscriptions: string[]): Promise<TestClient> {
  const c = await TestClient.connect(broker.url, { protocolVersion: protocol });
  clients.push(c);
  for (const s of subscriptions) await c.subscribe(s);
  return c;
}

const body = (m: Received): ResponsePayload => JSON.parse(m.payload) as ResponsePayload;

before(async () => {
  broker = await Mosquitto.start();
});

after(async () => {
  await disposeLinkFixtures(fixtures, clients, broker);
});

describe('MQTT v5 requests', () => {
  const device = 'cam-req-v5';
  const topics = new DeviceTopics('vigil', device);
  let f: Fixture;
  let c: TestClient;

  before(async () => {
    f = makeLink(device, 5);
    await f.link.start();
    await connected(f.link);
    c = await requester(5, [`${topics.base}/response/+`, 'test/replies/#']);
  });

  /** Publishes a request and waits for the reply that echoes `corr`. */
  async function ask(command: string, payload: string | Buffer, corr: string, responseTopic?: string): Promise<Received> {
    await c.publish(topics.request(command), payload, { qos: 1, properties: { correlationData: Buffer.from(corr), ...(responseTopic ? { responseTopic } : {}) } });
    return c.waitFor(`reply ${corr}`, (m) => m.properties?.correlationData?.toString() === corr, 5000);
  }

  test('ok: reply on responseTopic, correlationData echoed, id from correlationData, QoS 1 not retained', async () => {
    const r = await ask('echo', JSON.stringify({ args: { text: 'hi' } }), 'corr-1', 'test/replies/a');
    assert.equal(r.topic, 'test/replies/a');
    assert.equal(r.qos, 1);
    assert.equal(r.retain, false);
    assert.deepEqual(body(r), { id: 'corr-1', status: 'ok', data: { text: 'hi' } });
    assert.deepEqual(f.calls, ['echo:hi']);
  });

  test('payload id wins over correlationData; without responseTopic the reply goes to response/<command>', async () => {
    const r = await ask('echo', JSON.stringify({ id: 'payload-id', args: { text: 'x' } }), 'corr-2');
    assert.equal(r.topic, topics.response('echo'));
    assert.deepEqual(body(r), { id: 'payload-id', status: 'ok', data: { text: 'x' } });
  });

  const refused: [string, string, string | Buffer, string, string?][] = [
    ['bad JSON', 'echo', '{"args":', 'bad_json'],
    ['array payload', 'echo', '[1,2]', 'bad_request'],
    ['id of wrong type', 'echo', JSON.stringify({ id: 42, args: { text: 'a' } }), 'bad_request'],
    ['unknown top-level key', 'echo', JSON.stringify({ args: { text: 'a' }, status: 'ok' }), 'bad_request'],
    ['expires_at of wrong type', 'echo', JSON.stringify({ args: { text: 'a' }, expires_at: 5 }), 'bad_request'],
    ['expired', 'echo', JSON.stringify({ args: { text: 'a' }, expires_at: new Date(Date.now() - 1000).toISOString() }), 'expired'],
    ['unparsable expires_at', 'echo', JSON.stringify({ args: { text: 'a' }, expires_at: 'tomorrow-ish' }), 'expired'],
    ['huge payload', 'echo', JSON.stringify({ args: { text: 'z'.repeat(MAX_PAYLOAD) } }), 'too_large'],
    ['unknown command', 'nosuch', JSON.stringify({}), 'unknown_command'],
    ['bad args (from the registry)', 'echo', JSON.stringify({ args: { text: 7 } }), 'bad_args'],
    ['wildcard responseTopic', 'echo', JSON.stringify({ args: { text: 'a' } }), 'bad_request', 'test/replies/+'],
    ['responseTopic on a vigil request topic', 'echo', JSON.stringify({ args: { text: 'a' } }), 'bad_request', 'vigil/other-cam/request/echo'],
  ];
  for (const [what, command, payload, code, responseTopic] of refused) {
    test(`${what} → ${code}, handler not called`, async () => {
      const before = f.calls.length;
      const corr = `c-${randomUUID()}`;
      const r = await ask(command, payload, corr, responseTopic);
      // An unusable responseTopic is never published to: the refusal goes to response/<command>.
      assert.equal(r.topic, topics.response(command));
      const b = body(r);
      assert.equal(b.status, 'error');
      assert.equal(b.error?.code, code, `${what}: ${JSON.stringify(b)}`);
      assert.equal(b.id, corr);
      assert.equal(f.calls.length, before, 'handler not called');
    });
  }

  test(`rate limit: ${RATE} per minute per command, then rate_limited without running the handler`, async () => {
    const codes: string[] = [];
    for (let i = 0; i <= RATE; i++) codes.push(body(await ask('limited', '{}', `rl-${i}`)).error?.code ?? 'ok');
    assert.deepEqual(codes, [...Array<string>(RATE).fill('ok'), 'rate_limited']);
    assert.equal(f.calls.filter((x) => x === 'limited').length, RATE);
    // Other commands have their own bucket.
    assert.equal(body(await ask('echo', JSON.stringify({ args: { text: 'still' } }), 'rl-echo')).status, 'ok');
  });
});

test('MQTT v3.1.1: id travels in the payload; reply on response/<command>; errors carry the id', async () => {
  const device = 'cam-req-v4';
  const topics = new DeviceTopics('vigil', device);
  const f = makeLink(device, 4);
  await f.link.start();
  await connected(f.link);
  const c = await requester(4, [`${topics.base}/response/+`]);
  await c.publish(topics.request('echo'), JSON.stringify({ id: 'v4-1', args: { text: 'hello' } }));
  const ok = await c.waitFor('v4 reply', (m) => body(m).id === 'v4-1');
  assert.equal(ok.topic, topics.response('echo'));
  assert.equal(ok.qos, 1);
  assert.equal(ok.retain, false);
  assert.deepEqual(body(ok), { id: 'v4-1', status: 'ok', data: { text: 'hello' } });
  await c.publish(topics.request('echo'), JSON.stringify({ id: 'v4-2', args: { nope: 1 } }));
  assert.equal(body(await c.waitFor('v4 bad args', (m) => body(m).id === 'v4-2')).error?.code, 'bad_args');
  await c.publish(topics.request('echo'), 'not json');
  const bad = await c.waitFor('v4 bad json', (m) => body(m).error?.code === 'bad_json');
  assert.equal(body(bad).id, null, 'no id to echo when the payload is not JSON');
  assert.deepEqual(f.calls, ['echo:hello']);
});

for (const protocol of [4, 5] as const) {
  test(`v${protocol === 5 ? '5' : '3.1.1'}: a retained request left on the broker is never executed nor answered at start`, async () => {
    const device = `cam-retained-v${protocol}`;
    const topics = new DeviceTopics('vigil', device);
    const c = await requester(protocol, [`${topics.base}/response/+`]);
    await c.publish(topics.request('echo'), JSON.stringify({ id: 'stale', args: { text: 'stale' } }), { qos: 1, retain: true });
    const f = makeLink(device, protocol);
    try {
      await f.link.start();
      await connected(f.link);
      await new Promise((r) => setTimeout(r, 2000));
      assert.equal(c.messages.length, 0, `no response to a retained request: ${JSON.stringify(c.messages)}`);
      assert.deepEqual(f.calls, []);
      // v3.1.1 gets the retained copy (retain flag set) and drops it; v5 subscribes with
      // retain handling 2, so the broker does not even send it.
      const ignored = f.logs.filter((l) => l.includes('retained request ignored')).length;
      assert.equal(ignored, protocol === 4 ? 1 : 0);
    } finally {
      // Clear the retained request so it cannot leak into anything else on this broker.
      await c.publish(topics.request('echo'), '', { qos: 1, retain: true });
    }
    // The subscription is live: a normal request is served.
    await c.publish(topics.request('echo'), JSON.stringify({ id: 'live', args: { text: 'live' } }));
    assert.equal(body(await c.waitFor('live reply', (m) => body(m).id === 'live')).status, 'ok');
    assert.deepEqual(f.calls, ['echo:live']);
  });
}
