// ClipUploader: the persisted upload queue. A clip in state `uploading` carries its pre-signed
// URL, attempts and next retry time in SQLite, so a restart resumes it (from byte 0: pre-signed
// PUTs are not resumable). One upload at a time; retries back off exponentially with full
// jitter; a 4xx that can never succeed fails at once with the server's reason.
import type { EventBus } from '../bus';
import type { VigilEvents } from '../events';
import type { Logger } from '../log';
import { clipEvent, safeHost, type ClipRow, type ClipStore } from './clip-store';
import { putFile } from './http-put';

const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 5 * 60_000;
const MAX_ATTEMPTS = 20;
/** An upload that sends nothing and hears nothing for this long is cut and retried. */
const STALL_TIMEOUT_MS = 30_000;
/** 408 Request Timeout and 429 Too Many Requests are worth retrying; other 4xx are final. */
const RETRYABLE_4XX = new Set([408, 429]);

export interface UploadProgress {
  id: string;
  host: string;
  attempt: number;
  bytes_sent: number;
  total_bytes: number;
  next_retry: string | null;
  last_error: string | null;
}

export interface ClipUploaderContext {
  store: ClipStore;
  bus: EventBus<VigilEvents>;
  log: Logger;
  random?: () => number;
}

export class ClipUploader {
  private timer: NodeJS.Timeout | null = null;
  private active: { id: string; sent: number; abort: AbortController; done: Promise<void> } | null = null;
  private stopped = true;

  constructor(private readonly ctx: ClipUploaderContext) {}

  start(): void {
    this.stopped = false;
    const resumed = this.ctx.store.inStates(['uploading']);
    if (resumed.length > 0) this.ctx.log.info({ clips: resumed.map((r) => r.id) }, 'resuming clip uploads');
    this.kick();
  }

  /** Aborts the attempt in flight; the clip stays `uploading` and resumes at the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.active?.abort.abort();
    await this.active?.done;
  }

  /** Queues a clip (the caller checked it has a file); replaces any earlier target. */
  enqueue(row: ClipRow, url: string, method: string, headers: Record<string, string>): ClipRow {
    if (this.active?.id === row.id) this.active.abort.abort();
    const next = this.ctx.store.update(row.id, {
      state: 'uploading', cause: null, upload_url: url, upload_method: method, upload_headers: JSON.stringify(headers),
      upload_attempts: 0, upload_next_ms: Date.now(), upload_error: null,
    });
    this.ctx.log.info({ clip: row.id, host: safeHost(url) }, 'clip queued for upload');
    this.kick();
    return next;
  }

  /** Drops a clip from the queue (clip deleted). */
  cancel(id: string): void {
    if (this.active?.id === id) this.active.abort.abort();
  }

  progress(): UploadProgress[] {
    return this.ctx.store.inStates(['uploading']).map((r) => ({
      id: r.id, host: safeHost(r.upload_url ?? ''), attempt: r.upload_attempts + (this.active?.id === r.id ? 1 : 0),
      bytes_sent: this.active?.id === r.id ? this.active.sent : 0, total_bytes: r.bytes ?? 0,
      next_retry: r.upload_next_ms !== null && this.active?.id !== r.id ? new Date(r.upload_next_ms).toISOString() : null,
      last_error: r.upload_error,
    }));
  }

  /** Starts the next due upload now, or arms a timer for the earliest retry. */
  private kick(): void {
    if (this.stopped || this.active) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const queue = this.ctx.store.inStates(['uploading']).sort((a, b) => (a.upload_next_ms ?? 0) - (b.upload_next_ms ?? 0));
    const head = queue[0];
    if (!head) return;
    const wait = (head.upload_next_ms ?? 0) - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => this.kick(), wait);
      return;
    }
    const abort = new AbortController();
    const active = { id: head.id, sent: 0, abort, done: Promise.resolve() };
    this.active = active;
    active.done = this.attempt(head, active).catch((err: unknown) => {
      this.ctx.log.error({ clip: head.id, err }, 'clip upload bookkeeping failed');
    }).finally(() => {
      this.active = null;
      this.kick();
    });
  }

  private async attempt(row: ClipRow, active: { sent: number; abort: AbortController }): Promise<void> {
    const { store, log, bus } = this.ctx;
    const attempt = row.upload_attempts + 1;
    const outcome = await putFile({
      url: row.upload_url ?? '', method: row.upload_method ?? 'PUT', headers: JSON.parse(row.upload_headers ?? '{}') as Record<string, string>,
      file: row.path ?? '', bytes: row.bytes ?? 0, timeoutMs: STALL_TIMEOUT_MS, signal: active.abort.signal,
      onProgress: (sent) => void (active.sent = sent),
    });
    const current = store.get(row.id);
    // Deleted, re-targeted or stopped meanwhile: this attempt's outcome no longer applies.
    if (!current || current.state !== 'uploading' || current.upload_url !== row.upload_url || active.abort.signal.aborted) return;
    const host = safeHost(row.upload_url ?? '');
    if (outcome.status !== null && outcome.status >= 200 && outcome.status < 300) {
      // The URL is a credential: forget it once it has served.
      const done = store.update(row.id, { state: 'uploaded', upload_attempts: attempt, upload_next_ms: null, upload_error: null, upload_url: null, upload_headers: null });
      log.info({ clip: row.id, host, attempt, bytes: row.bytes }, 'clip uploaded');
      bus.emit('clip', clipEvent(done, 'uploaded', null));
      return;
    }
    const why = outcome.status === null ? `network: ${outcome.detail}` : `HTTP ${outcome.status}${outcome.detail ? `: ${outcome.detail}` : ''}`;
    const final = outcome.status !== null && outcome.status >= 400 && outcome.status < 500 && !RETRYABLE_4XX.has(outcome.status);
    if (final || attempt >= MAX_ATTEMPTS) {
      const cause = final ? `upload refused by ${host}: ${why}` : `upload gave up after ${attempt} attempts: ${why}`;
      const failed = store.update(row.id, { state: 'failed', cause, upload_attempts: attempt, upload_next_ms: null, upload_error: why, upload_url: null, upload_headers: null });
      log.error({ clip: row.id, host, attempt, cause }, 'clip upload failed');
      bus.emit('clip', clipEvent(failed, 'failed', cause));
      return;
    }
    const random = this.ctx.random ?? Math.random;
    const delay = Math.round(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
    store.update(row.id, { upload_attempts: attempt, upload_next_ms: Date.now() + delay, upload_error: why });
    log.warn({ clip: row.id, host, attempt, retryInMs: delay, error: why }, 'clip upload attempt failed; retrying');
  }
}
