// Which rows of the journal a transaction changed, for a store that copies them elsewhere (the
// etcd backend, docs/ha.md). TEMP triggers log each insert, update and delete's table and rowid
// into a TEMP table, inside the writing transaction, so a write that rolls back logs nothing;
// after the COMMIT, `drain()` turns the log into the rows as they now are (or their deletion).
import type Database from 'better-sqlite3';

/** The journal's tables that hold a run's durable state; `meta` (the SQLite epoch) stays local. */
export const REPLICATED_TABLES = ['run_documents', 'tasks', 'approvals', 'events', 'audit', 'operator_actions', 'plan_records', 'runs'] as const;
export type ReplicatedTable = (typeof REPLICATED_TABLES)[number];

/** One row as it is after the commit (`row`), or its deletion (`row` undefined). */
export interface RowChange {
  table: ReplicatedTable;
  rowid: number;
  row: Record<string, unknown> | undefined;
}

export class ChangeCapture {
  private readonly selectLog: Database.Statement;
  private readonly clearLog: Database.Statement;
  private readonly selectRow = new Map<ReplicatedTable, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS lockstep_changes (tbl TEXT NOT NULL, rid INTEGER NOT NULL)`);
    for (const table of REPLICATED_TABLES) {
      for (const [event, row] of [['INSERT', 'NEW'], ['UPDATE', 'NEW'], ['DELETE', 'OLD']] as const) {
        db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS lockstep_capture_${table}_${event.toLowerCase()} AFTER ${event} ON main.${table}
                 BEGIN INSERT INTO lockstep_changes (tbl, rid) VALUES ('${table}', ${row}.rowid); END`);
      }
      this.selectRow.set(table, db.prepare(`SELECT * FROM main.${table} WHERE rowid = ?`));
    }
    this.selectLog = db.prepare(`SELECT tbl, rid FROM lockstep_changes ORDER BY rowid`);
    this.clearLog = db.prepare(`DELETE FROM lockstep_changes`);
  }

  /**
   * The rows changed since the last drain, once each, in the order of their first change, with
   * every `runs` row last: a run becomes visible to a reader of the copy only once its
   * documents and tasks are there, even when the copy is written in several batches.
   */
  drain(): RowChange[] {
    const logged = this.selectLog.all() as Array<{ tbl: ReplicatedTable; rid: number }>;
    if (logged.length === 0) return [];
    this.clearLog.run();
    const seen = new Set<string>();
    const changes: RowChange[] = [];
    const runs: RowChange[] = [];
    for (const { tbl, rid } of logged) {
      const key = `${tbl}/${rid}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const row = (this.selectRow.get(tbl) as Database.Statement).get(rid) as Record<string, unknown> | undefined;
      (tbl === 'runs' ? runs : changes).push({ table: tbl, rowid: rid, row });
    }
    return changes.concat(runs);
  }

  /** Forgets what is logged: a copy that writes rows it received (a follower) has nothing to send. */
  discard(): void {
    this.clearLog.run();
  }
}

/** Writes rows received from the copy's source, keeping their rowids, so the next writer's rowids follow on. */
export class RowApplier {
  private readonly upserts = new Map<string, Database.Statement>();
  private readonly deletes = new Map<ReplicatedTable, Database.Statement>();

  constructor(private readonly db: Database.Database) {
    for (const table of REPLICATED_TABLES) this.deletes.set(table, db.prepare(`DELETE FROM main.${table} WHERE rowid = ?`));
  }

  apply(change: RowChange): void {
    if (change.row === undefined) {
      (this.deletes.get(change.table) as Database.Statement).run(change.rowid);
      return;
    }
    const columns = Object.keys(change.row);
    const signature = `${change.table}(${columns.join(',')})`;
    let upsert = this.upserts.get(signature);
    if (upsert === undefined) {
      for (const column of columns) if (!/^[a-z_]+$/.test(column)) throw new Error(`journal row of ${change.table} has a column named ${JSON.stringify(column)}`);
      upsert = this.db.prepare(`INSERT OR REPLACE INTO main.${change.table} (rowid, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`);
      this.upserts.set(signature, upsert);
    }
    upsert.run(change.rowid, ...columns.map((column) => change.row?.[column]));
  }
}
