// SegmentRecorder: turns the camera processes' fragment messages into durable index rows.
// A segment is called 'closed' only after its data and its directory entry are fsynced, so a
// power cut can never leave the index pointing at footage that is not on the disk. Segments
// left open by a crash are probed and indexed as 'recovered', or quarantined as 'corrupt'.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { EventBus } from '../bus';
import type { VigilEvents } from '../events';
import { errnoCode, moveFile, syncDir, syncFile } from '../fsutil';
import type { Logger } from '../log';
import type { SegmentIndex, SegmentRow } from './segment-index';
import { probeSegment, type SegmentProbe } from './ts-probe';

/** How often the segment being written is fdatasynced: bounds what a power cut can take. */
const SYNC_OPEN_EVERY_MS = 1000;
const SEGMENT_EXT = '.ts';

export interface SegmentRecorderContext {
  index: SegmentIndex;
  bus: EventBus<VigilEvents>;
  log: Logger;
  dataDir: string;
  probe?: (file: string) => Promise<SegmentProbe>;
}

export function segmentDir(dataDir: string, camera: string): string {
  return path.join(dataDir, 'segments', camera);
}

export function quarantineDir(dataDir: string, camera: string): string {
  return path.join(dataDir, 'quarantine', camera);
}

/** `file`, or `file` with a numeric suffix when that name is taken: quarantine never overwrites. */
async function freeName(file: string): Promise<string> {
  const ext = path.extname(file);
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? file : `${file.slice(0, -ext.length)}.${i}${ext}`;
    try {
      await fs.access(candidate);
    } catch {
      return candidate;
    }
  }
}

export class SegmentRecorder {
  private readonly probe: (file: string) => Promise<SegmentProbe>;
  /** Per-camera promise chain: a close and a crash recovery of the same camera never interleave. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly openFiles = new Map<string, string>();
  private syncTimer: NodeJS.Timeout | null = null;
  private syncing = false;

  constructor(private readonly ctx: SegmentRecorderContext) {
    this.probe = ctx.probe ?? probeSegment;
  }

  start(): void {
    this.syncTimer = setInterval(() => void this.syncOpenSegments(), SYNC_OPEN_EVERY_MS);
  }

  async stop(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.syncTimer = null;
    await Promise.all([...this.chains.values()]);
  }

  /** Waits until every queued close/recovery of `camera` is done. */
  drain(camera: string): Promise<void> {
    return this.chains.get(camera) ?? Promise.resolve();
  }

  opened(camera: string, runId: string, file: string, startMs: number): void {
    this.enqueue(camera, async () => {
      const id = this.ctx.index.open(camera, file, runId, startMs);
      this.openFiles.set(camera, file);
      this.ctx.bus.emit('segment.opened', { camera, id, path: file, startMs });
      // The new directory entry must survive a power cut too, or the periodic data syncs are moot.
      await syncDir(path.dirname(file));
    });
  }

  closed(camera: string, file: string, endMs: number): void {
    this.enqueue(camera, async () => {
      if (this.openFiles.get(camera) === file) this.openFiles.delete(camera);
      const row = this.ctx.index.getByPath(file);
      if (!row) {
        this.ctx.log.warn({ camera, path: file }, 'closed segment was never indexed as open; indexing it now');
        return this.recoverOrphan(camera, file);
      }
      await syncFile(file);
      await syncDir(path.dirname(file));
      const probe = await this.probe(file);
      const durationMs = Math.round(probe.ok ? probe.durationMs : endMs - row.start_ms);
      this.ctx.index.finish(row.id, { endMs, durationMs, frames: probe.ok ? probe.frames : null, bytes: probe.bytes }, 'closed');
      this.ctx.bus.emit('segment.closed', {
        camera, id: row.id, path: file, startMs: row.start_ms, endMs, durationMs, frames: probe.ok ? probe.frames : null, bytes: probe.bytes,
      });
    });
  }

  /** Probes and indexes every segment of `camera` (or all cameras) left open by a crash. */
  recoverOpen(camera?: string): Promise<void> {
    const rows = this.ctx.index.listOpen(camera);
    const cams = new Set(rows.map((r) => r.camera));
    return Promise.all(
      [...cams].map((cam) => this.enqueue(cam, async () => {
        this.openFiles.delete(cam);
        for (const row of this.ctx.index.listOpen(cam)) await this.recoverRow(row);
      })),
    ).then(() => undefined);
  }

