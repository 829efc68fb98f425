// ClipService: event clips cut from the loop. Owns the clip lifecycle (pending → building →
// ready → uploading → uploaded | failed), keeps the segments an unfinished clip needs protected
// from retention, builds clips one at a time in a bounded child process, enforces the clip
// quota, applies automatic detection triggers and feeds the upload queue.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EventBus } from '../bus';
import type { Config } from '../config/schema';
import type { ObjectEvent, VigilEvents } from '../events';
import { errnoCode } from '../fsutil';
import type { Logger } from '../log';
import type { SegmentIndex } from '../recording/segment-index';
import { ClipBuilder } from './builder';
import { clipEvent, UNFINISHED, type ClipRow, type ClipStore } from './clip-store';
import { ClipQuota } from './quota';
import type { RemuxSegment } from './remux-worker';
import { mergeTrigger, type OpenWindow } from './triggers';
import { ClipUploader, type UploadProgress } from './uploader';

/** How often pending clips are re-checked besides segment closes (a stopped camera never closes one). */
const CHECK_EVERY_MS = 2000;
/** A pending clip whose window ended this long ago is built from whatever footage exists. */
const PENDING_GRACE_MIN_MS = 30_000;
/** A build that fails (full disk, slow card) is retried with its footage still protected. */
const MAX_BUILD_ATTEMPTS = 3;
const BUILD_RETRY_BASE_MS = 5000;

export interface ClipServiceContext {
  config: () => Config;
  index: SegmentIndex;
  store: ClipStore;
  bus: EventBus<VigilEvents>;
  log: Logger;
  dataDir: string;
  builder?: ClipBuilder;
}

export interface ClipsStatus {
  counts: Record<string, number>;
  bytes: number;
  quota_bytes: number;
  building: string | null;
  uploads: UploadProgress[];
}

