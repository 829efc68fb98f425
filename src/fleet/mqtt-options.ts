// Builds the mqtt.js connect options for one connection attempt from the mqtt config section.
// Secret and certificate files are read here, at every attempt rather than once, so a
// rotated client certificate or password is picked up on the next reconnect without a restart.
import fs from 'node:fs';
import type { IClientOptions } from 'mqtt';
import type { MqttConfig } from '../config/schema';

/** How long to wait for CONNACK before giving the attempt up and backing off. */
export const CONNECT_TIMEOUT_MS = 10_000;

export interface ConnectPlan {
  url: string;
  options: IClientOptions;
  /** The same settings with the password left out and files named by path, not content: safe to log. */
  loggable: Record<string, unknown>;
}

export interface ConnectIdentity {
  clientId: string;
  will: { topic: string; payload: string };
}

/** Reads a file named in the config; the error names the config key so an operator can fix it. */
function readConfigured(key: string, file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new Error(`cannot read mqtt.${key} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** Password files are usually written by `echo`, so one trailing newline is not part of the secret. */
function readPassword(file: string): string {
  return readConfigured('password_file', file).toString('utf8').replace(/\r?\n$/, '');
}

export function buildConnectPlan(config: MqttConfig, id: ConnectIdentity): ConnectPlan {
  const password = config.password_file !== undefined ? readPassword(config.password_file) : config.password;
  const options: IClientOptions = {
    protocolVersion: config.protocol_version,
    clientId: id.clientId,
    keepalive: config.keepalive_s,
    // Every connection starts clean: the outbox, not the broker session, is what survives a drop.
    clean: true,
    // The link reconnects itself with jittered backoff and a fresh client per attempt.
    reconnectPeriod: 0,
    connectTimeout: CONNECT_TIMEOUT_MS,
    will: { topic: id.will.topic, payload: Buffer.from(id.will.payload), qos: 1, retain: true },
  };
  if (config.username !== undefined) options.username = config.username;
  if (password !== undefined) options.password = password;
  const tls = config.tls;
  if (tls) {
    if (tls.ca !== undefined) options.ca = readConfigured('tls.ca', tls.ca);
    if (tls.cert !== undefined) options.cert = readConfigured('tls.cert', tls.cert);
    if (tls.key !== undefined) options.key = readConfigured('tls.key', tls.key);
    options.rejectUnauthorized = tls.reject_unauthorized;
  }
  const loggable: Record<string, unknown> = {
    url: config.url,
    clientId: id.clientId,
    protocolVersion: config.protocol_version,
    keepalive: config.keepalive_s,
    connectTimeout: CONNECT_TIMEOUT_MS,
    username: config.username ?? null,
    password: password !== undefined ? '[redacted]' : null,
    tls: tls ? { ca: tls.ca ?? null, cert: tls.cert ?? null, key: tls.key ?? null, reject_unauthorized: tls.reject_unauthorized } : null,
  };
  return { url: config.url, options, loggable };
}
