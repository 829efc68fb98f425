// EventPublisher: bus events land in the real outbox on their exact topics with exact
// snake_case payloads; stop() unsubscribes; a failing append is logged by the bus, not thrown.
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import pino from 'pino';
import { EventBus } from '../../src/bus';
import { openDb } from '../../src/db';
import type { VigilEvents } from '../../src/events';
import type { Logger } from '../../src/log';
import { EventPublisher } from '../../src/fleet/event-publisher';
import { Outbox } from '../../src/fleet/outbox';
import { DeviceTopics } from '../../src/fleet/topics';
import { tmpDir } from '../helpers/daemon';

interface LogLine { level: number; msg: string; [k: string]: unknown }

function setup(): { bus: EventBus<VigilEvents>; outbox: Outbox; publisher: EventPublisher; lines: LogLine[]; close: () => void } {
  const lines: LogLine[] = [];
  const log: Logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const db = openDb(path.join(tmpDir('vigil-pub-'), 'vigil.db'));
  const bus = new EventBus<VigilEvents>(log);
  const outbox = new Outbox(db, { maxBytes: 1 << 20, log });
  const publisher = new EventPublisher({ bus, outbox, topics: new DeviceTopics('vigil', 'cam-0001'), log });
  return { bus, outbox, publisher, lines, close: () => db.close() };
}

/** Stored rows as [topic, payload without id/ts]; id and ts are checked for shape separately. */
function rows(outbox: Outbox): [string, Record<string, unknown>][] {
  return outbox.next(0, 100).map((item) => {
    const { id, ts, ...rest } = JSON.parse(item.payload) as Record<string, unknown>;
    assert.match(String(id), /^[0-9a-f-]{36}$/);
    assert.equal(ts, new Date(item.created_ms).toISOString());
    return [item.topic, rest];
  });
}

test('disk, recording, stage and segment.recovered become events on their exact topics and payloads', () => {
  const { bus, outbox, publisher, close } = setup();
  try {
    publisher.start();
    bus.emit('disk', { state: 'low', previous: 'ok', cause: 'segment closed', totalBytes: 1000, freeBytes: 90, freePercent: 9, requiredBytes: 100 });
    bus.emit('recording', { camera: 'front', state: 'restarting', cause: 'pipeline stalled' });
    bus.emit('stage', { stage: 'camera:front', camera: 'front', state: 'restarting', cause: 'no frames for 5 s', attempt: 2, nextRetryS: 4 });
    bus.emit('stage', { stage: 'retention', state: 'failed', cause: 'EACCES', attempt: 5, nextRetryS: null });
    bus.emit('segment.recovered', { camera: 'front', id: 17, path: '/data/front/a.ts', state: 'recovered', durationMs: 3500, frames: 105, note: 'probed after crash' });
    bus.emit('segment.opened', { camera: 'front', id: 18, path: '/data/front/b.ts', startMs: 1 });

    assert.deepEqual(rows(outbox), [
      ['vigil/cam-0001/events/disk', { seq: 1, type: 'disk', state: 'low', previous: 'ok', free_bytes: 90, total_bytes: 1000, free_percent: 9, required_bytes: 100, cause: 'segment closed' }],
      ['vigil/cam-0001/events/recording', { seq: 2, type: 'recording', camera: 'front', state: 'restarting', cause: 'pipeline stalled' }],
      ['vigil/cam-0001/events/stage', { seq: 3, type: 'stage', camera: 'front', stage: 'camera:front', state: 'restarting', cause: 'no frames for 5 s', attempt: 2, next_retry_s: 4 }],
      ['vigil/cam-0001/events/stage', { seq: 4, type: 'stage', stage: 'retention', state: 'failed', cause: 'EACCES', attempt: 5, next_retry_s: null }],
      ['vigil/cam-0001/events/segment', { seq: 5, type: 'segment', camera: 'front', state: 'recovered', path: '/data/front/a.ts', duration_ms: 3500, frames: 105, note: 'probed after crash' }],
    ]);
    const stage = JSON.parse(outbox.next(3, 1)[0]?.payload ?? '{}') as Record<string, unknown>;
    assert.ok(!('camera' in stage), 'a device-wide stage carries no camera key at all');
    assert.equal(outbox.stats().depth, 5, 'segment.opened is not a fleet event');
  } finally {
    close();
  }
});

test('stop() unsubscribes: later bus events are not appended; start() twice subscribes once', () => {
  const { bus, outbox, publisher, close } = setup();
  try {
    publisher.start();
    publisher.start();
    bus.emit('recording', { camera: 'front', state: 'recording', cause: 'started' });
    assert.equal(outbox.stats().depth, 1);
    publisher.stop();
    bus.emit('recording', { camera: 'front', state: 'stopped', cause: 'shutdown' });
    assert.equal(outbox.stats().depth, 1);
  } finally {
    close();
  }
});

test('a failed append is logged by the bus with the publisher as owner and does not throw from emit', () => {
  const { bus, publisher, lines, close } = setup();
  publisher.start();
  close();
  assert.doesNotThrow(() => bus.emit('recording', { camera: 'front', state: 'failed', cause: 'x' }));
  const failure = lines.find((l) => l.msg === 'event listener failed');
  assert.ok(failure, 'the failure is logged');
  assert.equal(failure.owner, 'event-publisher');
  assert.equal(failure.event, 'recording');
  publisher.stop();
});
