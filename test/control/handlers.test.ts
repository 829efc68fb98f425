// Command handlers on a stub CommandContext: the policy each handler owns (read-only keys,
// disabled cameras, redaction, error codes) without a daemon, plus App's fleet hooks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { App } from '../../src/app';
import { parseConfigText } from '../../src/config/load';
import { ConfigChangeError } from '../../src/config/store';
import { buildCommands } from '../../src/control/commands';
import type { CommandContext, ConfigChanges } from '../../src/control/commands/context';
import type { HealthPayload } from '../../src/fleet/topics';

const CONFIG = parseConfigText(`
device: { id: dev-1 }
data_dir: /tmp/vigil-handlers
cameras:
  - { name: door, source: { kind: test } }
  - { name: yard, enabled: false, source: { kind: test } }
mqtt: { url: "mqtts://broker:8883", username: u, password: hunter2 }
`, 'handlers.yaml');

function stub(over: Partial<CommandContext> = {}): { ctx: CommandContext; calls: unknown[][] } {
  const calls: unknown[][] = [];
  const ctx: CommandContext = {
    config: CONFIG,
    status: () => assert.fail('status not expected'),
    listSegments: (...a) => (calls.push(['listSegments', ...a]), []),
    health: () => assert.fail('health not expected'),
    stopRecording: async (names) => (calls.push(['stop', names]), []),
    startRecording: async (names) => (calls.push(['start', names]), []),
    stageNames: () => ['camera:door', 'retention'],
    restartStage: async (s) => (calls.push(['restart', s]), { stage: s }),
    applyConfigChanges: async (c: ConfigChanges) => (calls.push(['apply', c]), { applied: [], restart_required: [] }),
    selftest: () => assert.fail('selftest not expected'),
    ...over,
  };
  return { ctx, calls };
}

test('config.set: device.id and data_dir are read-only, unless the change repeats the current value', async () => {
  const { ctx, calls } = stub();
  const reg = buildCommands(ctx);
  for (const changes of [{ device: { id: 'dev-2' } }, { device: { id: null } }, { device: 'dev-2' }]) {
    const res = await reg.dispatch({ command: 'config.set', args: { changes } });
    assert.deepEqual(res.error, { code: 'read_only', message: 'device.id cannot be changed remotely; re-enroll the device' }, JSON.stringify(changes));
  }
  const dataDir = await reg.dispatch({ command: 'config.set', args: { changes: { data_dir: null } } });
  assert.equal(dataDir.error?.code, 'read_only');
  assert.deepEqual(calls, [], 'nothing reached the context');

  const same = await reg.dispatch({ command: 'config.set', args: { changes: { device: { id: 'dev-1' }, data_dir: '/tmp/vigil-handlers' } } });
  assert.equal(same.status, 'ok');
  assert.equal(calls.length, 1);
});

test('config.set: a ConfigChangeError from the store keeps its code and message', async () => {
  const { ctx } = stub({ applyConfigChanges: () => Promise.reject(new ConfigChangeError('unknown_camera', 'unknown camera "x" in changes.cameras; known: door, yard')) });
  const res = await buildCommands(ctx).dispatch({ id: 'r1', command: 'config.set', args: { changes: { cameras: { x: {} } } } });
  assert.deepEqual(res, { id: 'r1', status: 'error', data: null, error: { code: 'unknown_camera', message: 'unknown camera "x" in changes.cameras; known: door, yard' } });
});

test('config.get redacts the broker password without touching the running config', async () => {
  const { ctx } = stub();
  const res = await buildCommands(ctx).dispatch({ command: 'config.get' });
  assert.equal((res.data as typeof CONFIG).mqtt?.password, '[redacted]');
  assert.equal(CONFIG.mqtt?.password, 'hunter2');
});

test('recording.start/stop: omitted camera means every configured camera; a disabled one asked by name is refused', async () => {
  const { ctx, calls } = stub();
  const reg = buildCommands(ctx);
  assert.equal((await reg.dispatch({ command: 'recording.stop' })).status, 'ok');
  assert.equal((await reg.dispatch({ command: 'recording.start', args: { camera: 'door' } })).status, 'ok');
  const disabled = await reg.dispatch({ command: 'recording.start', args: { camera: 'yard' } });
  assert.deepEqual(disabled.error, { code: 'camera_disabled', message: 'camera "yard" is disabled in the config; enable it with config.set' });
  assert.deepEqual(calls, [['stop', ['door', 'yard']], ['start', ['door']]]);
});

test('health.now and fleet.selftest use the hooks the context provides', async () => {
  const payload = { ts: 'now', device_id: 'dev-1' } as HealthPayload;
  const { ctx } = stub({ health: async () => payload, selftest: async (n) => ({ batch: 'b1', queued: n }) });
  const reg = buildCommands(ctx);
  assert.deepEqual((await reg.dispatch({ command: 'health.now' })).data, payload);
  assert.deepEqual((await reg.dispatch({ command: 'fleet.selftest', args: { count: 7 } })).data, { batch: 'b1', queued: 7 });
});

test('App: without hooks health/selftest are unavailable; with them (options or attachFleet) they answer', async () => {
  const log = pino({ level: 'silent' });
  const bare = new App({ config: CONFIG, log, socketPath: null });
  await assert.rejects(bare.health(), { name: 'CommandError', code: 'unavailable' });
  await assert.rejects(bare.selftest(1), { code: 'unavailable', message: 'no outbox' });
  await assert.rejects(bare.applyConfigChanges({ log: { level: 'debug' } }), { code: 'unavailable' });

  const payload = { ts: 't' } as HealthPayload;
  const wired = new App({ config: CONFIG, log, socketPath: null, health: async () => payload });
  assert.equal(await wired.health(), payload);
  wired.attachFleet({ selftest: async (n) => ({ batch: 'x', queued: n }) });
  assert.deepEqual(await wired.selftest(4), { batch: 'x', queued: 4 });
});
