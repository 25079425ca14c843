// Opening lockstep's SQLite files: WAL, synchronous=FULL (a journaled transition must survive
// power loss, or an operation could run twice after a crash), and the schema migrated to the
// newest version (PRAGMA user_version counts the migrations applied).
import Database from 'better-sqlite3';
import { preparePrivateFile } from './private-dir.js';

export function openDatabase(file: string, migrations: readonly string[]): Database.Database {
  // 0600 whatever the umask; SQLite gives the -wal and -shm files the database's mode.
  preparePrivateFile(file, 'database');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  const version = db.pragma('user_version', { simple: true }) as number;
  for (let next = version; next < migrations.length; next++) {
    db.transaction(() => {
      db.exec(migrations[next] as string);
      db.pragma(`user_version = ${next + 1}`);
    })();
  }
  return db;
}

/**
 * An in-memory database with the schema migrated: the HA coordinator's copy of the journal held
 * in etcd (docs/ha.md). Foreign keys are off: the copy takes rows in etcd's order, and a run's
 * row arrives after its tasks.
 */
export function openMemoryDatabase(migrations: readonly string[]): Database.Database {
  const db = new Database(':memory:');
  db.pragma('foreign_keys = OFF');
  for (const migration of migrations) db.exec(migration);
  db.pragma(`user_version = ${migrations.length}`);
  return db;
}
