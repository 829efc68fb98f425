// Turns one MQTT message on request/<command> into the response to publish, or into nothing.
// Every check that can refuse a request runs before the registry sees it, so a refused request
// never reaches a handler, and every refusal names its reason with a stable code.
import type { IPublishPacket } from 'mqtt';
import type { MqttConfig } from '../config/schema';
import type { CommandRegistry, CommandResponse } from '../control/registry';
import type { Logger } from '../log';
import type { DeviceTopics } from './topics';

/** The only top-level keys of a request payload (topics.ts RequestPayload). */
const REQUEST_KEYS = new Set(['id', 'args', 'expires_at']);
/** Bucket shared by every command the registry does not know, so junk names cannot grow the map. */
const UNKNOWN_BUCKET = '\0unknown';
/** MQTT topic names are at most 65535 bytes of UTF-8. */
const MAX_TOPIC_BYTES = 65535;

export interface Reply {
  topic: string;
  payload: string;
  /** v5 only: the requester's correlationData, echoed back. */
  correlationData?: Buffer;
}

export interface RequestHandlerContext {
  config: MqttConfig;
  topics: DeviceTopics;
  commands: CommandRegistry;
  log: Logger;
  now?: () => number;
}

/** Token bucket: `perMin` requests at once, refilled continuously at `perMin` per minute. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(private readonly perMin: number, now: number) {
    this.tokens = perMin;
    this.at = now;
  }

  take(now: number): boolean {
    this.tokens = Math.min(this.perMin, this.tokens + ((now - this.at) * this.perMin) / 60_000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/**
 * Why a v5 responseTopic cannot be used, or null. Besides MQTT's own rules, a vigil request topic
 * is refused: answering there would make this device send a command to itself or to a peer.
 */
export function responseTopicProblem(topic: string, prefix: string): string | null {
  if (topic.length === 0) return 'responseTopic is empty';
  if (/[+#]/.test(topic)) return 'responseTopic must not contain wildcards (+ or #)';
  if (topic.includes('\u0000')) return 'responseTopic must not contain NUL';
  if (topic.startsWith('$')) return 'responseTopic must not be a $ topic';
  if (Buffer.byteLength(topic) > MAX_TOPIC_BYTES) return 'responseTopic is too long';
  if (topic.startsWith(`${prefix}/`) && topic.slice(prefix.length + 1).split('/')[1] === 'request') {
    return 'responseTopic must not be a vigil request topic';
  }
  return null;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export class RequestHandler {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly now: () => number;

  constructor(private readonly ctx: RequestHandlerContext) {
    this.now = ctx.now ?? Date.now;
  }

  /** The reply to publish for this message, or null when it must go unanswered. */
  async handle(topic: string, payload: Buffer, packet: IPublishPacket): Promise<Reply | null> {
    const { topics, config, log } = this.ctx;
    const command = topics.commandOf(topic);
    if (command === null) {
      log.warn({ topic }, 'message outside request/<command> ignored');
      return null;
    }
    // A retained request is a stale command left on the broker; running it at every start is
    // exactly the replay bug vigil exists to avoid. Live requests arrive with retain cleared.
    if (packet.retain) {
      log.warn({ command, topic }, 'retained request ignored: clear it on the broker');
      return null;
    }
    const props = packet.properties;
    const correlationData = props?.correlationData;
    const correlationId = correlationData !== undefined ? correlationData.toString('utf8') : null;
    let replyTopic = topics.response(command);
    let topicProblem: string | null = null;
    if (props?.responseTopic !== undefined) {
      topicProblem = responseTopicProblem(props.responseTopic, config.topic_prefix);
      if (topicProblem === null) replyTopic = props.responseTopic;
    }
    const reply = (res: CommandResponse): Reply => ({
      topic: replyTopic,
      payload: JSON.stringify(res),
      ...(correlationData !== undefined ? { correlationData } : {}),
    });
    const refuse = (id: string | null, code: string, message: string): Reply => {
      log.info({ command, id, code, reason: message }, 'request refused');
      return reply({ id, status: 'error', data: null, error: { code, message } });
    };

    if (payload.length > config.max_payload_bytes) {
      return refuse(correlationId, 'too_large', `payload is ${payload.length} bytes; the limit is ${config.max_payload_bytes}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(payload.toString('utf8'));
    } catch (err) {
      return refuse(correlationId, 'bad_json', `payload is not JSON: ${(err as Error).message}`);
    }
    if (!isPlainObject(body)) return refuse(correlationId, 'bad_request', 'payload must be a JSON object {id?, args?, expires_at?}');
    if (body.id !== undefined && typeof body.id !== 'string') return refuse(correlationId, 'bad_request', 'id must be a string');
    const id = typeof body.id === 'string' ? body.id : correlationId;
    const unknown = Object.keys(body).filter((k) => !REQUEST_KEYS.has(k));
    if (unknown.length > 0) return refuse(id, 'bad_request', `unknown key(s) ${unknown.join(', ')}; allowed: id, args, expires_at`);
    if (body.expires_at !== undefined && typeof body.expires_at !== 'string') return refuse(id, 'bad_request', 'expires_at must be an ISO-8601 string');
    if (topicProblem !== null) return refuse(id, 'bad_request', topicProblem);
    if (typeof body.expires_at === 'string') {
      const at = Date.parse(body.expires_at);
      if (Number.isNaN(at)) return refuse(id, 'expired', `expires_at "${body.expires_at}" is not a date; refusing rather than guessing`);
      if (at <= this.now()) return refuse(id, 'expired', `request expired at ${body.expires_at}`);
    }
    if (!this.bucketFor(command).take(this.now())) {
      return refuse(id, 'rate_limited', `more than ${config.rate_limit_per_min} "${command}" requests per minute`);
    }
    const res = await this.ctx.commands.dispatch({ ...(id !== null ? { id } : {}), command, args: body.args });
    log.info({ command, id, status: res.status, code: res.error?.code }, 'request served');
    return reply(res);
  }

  private bucketFor(command: string): TokenBucket {
    const key = this.ctx.commands.names().includes(command) ? command : UNKNOWN_BUCKET;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(this.ctx.config.rate_limit_per_min, this.now());
      this.buckets.set(key, bucket);
    }
    return bucket;
  }
}
