// Reading a running vigild from the outside: its control socket and its segment index.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { AppStatus } from '../src/app';
import { callDaemon } from '../src/cli/client';
import type { SegmentRow } from '../src/recording/segment-index';

export async function daemonStatus(dataDir: string): Promise<AppStatus> {
  const res = await callDaemon(path.join(dataDir, 'vigil.sock'), 'status', {}, 5000);
  if (res.status !== 'ok') throw new Error(`vigild status failed: ${JSON.stringify(res.error)}`);
  return res.data as AppStatus;
}

/**
 * The index rows; null while there is no vigil.db yet. While vigild runs (`live`) the file is
 * opened read-only: in WAL mode readers never block the writer, and a read that lands before
 * the schema exists throws (callers poll). After vigild has stopped and removed -wal/-shm,
 * a plain connection recreates them if needed.
 */
export function readIndex(dataDir: string, live: boolean): SegmentRow[] | null {
  const file = path.join(dataDir, 'vigil.db');
  if (!fs.existsSync(file)) return null;
  const db = new Database(file, { readonly: live, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return db.prepare('SELECT * FROM segments ORDER BY start_ms').all() as SegmentRow[];
  } finally {
    db.close();
  }
}

export function sumFrames(rows: SegmentRow[]): number {
  return rows.reduce((n, r) => n + (r.frames ?? 0), 0);
}
