// RetentionPolicy: keeps free space on the data filesystem above the configured reserve by
// deleting the oldest unprotected, finished segments. Runs on every segment close and on a
// timer; each pass is bounded so a disk that cannot be freed never becomes a busy loop.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EventBus } from '../bus';
import type { RetentionConfig } from '../config/schema';
import type { DiskReading, DiskState, VigilEvents } from '../events';
import { errnoCode, syncDir } from '../fsutil';
import type { Logger } from '../log';
import type { SegmentIndex } from '../recording/segment-index';
import { classify, readDisk, statDisk, type StatFs } from './disk';

/** Most segments deleted in one pass; the next pass (next close or tick) continues. */
const MAX_DELETES_PER_PASS = 500;
const BATCH = 20;

export interface RetentionContext {
  config: RetentionConfig;
  dataDir: string;
  index: SegmentIndex;
  bus: EventBus<VigilEvents>;
  log: Logger;
  statfs?: StatFs;
}

export interface RetentionStatus {
  state: DiskState | null;
  disk: DiskReading | null;
  deletedSegments: number;
  deletedBytes: number;
  lastError: string | null;
}

export class RetentionPolicy {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private rerun = false;
  private unsubscribe: (() => void) | null = null;
  private readonly statfs: StatFs;
  private readonly status: RetentionStatus = { state: null, disk: null, deletedSegments: 0, deletedBytes: 0, lastError: null };

  constructor(private readonly ctx: RetentionContext) {
    this.statfs = ctx.statfs ?? statDisk;
  }

  snapshot(): RetentionStatus {
    return { ...this.status, disk: this.status.disk && { ...this.status.disk } };
  }

  start(): void {
    this.unsubscribe = this.ctx.bus.on('segment.closed', 'retention', () => void this.trigger());
    this.timer = setInterval(() => void this.trigger(), this.ctx.config.interval_s * 1000);
    void this.trigger();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.unsubscribe?.();
    await this.running;
  }

  /** Applies a changed policy live (config.set): re-arms the timer and checks the disk against it now. */
  updateConfig(config: RetentionConfig): void {
    this.ctx.config = config;
    if (this.timer) {
      clearInterval(this.timer);
      this.timer = setInterval(() => void this.trigger(), config.interval_s * 1000);
    }
    void this.trigger();
  }

  /** Runs a pass now, or once more right after the current one (triggers coalesce). */
  trigger(): Promise<void> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.rerun = false;
        await this.pass().catch((err: unknown) => {
          this.status.lastError = String((err as Error).message ?? err);
          this.ctx.log.error({ err }, 'retention pass failed');
        });
      } while (this.rerun);
    })().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const { config, dataDir, index, log } = this.ctx;
    let disk = await readDisk(dataDir, config, this.statfs);
    let deleted = 0;
    let freed = 0;
    let deletableLeft = true;
    while (disk.freeBytes < disk.requiredBytes && deleted < MAX_DELETES_PER_PASS) {
      const batch = index.oldestDeletable(BATCH);
      if (batch.length === 0) {
        deletableLeft = false;
        break;
      }
      const dirs = new Set<string>();
      // Stop early once the batch should cover the deficit; the re-read below is the judge.
      let deficit = disk.requiredBytes - disk.freeBytes;
      for (const seg of batch) {
        // A clip may have protected it since the batch was read (clips need it): skip it.
        if (index.get(seg.id)?.protected !== 0) continue;
        try {
          await fs.unlink(seg.path);
        } catch (err) {
          if (errnoCode(err) !== 'ENOENT') throw err;
          log.warn({ path: seg.path }, 'segment file already gone; dropping its index row');
        }
        index.remove(seg.id);
        dirs.add(path.dirname(seg.path));
        deleted++;
        freed += seg.bytes ?? 0;
        deficit -= seg.bytes ?? 0;
        if (deficit <= 0) break;
      }
      for (const d of dirs) await syncDir(d).catch((err: unknown) => log.warn({ dir: d, err }, 'fsync of segment dir failed'));
      disk = await readDisk(dataDir, config, this.statfs);
    }
    if (deletableLeft && disk.freeBytes < disk.requiredBytes && deleted < MAX_DELETES_PER_PASS) {
      deletableLeft = index.oldestDeletable(1).length > 0;
    }
    if (deleted > 0) {
      this.status.deletedSegments += deleted;
      this.status.deletedBytes += freed;
      const oldest = index.stats().reduce<number | null>((m, s) => (s.oldest_ms !== null && (m === null || s.oldest_ms < m) ? s.oldest_ms : m), null);
      log.info({ deleted, freedBytes: freed, freeBytes: disk.freeBytes, requiredBytes: disk.requiredBytes }, 'retention deleted oldest segments');
      this.ctx.bus.emit('segments.pruned', { count: deleted, bytes: freed, oldestRemainingMs: oldest });
    }
    this.status.disk = disk;
    this.status.lastError = null;
    this.setState(classify(disk, deletableLeft), disk);
  }

  private setState(state: DiskState, disk: DiskReading): void {
    const previous = this.status.state;
    if (previous === state) return;
    this.status.state = state;
    const cause = state === 'ok' ? 'free space above the reserve'
      : state === 'low' ? 'free space below the reserve; deleting oldest footage'
      : 'free space below the reserve and nothing left that retention may delete (newest, open or protected footage only)';
    const log = state === 'critical' ? this.ctx.log.error.bind(this.ctx.log) : state === 'low' ? this.ctx.log.warn.bind(this.ctx.log) : this.ctx.log.info.bind(this.ctx.log);
    log({ state, previous, freeBytes: disk.freeBytes, freePercent: disk.freePercent, requiredBytes: disk.requiredBytes }, `disk ${state}`);
    this.ctx.bus.emit('disk', { ...disk, state, previous, cause });
  }
}
