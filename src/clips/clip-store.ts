// ClipStore: the SQLite record of every clip (migration 4 in db.ts). It is the durable half of
// the clip service and the upload queue: what is pending, building or uploading here survives
// a restart and is resumed.
import type { Db } from '../db';
import type { ClipEvent, ClipState } from '../events';

export interface ClipRow {
  id: string;
  camera: string;
  reason: string;
  requested_start_ms: number;
  requested_end_ms: number;
  start_ms: number | null;
  end_ms: number | null;
  frames: number | null;
  path: string | null;
  bytes: number | null;
  sha256: string | null;
  locked: number;
  state: ClipState;
  cause: string | null;
  created_ms: number;
  updated_ms: number;
  upload_url: string | null;
  upload_method: string | null;
  upload_headers: string | null;
  upload_attempts: number;
  upload_next_ms: number | null;
  upload_error: string | null;
  build_attempts: number;
  /** A failed build is retried (footage kept protected) no earlier than this. */
  build_retry_ms: number | null;
}

/** States in which the clip's footage still has to be read from the loop. */
export const UNFINISHED: readonly ClipState[] = ['pending', 'building'];

export class ClipStore {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      insert: db.prepare(`INSERT INTO clips (id, camera, reason, requested_start_ms, requested_end_ms, locked, state, created_ms, updated_ms)
                          VALUES (@id, @camera, @reason, @requested_start_ms, @requested_end_ms, @locked, 'pending', @now, @now)`),
      get: db.prepare(`SELECT * FROM clips WHERE id = ?`),
      list: db.prepare(`SELECT * FROM clips WHERE (@camera IS NULL OR camera = @camera) AND (@state IS NULL OR state = @state) ORDER BY created_ms DESC, id DESC LIMIT @limit`),
      byStates: db.prepare(`SELECT * FROM clips WHERE state IN (SELECT value FROM json_each(?)) ORDER BY requested_start_ms`),
      remove: db.prepare(`DELETE FROM clips WHERE id = ?`),
      byState: db.prepare(`SELECT state, COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS bytes FROM clips GROUP BY state`),
      // Finished clips that hold a file, oldest first: the clip quota's candidates.
      withFiles: db.prepare(`SELECT * FROM clips WHERE path IS NOT NULL AND state NOT IN ('pending', 'building') ORDER BY created_ms, id`),
    };
  }

  insert(row: { id: string; camera: string; reason: string; requested_start_ms: number; requested_end_ms: number; locked: boolean }): ClipRow {
    this.stmts.insert.run({ ...row, locked: row.locked ? 1 : 0, now: Date.now() });
    return this.get(row.id) as ClipRow;
  }

  get(id: string): ClipRow | undefined {
    return this.stmts.get.get(id) as ClipRow | undefined;
  }

  list(filter: { camera?: string; state?: string; limit: number }): ClipRow[] {
    return this.stmts.list.all({ camera: filter.camera ?? null, state: filter.state ?? null, limit: filter.limit }) as ClipRow[];
  }

  inStates(states: readonly ClipState[]): ClipRow[] {
    return this.stmts.byStates.all(JSON.stringify(states)) as ClipRow[];
  }

  /** Clips and their bytes per state, counted by SQLite (status runs at every health tick). */
  countsByState(): Array<{ state: string; n: number; bytes: number }> {
    return this.stmts.byState.all() as Array<{ state: string; n: number; bytes: number }>;
  }

  withFiles(): ClipRow[] {
    return this.stmts.withFiles.all() as ClipRow[];
  }

  /** Updates the given columns (names are from ClipRow, never from input) and returns the row. */
  update(id: string, fields: Partial<Omit<ClipRow, 'id'>>): ClipRow {
    const keys = Object.keys(fields);
    const set = [...keys.map((k) => `${k} = @${k}`), 'updated_ms = @updated_ms'].join(', ');
    this.db.prepare(`UPDATE clips SET ${set} WHERE id = @id`).run({ ...fields, updated_ms: Date.now(), id });
    return this.get(id) as ClipRow;
  }

  remove(id: string): void {
    this.stmts.remove.run(id);
  }
}

/** The bus event for a row; `state` is 'deleted' for a deleted clip. */
export function clipEvent(row: ClipRow, event: ClipEvent['event'], cause: string | null, deleted = false): ClipEvent {
  return {
    id: row.id, camera: row.camera, event, state: deleted ? 'deleted' : row.state, reason: row.reason,
    requestedStartMs: row.requested_start_ms, requestedEndMs: row.requested_end_ms,
    startMs: row.start_ms, endMs: row.end_ms, bytes: row.bytes, sha256: row.sha256, locked: row.locked === 1, cause,
  };
}

/** The public view of a clip, as commands return it (ISO times, no upload secrets). */
export function clipView(row: ClipRow): Record<string, unknown> {
  const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: row.id, camera: row.camera, reason: row.reason, state: row.state,
    requested_start: iso(row.requested_start_ms), requested_end: iso(row.requested_end_ms),
    start: iso(row.start_ms), end: iso(row.end_ms), duration_s: row.start_ms !== null && row.end_ms !== null ? (row.end_ms - row.start_ms) / 1000 : null,
    frames: row.frames, path: row.path, bytes: row.bytes, sha256: row.sha256, locked: row.locked === 1, cause: row.cause,
    created: iso(row.created_ms),
    upload: row.upload_url ? { host: safeHost(row.upload_url), attempts: row.upload_attempts, next_retry: iso(row.upload_next_ms), last_error: row.upload_error } : null,
  };
}

/** Pre-signed URLs carry their signature in the query: only the host is ever shown or logged. */
export function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '?';
  }
}
