// Fleet link throughput on a loopback Mosquitto: events per second from append to PUBACK,
// and how long a 10,000-event backlog takes to drain once the broker comes back.
import path from 'node:path';
import pino from 'pino';
import { CommandRegistry } from '../src/control/registry';
import { openDb } from '../src/db';
import { FleetLink } from '../src/fleet/link';
import { Outbox, type OutboxEntry } from '../src/fleet/outbox';
import { DeviceTopics, type HealthPayload } from '../src/fleet/topics';
import { Mosquitto } from '../test/helpers/mosquitto';
import { progress, round, withTempDir } from './common';

const LIVE_EVENTS = 5000;
const BACKLOG_EVENTS = 10000;
const TIMEOUT_MS = 120000;

async function until(what: string, fn: () => boolean): Promise<void> {
  const end = Date.now() + TIMEOUT_MS;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function entries(topics: DeviceTopics, n: number, batch: string): OutboxEntry[] {
  const out: OutboxEntry[] = [];
  for (let i = 1; i <= n; i++) out.push({ topic: topics.event('selftest'), type: 'selftest', body: { n: i, of: n, batch } });
  return out;
}

export async function benchFleetLink(): Promise<Record<string, unknown>> {
  const log = pino({ level: 'silent' });
  const broker = await Mosquitto.start();
  try {
    return await withTempDir('vigil-bench-link-', async (dir) => {
      const db = openDb(path.join(dir, 'vigil.db'));
      const outbox = new Outbox(db, { maxBytes: 1024 ** 3, log });
      const topics = new DeviceTopics('vigil', 'bench');
      const link = new FleetLink({
        config: { url: broker.url, topic_prefix: 'vigil', protocol_version: 5, health_interval_s: 3600, keepalive_s: 30, max_payload_bytes: 65536, rate_limit_per_min: 60 },
        deviceId: 'bench', version: 'bench', bootId: 'bench', startedAt: new Date().toISOString(),
        outbox, commands: new CommandRegistry(), health: async () => ({}) as HealthPayload, log,
        backoff: { initialMs: 200, maxMs: 1000 },
      });
      await link.start();
      await until('connected', () => link.snapshot().state === 'connected');

      // 1. Live: single appends (one durable commit each, as the daemon makes them) while connected.
      progress(`fleet link: ${LIVE_EVENTS} live events`);
      const t0 = performance.now();
      for (let i = 0; i < LIVE_EVENTS; i++) outbox.append(topics.event('selftest'), 'selftest', { n: i + 1, of: LIVE_EVENTS, batch: 'live' });
      const appendedMs = performance.now() - t0;
      await until('live events acked', () => outbox.stats().depth === 0);
      const liveMs = performance.now() - t0;

      // 2. Backlog: 10,000 events queued while the broker is down, drained after it returns.
      progress(`fleet link: ${BACKLOG_EVENTS}-event backlog`);
      await broker.stop();
      await until('link notices the outage', () => link.snapshot().state !== 'connected');
      outbox.appendMany(entries(topics, BACKLOG_EVENTS, 'backlog'));
      await broker.start();
      const upAt = performance.now();
      await until('reconnected', () => link.snapshot().state === 'connected');
      const connectedAt = performance.now();
      await until('backlog drained', () => outbox.stats().depth === 0);
      const drainedAt = performance.now();
      await link.stop();
      db.close();
      return {
        broker: 'mosquitto on 127.0.0.1, QoS 1, MQTT v5',
        live: {
          events: LIVE_EVENTS,
          append_ms: round(appendedMs, 1),
          append_to_last_puback_ms: round(liveMs, 1),
          events_per_s: Math.round(LIVE_EVENTS / (liveMs / 1000)),
        },
        backlog: {
          events: BACKLOG_EVENTS,
          reconnect_after_broker_up_ms: round(connectedAt - upAt, 1),
          drain_after_connect_ms: round(drainedAt - connectedAt, 1),
          drain_events_per_s: Math.round(BACKLOG_EVENTS / ((drainedAt - connectedAt) / 1000)),
        },
      };
    });
  } finally {
    await broker.dispose();
  }
}
