// Object events in SQLite: what `vigil events`, clip triggers and an operator looking back at
// the day read. Bounded: beyond MAX_ROWS the oldest rows go, a few hundred at a time.
import type { Db } from '../db';
import type { ObjectEvent } from '../events';

const MAX_ROWS = 100_000;
const PRUNE_EVERY = 500;

export interface DetectionRow {
  id: number; camera: string; object_id: string; kind: 'new' | 'update' | 'end'; label: string; score: number; best_score: number;
  box: string; zones: string; first_seen_ms: number; last_seen_ms: number; snapshot_path: string | null; snapshot_bytes: number | null; created_ms: number;
}

export class DetectionStore {
  private inserts = 0;
  private readonly insertStmt;

  constructor(private readonly db: Db, private readonly maxRows = MAX_ROWS) {
    this.insertStmt = db.prepare(
      `INSERT INTO detections (camera, object_id, kind, label, score, best_score, box, zones, first_seen_ms, last_seen_ms, snapshot_path, snapshot_bytes, created_ms)
       VALUES (@camera, @objectId, @kind, @label, @score, @bestScore, @box, @zones, @firstSeenMs, @lastSeenMs, @snapshotPath, @snapshotBytes, @createdMs)`,
    );
  }

  insert(e: ObjectEvent): void {
    this.insertStmt.run({
      camera: e.camera, objectId: e.objectId, kind: e.kind, label: e.label, score: e.score, bestScore: e.bestScore,
      box: JSON.stringify(e.box), zones: JSON.stringify(e.zones), firstSeenMs: e.firstSeenMs, lastSeenMs: e.lastSeenMs,
      snapshotPath: e.snapshot?.path ?? null, snapshotBytes: e.snapshot?.bytes ?? null, createdMs: Date.now(),
    });
    if (++this.inserts % PRUNE_EVERY === 0) this.prune();
  }

  list(camera: string | null, sinceMs: number, limit: number): DetectionRow[] {
    return this.db
      .prepare(`SELECT * FROM detections WHERE (@camera IS NULL OR camera = @camera) AND last_seen_ms >= @since ORDER BY id LIMIT @limit`)
      .all({ camera, since: sinceMs, limit }) as DetectionRow[];
  }

  private prune(): void {
    const row = this.db.prepare('SELECT MAX(id) AS max FROM detections').get() as { max: number | null };
    if (row.max !== null) this.db.prepare('DELETE FROM detections WHERE id <= ?').run(row.max - this.maxRows);
  }
}
