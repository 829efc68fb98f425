// EventBus: one failing listener (sync throw or async rejection) is logged with its owner and
// the event name, and never stops the other listeners; unsubscribe removes exactly one listener.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../src/bus';

interface TestEvents {
  ping: { n: number };
  other: { s: string };
}

interface LogLine { level: number; msg: string; owner?: string; event?: string; err?: { message?: string } }

/** A real pino logger whose JSON lines land in memory. */
function memoryLogger() {
  const lines: LogLine[] = [];
  const stream = { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) };
  return { log: pino({ level: 'debug' }, stream), lines };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

test('a throwing listener is logged with owner and event, and the others still run', () => {
  const { log, lines } = memoryLogger();
  const bus = new EventBus<TestEvents>(log);
  const seen: string[] = [];
  bus.on('ping', 'first', (p) => void seen.push(`first:${p.n}`));
  bus.on('ping', 'thrower', () => {
    throw new Error('boom in listener');
  });
  bus.on('ping', 'last', (p) => void seen.push(`last:${p.n}`));

  assert.doesNotThrow(() => bus.emit('ping', { n: 7 }));
  assert.deepEqual(seen, ['first:7', 'last:7']);
  const failures = lines.filter((l) => l.msg === 'event listener failed');
  assert.equal(failures.length, 1, JSON.stringify(lines));
  const line = failures[0];
  assert.ok(line);
  assert.equal(line.owner, 'thrower');
  assert.equal(line.event, 'ping');
  assert.equal(line.err?.message, 'boom in listener');
  assert.equal(line.level, 50, 'logged at error level');
});

test('a rejecting async listener is logged with owner and event, and the others still run', async () => {
  const { log, lines } = memoryLogger();
  const bus = new EventBus<TestEvents>(log);
  const seen: number[] = [];
  bus.on('ping', 'async-bad', async () => {
    await tick();
    throw new Error('async boom');
  });
  bus.on('ping', 'async-good', async (p) => {
    await tick();
    seen.push(p.n);
  });
  bus.on('ping', 'sync-good', (p) => void seen.push(p.n * 10));

  bus.emit('ping', { n: 3 });
  assert.deepEqual(seen, [30], 'synchronous listener ran during emit');
  await tick();
  await tick();
  assert.deepEqual(seen, [30, 3]);
  const failures = lines.filter((l) => l.msg === 'event listener failed');
  assert.equal(failures.length, 1, JSON.stringify(lines));
  assert.equal(failures[0]?.owner, 'async-bad');
  assert.equal(failures[0]?.event, 'ping');
  assert.equal(failures[0]?.err?.message, 'async boom');
});

test('listeners only get their own event, and emitting with no listeners is harmless', () => {
  const { log, lines } = memoryLogger();
  const bus = new EventBus<TestEvents>(log);
  const got: string[] = [];
  bus.on('other', 'o', (p) => void got.push(p.s));
  bus.emit('ping', { n: 1 });
  bus.emit('other', { s: 'x' });
  assert.deepEqual(got, ['x']);
  assert.equal(lines.length, 0);
});

test('unsubscribe removes only that listener; calling it twice is harmless', () => {
  const { log } = memoryLogger();
  const bus = new EventBus<TestEvents>(log);
  const seen: string[] = [];
  const offA = bus.on('ping', 'a', () => void seen.push('a'));
  bus.on('ping', 'b', () => void seen.push('b'));
  // The same function registered twice is two subscriptions; unsubscribing one keeps the other.
  const shared = () => void seen.push('s');
  const offS1 = bus.on('ping', 's1', shared);
  bus.on('ping', 's2', shared);

  bus.emit('ping', { n: 1 });
  assert.deepEqual(seen, ['a', 'b', 's', 's']);

  seen.length = 0;
  offA();
  offS1();
  offA();
  bus.emit('ping', { n: 2 });
  assert.deepEqual(seen, ['b', 's']);
});

test('a listener that unsubscribes itself during emit does not make others miss the event', () => {
  const { log } = memoryLogger();
  const bus = new EventBus<TestEvents>(log);
  const seen: string[] = [];
  const off: () => void = bus.on('ping', 'once', () => {
    seen.push('once');
    off();
  });
  bus.on('ping', 'after', () => void seen.push('after'));
  bus.emit('ping', { n: 1 });
  bus.emit('ping', { n: 2 });
  assert.deepEqual(seen, ['once', 'after', 'after']);
});
