// The fleet link end to end: a real vigild with camera processes, a real Mosquitto started
// here, and a controller-side mqtt.js client asserting exact topics, payloads and flags.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { callDaemon } from '../../src/cli/client';
import { sleep, startDaemon, tmpDir, waitFor, writeConfig, type Daemon } from '../helpers/daemon';
import type { HealthPayload } from '../../src/fleet/topics';
import { Mosquitto, TestClient, type Received } from '../helpers/mosquitto';

const BASE = 'vigil/test-dev';
const cleanups: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

function daemonWith(broker: Mosquitto, extra: Record<string, unknown> = {}): { cfg: string; start: () => Daemon } {
  const dir = tmpDir();
  const cfg = writeConfig(dir, [{ name: 'front', fps: 10, segment_seconds: 4 }], { mqtt: { url: broker.url, health_interval_s: 2, keepalive_s: 5, ...extra } });
  return {
    cfg,
    start: () => {
      const d = startDaemon(cfg);
      cleanups.push(() => d.killGroup());
      return d;
    },
  };
}

async function controller(broker: Mosquitto, opts: { clientId?: string; clean?: boolean; protocolVersion?: 4 | 5 } = {}): Promise<TestClient> {
  const c = await TestClient.connect(broker.url, { clientId: opts.clientId ?? `ctl-${Math.random().toString(16).slice(2)}`, clean: opts.clean ?? true, protocolVersion: opts.protocolVersion ?? 4 });
  cleanups.push(() => c.end());
  return c;
}

const json = (m: Received): Record<string, unknown> => JSON.parse(m.payload) as Record<string, unknown>;
const stateOf = (m: Received): unknown => json(m).state;

test('status: online retained, offline by last will on SIGKILL, stopped on a clean stop', { timeout: 90000 }, async () => {
  const broker = await Mosquitto.start();
  cleanups.push(() => broker.dispose());
  const { start } = daemonWith(broker);
  const d1 = start();
  const live = await controller(broker);
  await live.subscribe(`${BASE}/status`);
  await live.waitFor('online', (m) => stateOf(m) === 'online', 20000);

  // A controller that connects later gets the retained status.
  const late = await controller(broker);
  await late.subscribe(`${BASE}/status`);
  const retained = await late.waitFor('retained status', (m) => m.topic === `${BASE}/status`, 5000);
  assert.equal(retained.retain, true);
  assert.equal(retained.qos, 1);
  const online = json(retained);
  assert.equal(online.state, 'online');
  assert.equal(online.device_id, 'test-dev');
  assert.match(String(online.boot_id), /^[0-9a-f-]{36}$/);
  assert.ok(!Number.isNaN(Date.parse(String(online.started_at))));

  await d1.killGroup();
  const offline = await live.waitFor('last will', (m) => stateOf(m) === 'offline', 15000);
  assert.equal(json(offline).boot_id, online.boot_id);

  const d2 = start();
  const online2 = await live.waitFor('online again', (m) => stateOf(m) === 'online' && json(m).boot_id !== online.boot_id, 20000);
  assert.ok(online2);
  await d2.stop();
  await live.waitFor('stopped', (m) => stateOf(m) === 'stopped', 10000);
  const after = await controller(broker);
  await after.subscribe(`${BASE}/status`);
  const final = await after.waitFor('retained stopped', (m) => m.topic === `${BASE}/status`, 5000);
  assert.equal(stateOf(final), 'stopped');
  assert.equal(final.retain, true);
});

/** Asserts that every seq from the first to the last arrived, first occurrences in order. */
function assertSeqComplete(msgs: Received[]): { first: number; last: number; duplicates: number } {
  const seqs = msgs.filter((m) => m.topic.startsWith(`${BASE}/events/`)).map((m) => Number(json(m).seq));
  const seen = new Set<number>();
  const firsts: number[] = [];
  for (const s of seqs) {
    if (seen.has(s)) continue;
    seen.add(s);
    firsts.push(s);
  }
  for (let i = 1; i < firsts.length; i++) assert.equal(firsts[i], firsts[i - 1]! + 1, `seq ${firsts[i - 1]} followed by ${firsts[i]}`);
  return { first: firsts[0]!, last: firsts.at(-1)!, duplicates: seqs.length - firsts.length };
}

