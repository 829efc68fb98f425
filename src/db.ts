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
];

export function openDb(file: string): Db {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  migrateDb(db);
  return db;
}

export function migrateDb(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > MIGRATIONS.length) {
    throw new Error(`vigil.db schema version ${current} is newer than this build understands (${MIGRATIONS.length}); refusing to touch it`);
  }
  for (let v = current; v < MIGRATIONS.length; v++) {
    const sql = MIGRATIONS[v] as string;
    db.transaction(() => {
      db.exec(sql);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
