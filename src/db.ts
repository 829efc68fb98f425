// Opens vigil.db with the settings that survive power cuts, and applies versioned migrations.
// WAL keeps readers off the writer's back; synchronous=FULL makes every commit durable, which
// costs little because vigil commits a handful of rows per segment, not per frame.
import Database from 'better-sqlite3';

export type Db = Database.Database;

/** Migration N brings the schema from user_version N to N+1. Append only; never edit a shipped one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE segments (
     id          INTEGER PRIMARY KEY,
     camera      TEXT    NOT NULL,
     path        TEXT    NOT NULL UNIQUE,
     run_id      TEXT    NOT NULL,
     start_ms    INTEGER NOT NULL,
     end_ms      INTEGER,
     duration_ms INTEGER,
     frames      INTEGER,
     bytes       INTEGER,
     state       TEXT    NOT NULL CHECK (state IN ('open', 'closed', 'recovered', 'corrupt')),
     protected   INTEGER NOT NULL DEFAULT 0,
     note        TEXT
   );
   CREATE INDEX segments_camera_start ON segments (camera, start_ms);
   CREATE INDEX segments_state ON segments (state);`,
  // Durable outbox for fleet events. AUTOINCREMENT (not a plain rowid) so a seq is never reused
  // after the newest rows are acked and deleted: sqlite_sequence remembers the highest one ever
  // issued, which makes seq increase by one per event across restarts. The (telemetry, seq)
  // index finds the oldest droppable rows when the byte cap is hit. counters keeps totals that
  // must outlive a restart (events dropped at the cap are reported, never silently forgotten).
  `CREATE TABLE outbox (
     seq        INTEGER PRIMARY KEY AUTOINCREMENT,
     topic      TEXT    NOT NULL,
     payload    TEXT    NOT NULL,
     bytes      INTEGER NOT NULL,
     telemetry  INTEGER NOT NULL CHECK (telemetry IN (0, 1)),
     created_ms INTEGER NOT NULL
   );
   CREATE INDEX outbox_telemetry_seq ON outbox (telemetry, seq);
   CREATE TABLE counters (
     name  TEXT    PRIMARY KEY,
     value INTEGER NOT NULL DEFAULT 0
   );`,
  // Object events from the detectors (new / update / end per tracked object), kept for
  // `vigil events tail` and clip triggers. Bounded by the detection store's own pruning.
  `CREATE TABLE detections (
     id             INTEGER PRIMARY KEY,
     camera         TEXT    NOT NULL,
     object_id      TEXT    NOT NULL,
     kind           TEXT    NOT NULL CHECK (kind IN ('new', 'update', 'end')),
     label          TEXT    NOT NULL,
     score          REAL    NOT NULL,
     best_score     REAL    NOT NULL,
     box            TEXT    NOT NULL,
     zones          TEXT    NOT NULL,
     first_seen_ms  INTEGER NOT NULL,
     last_seen_ms   INTEGER NOT NULL,
     snapshot_path  TEXT,
     snapshot_bytes INTEGER,
     created_ms     INTEGER NOT NULL
   );
   CREATE INDEX detections_camera_seen ON detections (camera, last_seen_ms);
   CREATE INDEX detections_object ON detections (object_id);`,
  // Event clips (src/clips/): one row per clip, its lifecycle state and, while it is queued for
  // upload, the pre-signed target and retry bookkeeping, so a restart resumes builds and uploads.
  `CREATE TABLE clips (
     id                 TEXT    PRIMARY KEY,
     camera             TEXT    NOT NULL,
     reason             TEXT    NOT NULL,
     requested_start_ms INTEGER NOT NULL,
     requested_end_ms   INTEGER NOT NULL,
     start_ms           INTEGER,
     end_ms             INTEGER,
     frames             INTEGER,
     path               TEXT,
     bytes              INTEGER,
     sha256             TEXT,
     locked             INTEGER NOT NULL DEFAULT 0,
     state              TEXT    NOT NULL CHECK (state IN ('pending', 'building', 'ready', 'uploading', 'uploaded', 'failed')),
     cause              TEXT,
     created_ms         INTEGER NOT NULL,
     updated_ms         INTEGER NOT NULL,
     upload_url         TEXT,
     upload_method      TEXT,
     upload_headers     TEXT,
     upload_attempts    INTEGER NOT NULL DEFAULT 0,
     upload_next_ms     INTEGER,
     upload_error       TEXT,
     build_attempts     INTEGER NOT NULL DEFAULT 0,
     build_retry_ms     INTEGER
   );
   CREATE INDEX clips_camera_state ON clips (camera, state);
   CREATE INDEX clips_created ON clips (created_ms);`,
];

export function openDb(file: string): Db {
  const db = new Database(file);
  try {
    // Refuse a newer schema before changing anything in the file (WAL mode is stored in it).
    checkVersion(db);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
    migrateDb(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function checkVersion(db: Db): number {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`vigil.db schema version ${current} is newer than this build understands (${MIGRATIONS.length}); refusing to touch it`);
  }
  return current;
}

export function migrateDb(db: Db): void {
  const current = checkVersion(db);
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