async function outage(killDaemonMidway: boolean, t: { diagnostic: (s: string) => void }): Promise<void> {
  const broker = await Mosquitto.start({ persistence: true });
  cleanups.push(() => broker.dispose());
  const { start } = daemonWith(broker);
  let d = start();
  // A controller with a persistent session: the broker queues for it while it is away.
  const sub = await controller(broker, { clientId: 'controller', clean: false });
  await sub.subscribe(`${BASE}/events/#`);
  await sub.waitFor('first event', (m) => m.topic.startsWith(`${BASE}/events/`), 20000);
  await sub.end();

  await broker.stop();
  const downAt = Date.now();
  // 500 selftest events in 10 batches while the broker is away; optionally a crash in the middle.
  for (let i = 0; i < 10; i++) {
    if (killDaemonMidway && i === 5) {
      await d.killGroup();
      d = start();
      await waitFor('daemon socket after restart', async () => (await callDaemon(d.socket, 'ping')).status === 'ok', 20000);
    }
    const res = await waitFor('selftest accepted', async () => {
      const r = await callDaemon(d.socket, 'fleet.selftest', { count: 50 });
      return r.status === 'ok' ? r : null;
    }, 20000);
    assert.equal((res.data as { queued: number }).queued, 50);
    await sleep(1500);
  }
  const depth = (await d.status()).fleet?.outbox.depth ?? 0;
  assert.ok(depth >= 500, `outbox holds ${depth} events`);
  await sleep(Math.max(0, 20000 - (Date.now() - downAt)));
  await broker.start();

  const back = await controller(broker, { clientId: 'controller', clean: false });
  await back.waitFor('all 500 selftest events', () => back.messages.filter((m) => m.topic === `${BASE}/events/selftest`).length >= 500, 60000);
  await waitFor('outbox drained', async () => (await d.status()).fleet?.outbox.depth === 0, 20000);
  const selftest = back.messages.filter((m) => m.topic === `${BASE}/events/selftest`);
  const unique = new Set(selftest.map((m) => json(m).id));
  assert.equal(unique.size, 500);
  for (const m of selftest) assert.equal(m.qos, 1);
  const r = assertSeqComplete(back.messages);
  t.diagnostic(`received seq ${r.first}..${r.last}, ${r.duplicates} duplicates, after a ${((Date.now() - downAt) / 1000).toFixed(0)} s outage`);
  await d.stop();
}

test('broker down for 20 s while 500 events are produced: all arrive in seq order, no gaps', { timeout: 150000 }, async (t) => {
  await outage(false, t);
});

test('the same with vigild SIGKILLed in the middle of the outage: the outbox survives', { timeout: 150000 }, async (t) => {
  await outage(true, t);
});

