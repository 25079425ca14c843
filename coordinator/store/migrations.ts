// The coordinator database's schema, one entry per version (PRAGMA user_version). Never edit
// an entry that has shipped: add the next one.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE meta (
     key   TEXT PRIMARY KEY,
     value TEXT NOT NULL
   );
   CREATE TABLE runs (
     id              TEXT PRIMARY KEY,
     cluster         TEXT NOT NULL,
     procedure       TEXT NOT NULL,
     state           TEXT NOT NULL,
     plan_json       TEXT NOT NULL,
     plan_hash       TEXT NOT NULL,
     runbook_path    TEXT NOT NULL,
     tls_json        TEXT NOT NULL,
     auto_approve    INTEGER NOT NULL,
     requested_by    TEXT NOT NULL,
     stage_index     INTEGER NOT NULL,
     blocker_json    TEXT,
     pause_requested INTEGER NOT NULL DEFAULT 0,
     created_at_ms   INTEGER NOT NULL,
     updated_at_ms   INTEGER NOT NULL
   );
   CREATE TABLE tasks (
     run_id        TEXT NOT NULL REFERENCES runs(id),
     stage_index   INTEGER NOT NULL,
     seq           INTEGER NOT NULL,
     step_id       TEXT NOT NULL,
     node          TEXT NOT NULL,
     kind          TEXT NOT NULL,
     state         TEXT NOT NULL,
     attempt       INTEGER NOT NULL,
     op_id         TEXT NOT NULL,
     context_json  TEXT NOT NULL,
     message       TEXT NOT NULL,
     output_tail   TEXT NOT NULL,
     started_at_ms INTEGER NOT NULL,
     finished_at_ms INTEGER NOT NULL,
     PRIMARY KEY (run_id, step_id, node)
   );
   CREATE TABLE approvals (
     run_id   TEXT NOT NULL REFERENCES runs(id),
     gate_id  TEXT NOT NULL,
     operator TEXT NOT NULL,
     comment  TEXT NOT NULL,
     at_ms    INTEGER NOT NULL,
     PRIMARY KEY (run_id, gate_id)
   );
   CREATE TABLE events (
     seq       INTEGER PRIMARY KEY AUTOINCREMENT,
     run_id    TEXT NOT NULL REFERENCES runs(id),
     at_ms     INTEGER NOT NULL,
     type      TEXT NOT NULL,
     step_id   TEXT NOT NULL,
     node      TEXT NOT NULL,
     message   TEXT NOT NULL,
     run_state TEXT NOT NULL
   );
   CREATE INDEX events_by_run ON events (run_id, seq);`,
  // The runbook text a run was created from: rollback compiles its inverse from it.
  `ALTER TABLE runs ADD COLUMN runbook_yaml TEXT NOT NULL DEFAULT '';`,
  // A run's plan and runbook never change, and at a thousand nodes the plan is a megabyte:
  // kept in the runs row, every state change rewrote it. A stage's tasks are read by index.
  `CREATE TABLE run_documents (
     run_id       TEXT PRIMARY KEY REFERENCES runs(id),
     plan_json    TEXT NOT NULL,
     runbook_yaml TEXT NOT NULL
   );
   INSERT INTO run_documents (run_id, plan_json, runbook_yaml) SELECT id, plan_json, runbook_yaml FROM runs;
   ALTER TABLE runs DROP COLUMN plan_json;
   ALTER TABLE runs DROP COLUMN runbook_yaml;
   CREATE INDEX tasks_by_stage ON tasks (run_id, stage_index, node, seq);`,
  // Who asked the API for what, and whether it was allowed (docs/security.md): every refusal,
  // and every call that changes a run.
  `CREATE TABLE audit (
     seq       INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms     INTEGER NOT NULL,
     caller    TEXT NOT NULL,
     transport TEXT NOT NULL,
     rpc       TEXT NOT NULL,
     role      TEXT NOT NULL,
     allowed   INTEGER NOT NULL,
     detail    TEXT NOT NULL
   );`,
  // The operator trail (lockstep audit): each action on a run — submit, approve, pause, resume,
  // retry, cancel, rollback — with who, from where and why, journaled with the action's event.
  // The audit table above keeps the access check's decisions, refusals included.
  `CREATE TABLE operator_actions (
     seq           INTEGER PRIMARY KEY AUTOINCREMENT,
     at_ms         INTEGER NOT NULL,
     run_id        TEXT NOT NULL,
     action        TEXT NOT NULL,
     operator      TEXT NOT NULL,
     authenticated INTEGER NOT NULL,
     transport     TEXT NOT NULL,
     address       TEXT NOT NULL,
     comment       TEXT NOT NULL,
     detail        TEXT NOT NULL
   );
   CREATE INDEX operator_actions_by_run ON operator_actions (run_id, seq);
   CREATE INDEX operator_actions_by_time ON operator_actions (at_ms);`,
  // What `lockstep plan` showed, by plan hash: `apply --plan HASH` compares against it (issue 16).
  `CREATE TABLE plan_records (
     hash        TEXT PRIMARY KEY,
     record_json TEXT NOT NULL,
     at_ms       INTEGER NOT NULL
   );`,
];
