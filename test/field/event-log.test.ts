// The event ring behind events.recent: seq grows by one per bus event, `after` resumes where
// a follower stopped, `limit` keeps the newest, and the ring forgets beyond its capacity.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/bus';
import { buildCommands } from '../../src/control/commands';
import type { CommandContext } from '../../src/control/commands/context';
import { EventLog } from '../../src/control/event-log';
import type { VigilEvents } from '../../src/events';

function rec(bus: EventBus<VigilEvents>, n: number, from = 0): void {
  for (let i = from; i < from + n; i++) bus.emit('recording', { camera: `c${i}`, state: 'recording', cause: `n${i}` });
}

test('seq, after and limit', () => {
  const bus = new EventBus<VigilEvents>(pino({ level: 'silent' }));
  const log = new EventLog(bus, 10);
  rec(bus, 2);
  assert.deepEqual(log.recent().events, [], 'nothing recorded before start()');
  log.start();
  rec(bus, 3);
  bus.emit('stage', { stage: 'camera:c1', state: 'restarting', cause: 'stall', attempt: 1, nextRetryS: 1 });
  const all = log.recent();
  assert.deepEqual(all.events.map((e) => [e.seq, e.type]), [[1, 'recording'], [2, 'recording'], [3, 'recording'], [4, 'stage']]);
  assert.equal(all.last_seq, 4);
  assert.deepEqual(log.recent(2).events.map((e) => e.seq), [3, 4]);
  assert.deepEqual(log.recent(0, 1).events.map((e) => e.seq), [4], 'limit keeps the newest');
  assert.deepEqual(log.recent(4), { events: [], last_seq: 4 });
  log.stop();
  rec(bus, 1);
  assert.equal(log.recent().last_seq, 4, 'stop() unsubscribes');
});

test('capacity: the oldest go first, seq keeps counting', () => {
  const bus = new EventBus<VigilEvents>(pino({ level: 'silent' }));
  const log = new EventLog(bus, 5);
  log.start();
  rec(bus, 12);
  const r = log.recent(0, 100);
  assert.deepEqual(r.events.map((e) => e.seq), [8, 9, 10, 11, 12]);
  assert.deepEqual((r.events[0]?.data as { cause: string }).cause, 'n7');
});

test('events.recent command: validates its arguments and answers unavailable without a log', async () => {
  const bus = new EventBus<VigilEvents>(pino({ level: 'silent' }));
  const log = new EventLog(bus);
  log.start();
  rec(bus, 3);
  const reg = buildCommands({ eventLog: log } as unknown as CommandContext);
  const res = await reg.dispatch({ command: 'events.recent', args: { after: 1 } });
  assert.equal(res.status, 'ok');
  assert.deepEqual((res.data as { events: { seq: number }[] }).events.map((e) => e.seq), [2, 3]);
  const bad = await reg.dispatch({ command: 'events.recent', args: { limit: 0 } });
  assert.equal(bad.error?.code, 'bad_args');
  assert.match(bad.error?.message ?? '', /^limit:/);
  const extra = await reg.dispatch({ command: 'events.recent', args: { since: 1 } });
  assert.match(extra.error?.message ?? '', /unknown argument\(s\) since/);
  const none = await buildCommands({} as unknown as CommandContext).dispatch({ command: 'events.recent' });
  assert.equal(none.error?.code, 'unavailable');
});
