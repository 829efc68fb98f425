// The fleet link: one MQTT connection to the fleet broker, kept up forever. It announces
// availability (retained status + last will), drains the durable outbox at QoS 1, publishes
// health on a timer, and answers requests. Each connection attempt gets a brand-new mqtt.js
// client; callbacks of an older client are ignored by generation, so nothing from a dead
// connection can touch the current one.
import mqtt, { type IConnackPacket, type IPublishPacket, type MqttClient } from 'mqtt';
import type { MqttConfig } from '../config/schema';
import type { CommandRegistry } from '../control/registry';
import type { Logger } from '../log';
import { Backoff, type BackoffOptions } from '../supervision/backoff';
import { buildConnectPlan } from './mqtt-options';
import { OutboxDrain } from './mqtt-drain';
import type { Outbox } from './outbox';
import { RequestHandler, type Reply } from './request-handler';
import { DeviceTopics, QOS, RETAIN, type AvailabilityState, type HealthPayload, type StatusPayload } from './topics';

/** QoS 1 events in flight at once; the broker's receive maximum (v5) lowers it. */
const WINDOW = 64;
/** Slots left under the broker's receive maximum for status and responses. */
const WINDOW_RESERVE = 4;
/** How long stop() waits for the PUBACK of `stopped` and for in-flight events. */
const STOP_ACK_TIMEOUT_MS = 2_000;
/** A connection that lived this long resets the backoff; a flapping one keeps backing off. */
const STABLE_AFTER_MS = 10_000;
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1_000, maxMs: 30_000, factor: 2, jitter: 0.2 };

export interface FleetLinkContext {
  config: MqttConfig;
  deviceId: string;
  version: string;
  bootId: string;
  startedAt: string;
  outbox: Outbox;
  commands: CommandRegistry;
  health: () => Promise<HealthPayload>;
  log: Logger;
  /** Reconnect backoff; tests shorten it. Default 1 s doubling to a 30 s cap, ±20 % jitter. */
  backoff?: BackoffOptions;
}

export interface LinkSnapshot {
  state: 'connecting' | 'connected' | 'disconnected' | 'stopped';
  connected_since: string | null;
  reconnects: number;
  last_error: string | null;
  inflight: number;
  published: number;
  acked: number;
}

/** One line for logs and last_error; OpenSSL messages arrive with a trailing newline. */
function describe(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  const message = err.message.replace(/\s+/g, ' ').trim();
  return code !== undefined && !message.includes(String(code)) ? `${message} (${code})` : message;
}

/** Resolves true when `p` settles in time, false on timeout or rejection (the caller logs). */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    p.then(() => resolve(true), () => resolve(false)).finally(() => clearTimeout(timer));
  });
}

export class FleetLink {
  readonly topics: DeviceTopics;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly drain: OutboxDrain;
  private readonly requests: RequestHandler;
  private client: MqttClient | null = null;
  /** Bumped whenever a client is dropped; events from a client with an older number are ignored. */
  private gen = 0;
  private state: LinkSnapshot['state'] = 'disconnected';
  private connectedAt: Date | null = null;
  private attempts = 0;
  private lastError: string | null = null;
  private started = false;
  private stopping = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private healthTimer: NodeJS.Timeout | null = null;
  private healthBusy = false;
  private offAppend: (() => void) | null = null;

  constructor(private readonly ctx: FleetLinkContext) {
    this.topics = new DeviceTopics(ctx.config.topic_prefix, ctx.deviceId);
    this.log = ctx.log;
    this.backoff = new Backoff({ ...DEFAULT_BACKOFF, ...ctx.backoff });
    this.drain = new OutboxDrain(ctx.outbox, ctx.log);
    this.requests = new RequestHandler({ config: ctx.config, topics: this.topics, commands: ctx.commands, log: ctx.log });
  }

  /** Starts connecting and returns at once; a broker that is down only delays the first connection. */
  async start(): Promise<void> {
    if (this.started) throw new Error('fleet link already started');
    this.started = true;
    this.offAppend = this.ctx.outbox.onAppend(() => this.drain.wake());
    this.connect();
  }

