// Starts a real Mosquitto 2 broker on a free loopback port for integration tests. The broker
// can be stopped and started again on the same port, which is how tests simulate an outage.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;

export interface BrokerTls {
  cafile: string;
  certfile: string;
  keyfile: string;
  /** Clients must present a certificate signed by `cafile`. */
  requireCertificate: boolean;
}

export interface BrokerOptions {
  tls?: BrokerTls;
  /** Keep sessions and queued QoS 1 messages across a restart (saved on SIGTERM). Default off. */
  persistence?: boolean;
  /** Extra mosquitto.conf lines. */
  extra?: string[];
}

/** A port the kernel just gave out and released: free unless something races us for it. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export class Mosquitto {
  readonly dir: string;
  readonly confFile: string;
  readonly logFile: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();

  private constructor(readonly port: number, readonly tls: boolean, opts: BrokerOptions) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vigil-mosquitto-'));
    this.confFile = path.join(this.dir, 'mosquitto.conf');
    this.logFile = path.join(this.dir, 'mosquitto.log');
    const lines = [
      // Root would otherwise switch to user "mosquitto", which cannot read our 0700 temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      ...(opts.persistence ? ['persistence true', `persistence_location ${this.dir}/`, 'max_queued_messages 100000'] : ['persistence false']),
      `log_dest file ${this.logFile}`,
      'log_type error',
      'log_type warning',
      'log_type notice',
      'log_type information',
      'connection_messages true',
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      ...(opts.tls
        ? [`cafile ${opts.tls.cafile}`, `certfile ${opts.tls.certfile}`, `keyfile ${opts.tls.keyfile}`, `require_certificate ${opts.tls.requireCertificate}`]
        : []),
      ...(opts.extra ?? []),
    ];
    fs.writeFileSync(this.confFile, `${lines.join('\n')}\n`);
  }

  static async start(opts: BrokerOptions = {}): Promise<Mosquitto> {
    const broker = new Mosquitto(await freePort(), opts.tls !== undefined, opts);
    await broker.start();
    return broker;
  }

  get url(): string {
    return `${this.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== null;
  }

  log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  /** Starts (or restarts) the broker on the same port and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.proc) return;
    const before = this.log().split('\n').length;
    const proc = spawn(MOSQUITTO, ['-c', this.confFile], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    const until = Date.now() + READY_TIMEOUT_MS;
    // "running" is logged once the listener is bound; a TCP probe would show up as a client.
    while (!this.log().split('\n').slice(before - 1).some((l) => l.includes(' running'))) {
      if (proc.exitCode !== null || Date.now() > until) {
        this.proc = null;
        proc.kill('SIGKILL');
        throw new Error(`mosquitto did not start on port ${this.port}: ${stderr.trim()}\n${this.log().slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** Stops the broker (SIGTERM, then SIGKILL); clients see their connection close. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = null;
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** Stops the broker and removes its temp dir. */
  async dispose(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
  properties: IPublishPacket['properties'];
  at: number;
}

/** An mqtt.js client that records every message it gets, for assertions on exact topics and flags. */
export class TestClient {
  readonly messages: Received[] = [];
  /** Errors after connecting; recorded so a late one cannot crash the test process. */
  readonly errors: Error[] = [];

  private constructor(readonly client: MqttClient) {
    client.on('error', (err) => this.errors.push(err));
    client.on('message', (topic, payload, packet) => {
      this.messages.push({ topic, payload: payload.toString('utf8'), retain: packet.retain, qos: packet.qos, properties: packet.properties, at: Date.now() });
    });
  }

  static async connect(url: string, opts: IClientOptions = {}, timeoutMs = 5000): Promise<TestClient> {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, ...opts });
    const tc = new TestClient(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
      client.once('close', () => reject(new Error(`test client could not connect to ${url}`)));
    });
    return tc;
  }

  async subscribe(topic: string, qos: 0 | 1 = 1): Promise<void> {
    const granted = await this.client.subscribeAsync(topic, { qos });
    if (granted[0]?.qos === 128) throw new Error(`subscribe ${topic} refused`);
  }

  async publish(topic: string, payload: string | Buffer, opts: IClientPublishOptions = { qos: 1 }): Promise<void> {
    await this.client.publishAsync(topic, payload, opts);
  }

  /** The first recorded message (past or future) that matches, or an error after `timeoutMs`. */
  async waitFor(what: string, match: (m: Received) => boolean, timeoutMs = 5000): Promise<Received> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(match);
      if (found) return found;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async end(): Promise<void> {
    await this.client.endAsync(true);
  }
}
