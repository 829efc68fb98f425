// openDb: migrations set user_version, re-opening is idempotent, a newer schema is refused,
// and the power-cut settings (WAL, synchronous=FULL) are on. Real SQLite files in a temp dir.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { migrateDb, openDb } from '../src/db';
import { tmpDir } from './helpers/daemon';

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function tables(db: Database.Database): string[] {
  return (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
}

test('a fresh file gets the schema and a user_version matching it', () => {
  const file = path.join(tmpDir('vigil-db-'), 'vigil.db');
  const db = openDb(file);
  try {
    assert.ok(userVersion(db) >= 1, `user_version ${userVersion(db)}`);
    assert.ok(tables(db).includes('segments'), `tables: ${tables(db).join(',')}`);
    const cols = (db.prepare('PRAGMA table_info(segments)').all() as { name: string }[]).map((c) => c.name);
    for (const c of ['camera', 'path', 'run_id', 'start_ms', 'end_ms', 'state', 'protected', 'note']) assert.ok(cols.includes(c), `missing column ${c}`);
    // The state CHECK constraint is part of the schema: an unknown state is rejected.
    assert.throws(() => db.prepare(`INSERT INTO segments (camera, path, run_id, start_ms, state) VALUES ('c', '/x', 'r', 0, 'bogus')`).run(), /CHECK/);
  } finally {
    db.close();
  }
});

test('re-opening is idempotent: same version, data kept, migrateDb again is a no-op', () => {
  const file = path.join(tmpDir('vigil-db-'), 'vigil.db');
  const first = openDb(file);
  const version = userVersion(first);
  first.prepare(`INSERT INTO segments (camera, path, run_id, start_ms, state) VALUES ('front', '/a.ts', 'r1', 1000, 'open')`).run();
  first.close();

  const second = openDb(file);
  try {
    assert.equal(userVersion(second), version);
    assert.deepEqual(second.prepare('SELECT camera, path FROM segments').all(), [{ camera: 'front', path: '/a.ts' }]);
    assert.doesNotThrow(() => migrateDb(second));
    assert.equal(userVersion(second), version);
  } finally {
    second.close();
  }
});

test('a database from a newer build is refused with a clear message and its schema is not touched', () => {
  const dir = tmpDir('vigil-db-');
  const file = path.join(dir, 'vigil.db');
  const probe = openDb(path.join(dir, 'probe.db'));
  const known = userVersion(probe);
  probe.close();

  const future = new Database(file);
  future.exec('CREATE TABLE from_the_future (x INTEGER)');
  future.pragma(`user_version = ${known + 1}`);
  future.close();

  assert.throws(() => openDb(file), (err: unknown) => {
    assert.ok(err instanceof Error);
    assert.match(err.message, new RegExp(`schema version ${known + 1} is newer than this build understands \\(${known}\\)`));
    assert.match(err.message, /refusing/);
    return true;
  });
  const after = new Database(file, { readonly: true });
  try {
    assert.equal(userVersion(after), known + 1);
    assert.deepEqual(tables(after), ['from_the_future']);
  } finally {
    after.close();
  }
});

test('WAL journal and synchronous=FULL are on, and WAL persists in the file', () => {
  const file = path.join(tmpDir('vigil-db-'), 'vigil.db');
  const db = openDb(file);
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2, 'synchronous must be FULL (2)');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.ok((db.pragma('busy_timeout', { simple: true }) as number) > 0);
    db.prepare(`INSERT INTO segments (camera, path, run_id, start_ms, state) VALUES ('front', '/b.ts', 'r', 1, 'open')`).run();
    assert.ok(fs.existsSync(`${file}-wal`), 'a write in WAL mode goes to the -wal file');
    // journal_mode=WAL is stored in the database header: a plain connection sees it too.
    const plain = new Database(file, { readonly: true });
    try {
      assert.equal(plain.pragma('journal_mode', { simple: true }), 'wal');
      // A second connection reads the committed row while the writer is still open (WAL readers).
      assert.equal((plain.prepare('SELECT COUNT(*) AS n FROM segments').get() as { n: number }).n, 1);
    } finally {
      plain.close();
    }
  } finally {
    db.close();
  }
});

test('a refused database is left as found: journal mode unchanged and no connection left open', () => {
  // BUG (src/db.ts openDb): the pragmas run before the version check, so a refused file is
  // switched to WAL (a persistent header change) and the connection is never closed
  // (its -wal/-shm files stay behind). Fix: read user_version first, close and throw if too new.
  const dir = tmpDir('vigil-db-');
  const file = path.join(dir, 'vigil.db');
  const future = new Database(file);
  future.exec('CREATE TABLE from_the_future (x INTEGER)');
  future.pragma('user_version = 1000');
  const modeBefore = future.pragma('journal_mode', { simple: true });
  future.close();

  assert.throws(() => openDb(file), /newer than this build understands/);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('vigil.db-')), [], 'refused openDb left its connection open');
  const after = new Database(file, { readonly: true });
  try {
    assert.equal(after.pragma('journal_mode', { simple: true }), modeBefore, '"refusing to touch it", yet the journal mode was changed');
  } finally {
    after.close();
  }
});