  /** Announces `stopped` (so the controller knows this was no crash) and disconnects cleanly. */
  async stop(): Promise<void> {
    if (!this.started || this.stopping) return;
    this.stopping = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.stopHealth();
    this.offAppend?.();
    const client = this.client;
    const wasConnected = this.state === 'connected';
    // From here on the client's events are ignored: its close must not schedule a reconnect.
    this.gen++;
    this.client = null;
    this.drain.hold();
    if (client && wasConnected) {
      const sent = await within(client.publishAsync(this.topics.status, this.statusJson('stopped'), { qos: QOS.status, retain: RETAIN.status }), STOP_ACK_TIMEOUT_MS);
      if (!sent) this.log.warn({ timeout_ms: STOP_ACK_TIMEOUT_MS }, 'stopped status not acknowledged; the broker may report offline');
      // A graceful end waits for in-flight events' PUBACKs, so fewer are sent twice next start.
      const ended = await within(client.endAsync(false), STOP_ACK_TIMEOUT_MS);
      if (!ended) client.end(true);
    } else {
      client?.end(true);
    }
    this.drain.end();
    this.state = 'stopped';
    this.connectedAt = null;
    this.log.info({ published: this.drain.published, acked: this.drain.acked }, 'fleet link stopped');
  }

  snapshot(): LinkSnapshot {
    return {
      state: this.state,
      connected_since: this.connectedAt?.toISOString() ?? null,
      reconnects: Math.max(0, this.attempts - 1),
      last_error: this.lastError,
      inflight: this.drain.inflightCount,
      published: this.drain.published,
      acked: this.drain.acked,
    };
  }

  /** Publishes a health reading now if connected (after a state change worth reporting). */
  async publishHealthNow(): Promise<void> {
    const client = this.client;
    if (client && this.state === 'connected') await this.publishHealth(client, this.gen);
  }

  private connect(): void {
    if (this.stopping) return;
    const gen = ++this.gen;
    this.attempts++;
    this.state = 'connecting';
    const clientId = this.ctx.config.client_id ?? `vigil-${this.ctx.deviceId}`;
    let client: MqttClient;
    try {
      const plan = buildConnectPlan(this.ctx.config, { clientId, will: { topic: this.topics.status, payload: this.statusJson('offline') } });
      this.log.info({ options: plan.loggable, attempt: this.attempts }, 'connecting to broker');
      client = mqtt.connect(plan.url, plan.options);
    } catch (err) {
      // A missing certificate or password file may appear later (provisioning): retry, don't die.
      this.lastError = describe(err as Error);
      this.log.error({ err: this.lastError }, 'cannot prepare mqtt connection');
      this.state = 'disconnected';
      this.scheduleRetry();
      return;
    }
    this.client = client;
    client.on('connect', (connack) => {
      if (gen === this.gen) this.onConnect(client, gen, connack);
    });
    client.on('message', (topic, payload, packet) => {
      if (gen === this.gen) void this.onRequest(topic, payload, packet);
    });
    // Kept for the client's whole life, even once ignored: an 'error' without a listener throws.
    client.on('error', (err) => {
      if (gen === this.gen) this.fail(gen, describe(err));
    });
    client.on('close', () => {
      // After an 'error' this generation is already dropped, so the error stays the reported cause.
      if (gen === this.gen) this.fail(gen, this.state === 'connected' ? 'connection lost' : 'connection closed before CONNACK');
    });
  }

