// SegmentIndex: the SQLite record of every loop segment on disk. It is the source of truth
// for retention, clips and the fleet: a row says where a file is, what wall-clock span it
// covers and whether it is still being written.
import type { Db } from '../db';

export type SegmentState = 'open' | 'closed' | 'recovered' | 'corrupt';

export interface SegmentRow {
  id: number;
  camera: string;
  path: string;
  run_id: string;
  start_ms: number;
  end_ms: number | null;
  duration_ms: number | null;
  frames: number | null;
  bytes: number | null;
  state: SegmentState;
  protected: number;
  note: string | null;
}

export interface SegmentFinal {
  endMs: number;
  durationMs: number;
  frames: number | null;
  bytes: number;
}

export interface CameraSegmentStats {
  camera: string;
  segments: number;
  bytes: number;
  oldest_ms: number | null;
  newest_ms: number | null;
}

/** Stand-in end for a segment still being written. */
const OPEN_END = Number.MAX_SAFE_INTEGER;

export class SegmentIndex {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO segments (camera, path, run_id, start_ms, state) VALUES (?, ?, ?, ?, 'open')`),
      byPath: db.prepare(`SELECT * FROM segments WHERE path = ?`),
      byId: db.prepare(`SELECT * FROM segments WHERE id = ?`),
      finish: db.prepare(`UPDATE segments SET end_ms = ?, duration_ms = ?, frames = ?, bytes = ?, state = ?, note = ? WHERE id = ?`),
      corrupt: db.prepare(`UPDATE segments SET path = ?, state = 'corrupt', note = ?, bytes = ? WHERE id = ?`),
      open: db.prepare(`SELECT * FROM segments WHERE state = 'open' ORDER BY start_ms`),
      openFor: db.prepare(`SELECT * FROM segments WHERE state = 'open' AND camera = ? ORDER BY start_ms`),
      deletable: db.prepare(`SELECT * FROM segments WHERE state IN ('closed', 'recovered') AND protected = 0 ORDER BY start_ms LIMIT ?`),
      remove: db.prepare(`DELETE FROM segments WHERE id = ?`),
      // An open segment (end_ms NULL) extends to "now": it overlaps any range that starts after it began.
      range: db.prepare(`SELECT * FROM segments WHERE camera = ? AND state != 'corrupt' AND start_ms < ? AND COALESCE(end_ms, ${OPEN_END}) > ? ORDER BY start_ms LIMIT ?`),
      protect: db.prepare(`UPDATE segments SET protected = ? WHERE camera = ? AND start_ms < ? AND COALESCE(end_ms, ${OPEN_END}) > ?`),
      stats: db.prepare(`SELECT camera, COUNT(*) AS segments, COALESCE(SUM(bytes), 0) AS bytes, MIN(start_ms) AS oldest_ms, MAX(COALESCE(end_ms, start_ms)) AS newest_ms
                         FROM segments WHERE state != 'corrupt' GROUP BY camera ORDER BY camera`),
      paths: db.prepare(`SELECT path FROM segments WHERE camera = ?`),
    };
  }

  /** Records a segment the muxer just opened; returns its row id. */
  open(camera: string, path: string, runId: string, startMs: number): number {
    return Number(this.stmts.insert.run(camera, path, runId, Math.round(startMs)).lastInsertRowid);
  }

  get(id: number): SegmentRow | undefined {
    return this.stmts.byId.get(id) as SegmentRow | undefined;
  }

  getByPath(path: string): SegmentRow | undefined {
    return this.stmts.byPath.get(path) as SegmentRow | undefined;
  }

  /** Marks a segment finished: 'closed' after a normal close, 'recovered' after a crash probe. */
  finish(id: number, f: SegmentFinal, state: 'closed' | 'recovered', note: string | null = null): void {
    this.stmts.finish.run(Math.round(f.endMs), Math.round(f.durationMs), f.frames, f.bytes, state, note, id);
  }

  /** Records that a segment could not be played back and where its file was moved. */
  markCorrupt(id: number, quarantinePath: string, note: string, bytes: number | null): void {
    this.stmts.corrupt.run(quarantinePath, note, bytes, id);
  }

  listOpen(camera?: string): SegmentRow[] {
    return (camera === undefined ? this.stmts.open.all() : this.stmts.openFor.all(camera)) as SegmentRow[];
  }

  /** Oldest segments that retention may delete: finished, not protected. Open ones never qualify. */
  oldestDeletable(limit: number): SegmentRow[] {
    return this.stmts.deletable.all(limit) as SegmentRow[];
  }

  remove(id: number): void {
    this.stmts.remove.run(id);
  }

  /** Segments of `camera` overlapping [fromMs, toMs), oldest first. */
  list(camera: string, fromMs: number, toMs: number, limit = 1000): SegmentRow[] {
    return this.stmts.range.all(camera, toMs, fromMs, limit) as SegmentRow[];
  }

  /** Sets or clears the protected flag on every segment of `camera` overlapping [fromMs, toMs). */
  setProtected(camera: string, fromMs: number, toMs: number, on: boolean): number {
    return this.stmts.protect.run(on ? 1 : 0, camera, toMs, fromMs).changes;
  }

  stats(): CameraSegmentStats[] {
    return this.stmts.stats.all() as CameraSegmentStats[];
  }

  knownPaths(camera: string): Set<string> {
    return new Set((this.stmts.paths.all(camera) as { path: string }[]).map((r) => r.path));
  }
}