  /** Indexes segment files on disk that the index does not know (crash between create and insert). */
  scanOrphans(camera: string): Promise<void> {
    return this.enqueue(camera, async () => {
      const dir = segmentDir(this.ctx.dataDir, camera);
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return;
        throw err;
      }
      const known = this.ctx.index.knownPaths(camera);
      for (const name of names.sort()) {
        const file = path.join(dir, name);
        if (name.endsWith(SEGMENT_EXT) && !known.has(file)) await this.recoverOrphan(camera, file);
      }
    });
  }

  private enqueue(camera: string, job: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(camera) ?? Promise.resolve();
    const next = prev.then(job).catch((err: unknown) => {
      this.ctx.log.error({ camera, err }, 'segment bookkeeping failed');
    });
    this.chains.set(camera, next);
    return next;
  }

  private async recoverRow(row: SegmentRow): Promise<void> {
    let probe: SegmentProbe;
    try {
      probe = await this.probe(row.path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      this.ctx.index.markCorrupt(row.id, row.path, 'file missing after crash', null);
      this.emitRecovered(row, 'corrupt', 0, 0, 'file missing after crash');
      return;
    }
    if (probe.bytes === 0) {
      // Killed before the muxer wrote a byte: there is no footage to keep or to quarantine.
      await fs.unlink(row.path);
      this.ctx.index.remove(row.id);
      this.ctx.log.info({ camera: row.camera, path: row.path }, 'empty segment left by a crash removed');
      return;
    }
    if (probe.ok && probe.frames > 0) {
      await syncFile(row.path);
      const note = `recovered after crash: ${probe.frames} frames${probe.truncated ? ', truncated tail' : ''}`;
      this.ctx.index.finish(row.id, { endMs: row.start_ms + probe.durationMs, durationMs: probe.durationMs, frames: probe.frames, bytes: probe.bytes }, 'recovered', note);
      this.emitRecovered(row, 'recovered', probe.durationMs, probe.frames, note);
      this.ctx.log.info({ camera: row.camera, path: row.path, durationMs: probe.durationMs, frames: probe.frames }, 'segment recovered');
    } else {
      await this.quarantine(row, probe.error ?? 'no playable frames');
    }
  }

  private async quarantine(row: SegmentRow, why: string): Promise<void> {
    const dest = await freeName(path.join(quarantineDir(this.ctx.dataDir, row.camera), path.basename(row.path)));
    const bytes = await fs.stat(row.path).then((s) => s.size, () => null);
    await moveFile(row.path, dest);
    const note = `corrupt: ${why}`;
    this.ctx.index.markCorrupt(row.id, dest, note, bytes);
    this.emitRecovered({ ...row, path: dest }, 'corrupt', 0, 0, note);
    this.ctx.log.warn({ camera: row.camera, path: dest, why }, 'segment quarantined');
  }

  private async recoverOrphan(camera: string, file: string): Promise<void> {
    const stat = await fs.stat(file);
    if (stat.size === 0) {
      await fs.unlink(file);
      this.ctx.log.info({ camera, path: file }, 'empty orphan segment removed');
      return;
    }
    const probe = await this.probe(file);
    // Without a fragment message the wall clock is unknown: the file's mtime marks its end.
    const durationMs = probe.ok ? probe.durationMs : 0;
    const startMs = stat.mtimeMs - durationMs;
    const id = this.ctx.index.open(camera, file, 'orphan', startMs);
    const row = this.ctx.index.get(id) as SegmentRow;
    if (probe.ok && probe.frames > 0) {
      const note = 'orphan file indexed at boot; start estimated from mtime';
      this.ctx.index.finish(id, { endMs: stat.mtimeMs, durationMs, frames: probe.frames, bytes: probe.bytes }, 'recovered', note);
      this.emitRecovered(row, 'recovered', durationMs, probe.frames, note);
    } else {
      await this.quarantine(row, probe.error ?? 'no playable frames');
    }
  }

  private emitRecovered(row: SegmentRow, state: 'recovered' | 'corrupt', durationMs: number, frames: number, note: string): void {
    this.ctx.bus.emit('segment.recovered', { camera: row.camera, id: row.id, path: row.path, state, durationMs: Math.round(durationMs), frames, note });
  }

  private async syncOpenSegments(): Promise<void> {
    if (this.syncing) return; // a slow card must not pile up syncs
    this.syncing = true;
    try {
      for (const [camera, file] of this.openFiles) {
        await syncFile(file).catch((err: unknown) => {
          if (errnoCode(err) !== 'ENOENT') this.ctx.log.warn({ camera, path: file, err }, 'fdatasync of open segment failed');
        });
      }
    } finally {
      this.syncing = false;
    }
  }
}