export class ClipService {
  readonly uploader: ClipUploader;
  private readonly builder: ClipBuilder;
  private readonly quota: ClipQuota;
  private timer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void)[] = [];
  private building: string | null = null;
  private pump: Promise<void> = Promise.resolve();
  private pumping = false;
  private stopped = true;
  /** The automatic clip each camera may extend, by id. */
  private readonly autoClip = new Map<string, string>();

  constructor(private readonly ctx: ClipServiceContext) {
    this.builder = ctx.builder ?? new ClipBuilder();
    this.uploader = new ClipUploader({ store: ctx.store, bus: ctx.bus, log: ctx.log.child({ part: 'upload' }) });
    this.quota = new ClipQuota({
      store: ctx.store, maxBytes: () => ctx.config().retention.clips_max_bytes,
      remove: (row, cause) => this.removeClip(row, cause),
      pressure: (row, cause) => {
        ctx.log.warn({ cause }, 'clip quota exceeded by locked clips');
        ctx.bus.emit('clip', clipEvent(row, 'quota', cause));
      },
    });
  }

  get clipsDir(): string {
    return path.join(this.ctx.dataDir, 'clips');
  }

  async start(): Promise<void> {
    this.stopped = false;
    // Recording must start even when the clip folder cannot be made: builds then fail, visibly.
    await fs.mkdir(path.join(this.clipsDir, '.tmp'), { recursive: true })
      .catch((err: unknown) => this.ctx.log.error({ err, dir: this.clipsDir }, 'cannot create the clips folder; clip builds will fail'));
    // A build cut by a crash or stop starts over; its half-written file is replaced.
    for (const row of this.ctx.store.inStates(['building'])) this.ctx.store.update(row.id, { state: 'pending' });
    for (const cam of this.ctx.config().cameras) this.protect(cam.name);
    const { bus } = this.ctx;
    this.unsubscribe = [
      bus.on('segment.closed', 'clips', () => this.kick()),
      bus.on('segment.recovered', 'clips', () => this.kick()),
      bus.on('segment.opened', 'clips', (e) => this.protect(e.camera)),
      bus.on('detection', 'clips', (e) => this.onDetection(e)),
    ];
    this.timer = setInterval(() => this.kick(), CHECK_EVERY_MS);
    this.uploader.start();
    this.kick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsubscribe) u();
    this.builder.killAll();
    await this.pump;
    await this.uploader.stop();
  }

  status(): ClipsStatus {
    const byState = this.ctx.store.countsByState();
    const counts: Record<string, number> = {};
    for (const r of byState) counts[r.state] = r.n;
    return {
      counts, bytes: byState.reduce((n, r) => n + r.bytes, 0), quota_bytes: this.ctx.config().retention.clips_max_bytes,
      building: this.building, uploads: this.uploader.progress(),
    };
  }

  get(id: string): ClipRow | undefined {
    return this.ctx.store.get(id);
  }

  list(filter: { camera?: string; state?: string; limit: number }): ClipRow[] {
    return this.ctx.store.list(filter);
  }

  /** Start of the oldest footage of `camera` the loop holds, or null when it holds none. */
  oldestFootageMs(camera: string): number | null {
    return this.ctx.index.list(camera, 0, Number.MAX_SAFE_INTEGER, 1)[0]?.start_ms ?? null;
  }

  /** Records a clip; the caller validated the window (see clip-window.ts). Builds when its footage is closed. */
  create(req: { camera: string; startMs: number; endMs: number; reason: string; lock: boolean }): ClipRow {
    const stamp = new Date(req.startMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const id = `${req.camera}-${stamp}-${crypto.randomBytes(3).toString('hex')}`;
    const row = this.ctx.store.insert({ id, camera: req.camera, reason: req.reason, requested_start_ms: req.startMs, requested_end_ms: req.endMs, locked: req.lock });
    this.protect(req.camera);
    this.ctx.log.info({ clip: id, camera: req.camera, start: new Date(req.startMs).toISOString(), end: new Date(req.endMs).toISOString(), reason: req.reason }, 'clip requested');
    this.kick();
    return row;
  }

  async delete(row: ClipRow): Promise<void> {
    this.uploader.cancel(row.id);
    await this.removeClip(row, 'deleted by command');
  }

  async setLocked(row: ClipRow, on: boolean): Promise<ClipRow> {
    const next = this.ctx.store.update(row.id, { locked: on ? 1 : 0 });
    if (!on) await this.quota.enforce();
    return this.ctx.store.get(row.id) ?? next;
  }

  enforceQuota(): Promise<unknown> {
    return this.quota.enforce();
  }

  /** Protects every segment of `camera` an unfinished clip needs (also ones opened since). Only sets flags. */
  protect(camera: string): void {
    for (const w of this.ctx.store.inStates(UNFINISHED)) {
      if (w.camera === camera) this.ctx.index.setProtected(camera, w.requested_start_ms, w.requested_end_ms, true);
    }
  }

  /** Releases a finished clip's window, keeping what other unfinished clips of the camera still need. */
  private release(row: ClipRow): void {
    this.ctx.index.setProtected(row.camera, row.requested_start_ms, row.requested_end_ms, false);
    this.protect(row.camera);
  }

  private onDetection(e: ObjectEvent): void {
    const cam = this.ctx.config().cameras.find((c) => c.name === e.camera);
    if (!cam || this.stopped) return;
    const openId = this.autoClip.get(e.camera);
    const openRow = openId ? this.ctx.store.get(openId) : undefined;
    const open: OpenWindow | null = openRow
      ? { startMs: openRow.requested_start_ms, endMs: openRow.requested_end_ms, extendable: openRow.state === 'pending' } : null;
    const action = mergeTrigger(open, e, cam.clips);
    if (action.kind === 'extend' && openRow) {
      this.ctx.store.update(openRow.id, { requested_end_ms: action.endMs, reason: mergeReason(openRow.reason, e.label) });
      this.protect(e.camera);
    } else if (action.kind === 'create') {
      const oldest = this.oldestFootageMs(e.camera);
      const startMs = Math.max(action.startMs, oldest ?? action.startMs);
      if (startMs >= action.endMs) return;
      const row = this.create({ camera: e.camera, startMs, endMs: action.endMs, reason: `detection:${e.label}`, lock: false });
      this.autoClip.set(e.camera, row.id);
    }
  }

  /** Runs the build loop unless it is already running; never rejects. */
  private kick(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    this.pump = this.buildDue()
      .catch((err: unknown) => this.ctx.log.error({ err }, 'clip build loop failed'))
      .finally(() => {
        this.pumping = false;
      });
  }

  private async buildDue(): Promise<void> {
    let built = false;
    for (;;) {
      if (this.stopped) return;
      const next = this.ctx.store.inStates(['pending']).find((r) => this.footageReady(r));
      if (!next) break;
      await this.build(next);
      built = true;
    }
    if (built) await this.quota.enforce();
  }

  /** Every segment of the window is finished and one reaches the window's end, or the wait is over. */
  private footageReady(row: ClipRow): boolean {
    if (row.build_retry_ms !== null && Date.now() < row.build_retry_ms) return false;
    const segs = this.ctx.index.list(row.camera, row.requested_start_ms, row.requested_end_ms, 100000);
    const grace = Math.max(PENDING_GRACE_MIN_MS, 3 * 1000 * (this.ctx.config().cameras.find((c) => c.name === row.camera)?.recording.segment_seconds ?? 10));
    if (Date.now() > row.requested_end_ms + grace) return true;
    if (segs.some((s) => s.state === 'open')) return false;
    return segs.some((s) => (s.end_ms ?? 0) >= row.requested_end_ms);
  }

  private async build(row: ClipRow): Promise<void> {
    const { store, index, log, bus } = this.ctx;
    const segs = index.list(row.camera, row.requested_start_ms, row.requested_end_ms, 100000)
      .filter((s) => (s.state === 'closed' || s.state === 'recovered') && s.end_ms !== null);
    const out = path.join(this.clipsDir, `${row.id}.mp4`);
    this.building = row.id;
    store.update(row.id, { state: 'building' });
    const t0 = Date.now();
    try {
      if (segs.length === 0) throw new Error('no footage was recorded for the requested window');
      const segments: RemuxSegment[] = segs.map((s) => ({ path: s.path, startMs: s.start_ms, endMs: s.end_ms as number, frames: s.frames }));
      const r = await this.builder.build({ segments, startMs: row.requested_start_ms, endMs: row.requested_end_ms, out, tmpDir: path.join(this.clipsDir, '.tmp') });
      if (this.stopped) return; // a build killed by stop is redone at the next start
      const ready = store.update(row.id, { state: 'ready', path: out, bytes: r.bytes, sha256: r.sha256, start_ms: r.startMs, end_ms: r.endMs, frames: r.frames, cause: null });
      log.info({ clip: row.id, ms: Date.now() - t0, bytes: r.bytes, frames: r.frames, start: new Date(r.startMs).toISOString(), end: new Date(r.endMs).toISOString() }, 'clip ready');
      bus.emit('clip', clipEvent(ready, 'ready', null));
    } catch (err) {
      if (this.stopped) return;
      const why = String((err as Error).message ?? err);
      await fs.rm(out, { force: true });
      const attempts = row.build_attempts + 1;
      if (attempts < MAX_BUILD_ATTEMPTS && segs.length > 0) {
        const retryMs = BUILD_RETRY_BASE_MS * 2 ** (attempts - 1);
        store.update(row.id, { state: 'pending', build_attempts: attempts, build_retry_ms: Date.now() + retryMs, cause: `build attempt ${attempts} failed: ${why}` });
        log.warn({ clip: row.id, camera: row.camera, attempt: attempts, retryInMs: retryMs, error: why }, 'clip build failed; retrying');
        return; // still unfinished: its footage stays protected (see finally)
      }
      const cause = `build failed${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${why}`;
      const failed = store.update(row.id, { state: 'failed', cause, build_attempts: attempts, build_retry_ms: null });
      log.error({ clip: row.id, camera: row.camera, cause }, 'clip build failed');
      bus.emit('clip', clipEvent(failed, 'failed', cause));
    } finally {
      this.building = null;
      if (!this.stopped) this.release(row);
    }
  }

  private async removeClip(row: ClipRow, cause: string): Promise<void> {
    if (row.path) {
      try {
        await fs.unlink(row.path);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err;
      }
    }
    this.ctx.store.remove(row.id);
    if (UNFINISHED.includes(row.state)) this.release(row);
    this.ctx.log.info({ clip: row.id, camera: row.camera, bytes: row.bytes, cause }, 'clip deleted');
    this.ctx.bus.emit('clip', clipEvent(row, 'deleted', cause, true));
  }
}

function mergeReason(reason: string, label: string): string {
  if (!reason.startsWith('detection:')) return reason;
  const labels = new Set(reason.slice('detection:'.length).split(','));
  labels.add(label);
  return `detection:${[...labels].join(',')}`;
}