test('real commands round-trip over MQTT v5 (correlation data), v3.1.1 (id in payload) and the socket', { timeout: 90000 }, async () => {
  const broker = await Mosquitto.start();
  cleanups.push(() => broker.dispose());
  const d = daemonWith(broker).start();
  const v5 = await controller(broker, { protocolVersion: 5 });
  const v4 = await controller(broker, { protocolVersion: 4 });
  await v5.subscribe('ctl/replies');
  await v4.subscribe(`${BASE}/response/#`);
  await v4.subscribe(`${BASE}/status`);
  await v4.waitFor('online', (m) => stateOf(m) === 'online', 20000);
  await waitFor('recording', async () => (await d.status()).cameras[0]?.state === 'recording', 20000);

  const calls: Array<[string, Record<string, unknown>]> = [
    ['ping', {}], ['status', {}], ['health.now', {}], ['segments.list', { camera: 'front', limit: 5 }], ['config.get', {}],
    ['recording.stop', { camera: 'front' }], ['recording.start', { camera: 'front' }], ['stage.restart', { stage: 'retention' }],
    ['fleet.selftest', { count: 2 }], ['config.set', { changes: { retention: { interval_s: 7 } } }],
  ];
  for (const [i, [command, args]] of calls.entries()) {
    const corr = Buffer.from(`corr-${i}`);
    await v5.client.publishAsync(`${BASE}/request/${command}`, JSON.stringify({ args }), { qos: 1, properties: { responseTopic: 'ctl/replies', correlationData: corr } });
    const r5 = await v5.waitFor(`v5 ${command}`, (m) => m.topic === 'ctl/replies' && Buffer.from(m.properties?.correlationData ?? []).equals(corr), 15000);
    assert.equal(json(r5).status, 'ok', `${command} over v5: ${r5.payload}`);

    await v4.publish(`${BASE}/request/${command}`, JSON.stringify({ id: `id-${i}`, args }));
    const r4 = await v4.waitFor(`v4 ${command}`, (m) => m.topic === `${BASE}/response/${command}` && json(m).id === `id-${i}`, 15000);
    assert.equal(json(r4).status, 'ok', `${command} over v3.1.1: ${r4.payload}`);
    assert.equal(r4.retain, false);

    const rs = await callDaemon(d.socket, command, args);
    assert.equal(rs.status, 'ok', `${command} over the socket: ${JSON.stringify(rs.error)}`);
  }

  // Errors are precise and name the problem, the same on every transport.
  const bad: Array<[string, string, string]> = [
    ['segments.list', JSON.stringify({ id: 'b1', args: { camera: '../../etc' } }), 'bad_args'],
    ['recording.stop', JSON.stringify({ id: 'b2', args: { camera: 'rear' } }), 'unknown_camera'],
    ['nosuch.command', JSON.stringify({ id: 'b3' }), 'unknown_command'],
    ['ping', '{not json', 'bad_json'],
    ['ping', JSON.stringify({ id: 'b5', expires_at: '2020-01-01T00:00:00Z' }), 'expired'],
    ['config.set', JSON.stringify({ id: 'b6', args: { changes: { retention: { interval_s: -1 } } } }), 'invalid_config'],
  ];
  for (const [command, payload, code] of bad) {
    const before = v4.messages.length;
    await v4.publish(`${BASE}/request/${command}`, payload);
    const r = await v4.waitFor(`error for ${command}`, (m) => v4.messages.indexOf(m) >= before && m.topic === `${BASE}/response/${command}`, 10000);
    const body = json(r) as { status: string; error?: { code: string; message: string } };
    assert.equal(body.status, 'error', r.payload);
    assert.equal(body.error?.code, code, r.payload);
  }
  await d.stop();
});

test('health: published retained at the interval with real readings, null where this machine has none', { timeout: 60000 }, async () => {
  const broker = await Mosquitto.start();
  cleanups.push(() => broker.dispose());
  const d = daemonWith(broker).start();
  const c = await controller(broker);
  await c.subscribe(`${BASE}/health`, 0);
  await waitFor('recording', async () => (await d.status()).cameras[0]?.state === 'recording', 20000);
  const h = await c.waitFor('health with camera frames', (m) => {
    const p = json(m) as { cameras?: Array<{ frames_written: number; fps_in: number }> };
    return (p.cameras?.[0]?.frames_written ?? 0) > 0 && (p.cameras?.[0]?.fps_in ?? 0) > 0;
  }, 20000);
  const p = json(h) as unknown as HealthPayload;
  assert.equal(h.qos, 0);
  assert.equal(p.device_id, 'test-dev');
  assert.ok(p.cpu.load_percent !== null && p.cpu.load_percent >= 0 && p.cpu.load_percent <= 100);
  assert.ok(p.cpu.temperature_c === null || (p.cpu.temperature_c > -40 && p.cpu.temperature_c < 150));
  assert.ok((p.memory.total_bytes ?? 0) > 0 && (p.memory.available_bytes ?? 0) > 0);
  assert.ok((p.disk.total_bytes ?? 0) > 0 && (p.disk.free_bytes ?? 0) > 0 && p.disk.state === 'ok');
  const cam = p.cameras[0]!;
  assert.equal(cam.name, 'front');
  assert.equal(cam.encoder, 'x264enc');
  assert.ok(cam.fps_in > 0);
  assert.equal(p.link.state, 'connected');
  assert.equal(typeof p.outbox.depth, 'number');
  assert.ok(p.stages.some((s) => s.name === 'camera:front'));
  const second = await c.waitFor('next health', (m) => m !== h && m.topic === `${BASE}/health` && m.at > h.at, 5000);
  assert.ok(second.at - h.at < 4000);
  const late = await controller(broker);
  await late.subscribe(`${BASE}/health`, 0);
  assert.equal((await late.waitFor('retained health', () => true, 5000)).retain, true);
  await d.stop();
});