  private onConnect(client: MqttClient, gen: number, connack: IConnackPacket): void {
    this.state = 'connected';
    // last_error is kept: after a reconnect it still tells why the previous connection ended.
    this.connectedAt = new Date();
    const receiveMax = connack.properties?.receiveMaximum;
    const window = receiveMax !== undefined ? Math.min(WINDOW, receiveMax - WINDOW_RESERVE) : WINDOW;
    this.log.info({ reconnects: this.snapshot().reconnects, window, depth: this.ctx.outbox.stats().depth }, 'connected to broker');
    // Status first, so a subscriber sees `online` before the backlog of events.
    client.publish(this.topics.status, this.statusJson('online'), { qos: QOS.status, retain: RETAIN.status }, (err) => {
      if (err) this.fail(gen, `status publish failed: ${describe(err)}`);
    });
    // rh 2 (v5): the broker does not even send retained requests; the retain check covers v3.1.1.
    const v5 = this.ctx.config.protocol_version === 5;
    client.subscribe(this.topics.requests, { qos: 1, ...(v5 ? { rh: 2 } : {}) }, (err, granted) => {
      if (err) this.fail(gen, `subscribe failed: ${describe(err)}`);
      else if (granted?.[0]?.qos === 128) this.fail(gen, `subscribe to ${this.topics.requests} refused by the broker`);
    });
    this.drain.begin((item, done) => {
      client.publish(item.topic, item.payload, { qos: QOS.event, retain: RETAIN.event }, (err) => done(err));
    }, window, (err) => this.fail(gen, `event publish failed: ${describe(err)}`));
    void this.publishHealth(client, gen);
    this.stopHealth();
    this.healthTimer = setInterval(() => {
      if (!this.healthBusy) void this.publishHealth(client, gen);
    }, this.ctx.config.health_interval_s * 1000);
  }

  /** Drops the client of generation `gen` (if still current) and schedules the next attempt. */
  private fail(gen: number, reason: string): void {
    if (gen !== this.gen || this.stopping) return;
    this.gen++;
    const wasConnected = this.state === 'connected';
    const livedMs = this.connectedAt ? Date.now() - this.connectedAt.getTime() : 0;
    this.lastError = reason;
    // The drain lets go first: end(true) fails the in-flight publishes synchronously, and
    // their callbacks must find the session already closed, not report a second failure.
    this.drain.end();
    this.stopHealth();
    const client = this.client;
    this.client = null;
    client?.end(true);
    this.state = 'disconnected';
    this.connectedAt = null;
    if (livedMs >= STABLE_AFTER_MS) this.backoff.reset();
    if (wasConnected) this.log.warn({ reason }, 'disconnected from broker');
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopping) return;
    // One pending attempt at most, whatever path got here: two timers would mean two clients.
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const delay = this.backoff.next();
    this.log.info({ delay_ms: delay, last_error: this.lastError, attempt: this.attempts }, 'reconnecting after delay');
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.connect();
    }, delay);
  }

  private stopHealth(): void {
    if (this.healthTimer) clearInterval(this.healthTimer);
    this.healthTimer = null;
  }

  private async publishHealth(client: MqttClient, gen: number): Promise<void> {
    this.healthBusy = true;
    try {
      const payload = JSON.stringify(await this.ctx.health());
      if (gen !== this.gen) return;
      await client.publishAsync(this.topics.health, payload, { qos: QOS.health, retain: RETAIN.health });
    } catch (err) {
      this.log.warn({ err: describe(err as Error) }, 'health not published');
    } finally {
      this.healthBusy = false;
    }
  }

  private async onRequest(topic: string, payload: Buffer, packet: IPublishPacket): Promise<void> {
    let reply: Reply | null;
    try {
      reply = await this.requests.handle(topic, payload, packet);
    } catch (err) {
      this.log.error({ err, topic }, 'request handling failed');
      return;
    }
    if (reply === null) return;
    // A command may outlive its connection; answer on whichever connection is up now.
    const client = this.client;
    if (!client || this.state !== 'connected') {
      this.log.warn({ topic: reply.topic }, 'response dropped: not connected');
      return;
    }
    const properties = reply.correlationData !== undefined && this.ctx.config.protocol_version === 5 ? { correlationData: reply.correlationData } : undefined;
    client.publish(reply.topic, reply.payload, { qos: QOS.response, retain: RETAIN.response, ...(properties ? { properties } : {}) }, (err) => {
      if (err) this.log.warn({ err: describe(err), topic: reply.topic }, 'response not delivered');
    });
  }

  private statusJson(state: AvailabilityState): string {
    const s: StatusPayload = { state, device_id: this.ctx.deviceId, version: this.ctx.version, boot_id: this.ctx.bootId, started_at: this.ctx.startedAt };
    return JSON.stringify(s);
  }
}
