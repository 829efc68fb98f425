// Fleet: the fleet-facing half of the daemon, built by the App. It owns the durable outbox
// (which exists with or without a broker: events queue until one is configured and reachable),
// the bus-to-outbox publisher, the health collector and, when `mqtt` is configured, the link.
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { AppStatus } from '../app';
import type { EventBus } from '../bus';
import type { Config } from '../config/schema';
import type { ConfigApplyResult, SelftestResult } from '../control/commands/context';
import type { CommandRegistry } from '../control/registry';
import type { Db } from '../db';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import { EventPublisher } from './event-publisher';
import { HealthCollector } from './health';
import { FleetLink } from './link';
import { Outbox, type OutboxEntry } from './outbox';
import { DeviceTopics, type HealthPayload } from './topics';

export interface FleetContext {
  config: Config;
  db: Db;
  bus: EventBus<VigilEvents>;
  status: () => AppStatus;
  version: string;
  log: Logger;
}

export class Fleet {
  readonly bootId = randomUUID();
  readonly startedAt = new Date().toISOString();
  private config: Config;
  private outboxRef: Outbox | null = null;
  private publisher: EventPublisher | null = null;
  private collector: HealthCollector | null = null;
  private link: FleetLink | null = null;
  private commands: CommandRegistry | null = null;

  constructor(private readonly ctx: FleetContext) {
    this.config = ctx.config;
  }

  get opened(): boolean {
    return this.outboxRef !== null;
  }

  get outbox(): Outbox {
    if (!this.outboxRef) throw new Error('fleet not opened');
    return this.outboxRef;
  }

  /** Opens the outbox and starts queueing bus events; call before anything can emit one. */
  open(): void {
    const { db, bus, log } = this.ctx;
    this.outboxRef = new Outbox(db, { maxBytes: this.config.outbox.max_bytes, log: log.child({ module: 'outbox' }) });
    this.publisher = new EventPublisher({ bus, outbox: this.outboxRef, topics: this.topics(), log: log.child({ module: 'events' }) });
    this.publisher.start();
    this.collector = new HealthCollector({
      source: { status: this.ctx.status, link: () => this.linkState(), outbox: () => this.outbox.stats() },
      dataDir: this.config.data_dir, deviceId: this.config.device.id, version: this.ctx.version, bootId: this.bootId,
      log: log.child({ module: 'health' }),
    });
  }

  /** Connects to the broker when one is configured; returns at once even if it is unreachable. */
  async connect(commands: CommandRegistry): Promise<void> {
    this.commands = commands;
    await this.startLink();
  }

  async stop(): Promise<void> {
    await this.link?.stop();
    this.link = null;
    this.publisher?.stop();
  }

  health(): Promise<HealthPayload> {
    if (!this.collector) throw new Error('fleet not opened');
    return this.collector.collect();
  }

  async selftest(count: number): Promise<SelftestResult> {
    const batch = randomUUID();
    const topic = this.topics().event('selftest');
    const entries: OutboxEntry[] = [];
    for (let n = 1; n <= count; n++) entries.push({ topic, type: 'selftest', body: { n, of: count, batch } });
    this.outbox.appendMany(entries);
    return { batch, queued: count };
  }

  /** Restarts the link when its settings changed; the outbox cap applies from the next append. */
  async applyConfig(next: Config, previous: Config): Promise<ConfigApplyResult> {
    this.config = next;
    const applied: string[] = [];
    if (!isDeepStrictEqual(previous.outbox, next.outbox)) {
      this.outbox.setMaxBytes(next.outbox.max_bytes);
      applied.push('outbox');
    }
    if (!isDeepStrictEqual(previous.mqtt, next.mqtt)) {
      await this.link?.stop();
      this.link = null;
      await this.startLink();
      applied.push('fleet');
    }
    return { applied, restart_required: [] };
  }

  linkState(): HealthPayload['link'] {
    if (!this.link) return { state: this.config.mqtt ? 'stopped' : 'standalone', connected_since: null, reconnects: 0, last_error: null };
    const s = this.link.snapshot();
    return { state: s.state, connected_since: s.connected_since, reconnects: s.reconnects, last_error: s.last_error };
  }

  private topics(): DeviceTopics {
    return new DeviceTopics(this.config.mqtt?.topic_prefix ?? 'vigil', this.config.device.id);
  }

  private async startLink(): Promise<void> {
    const mqtt = this.config.mqtt;
    if (!mqtt || !this.commands) {
      if (!mqtt) this.ctx.log.info('no mqtt section: running standalone, events queue in the outbox');
      return;
    }
    this.link = new FleetLink({
      config: mqtt, deviceId: this.config.device.id, version: this.ctx.version, bootId: this.bootId, startedAt: this.startedAt,
      outbox: this.outbox, commands: this.commands, health: () => this.health(), log: this.ctx.log.child({ module: 'link' }),
    });
    await this.link.start();
  }
}
