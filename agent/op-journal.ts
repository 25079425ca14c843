// SPEC §3.2: every mutating operation is written RUNNING before it executes and
// SUCCEEDED/FAILED with its result after, in the agent's own SQLite file, so that a retried
// request never runs twice and a restarted agent can say what it was doing when it died.
import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { LockstepError } from '../shared/errors.js';
import { openDatabase } from '../shared/sqlite.js';
import type { OpContext, Operation, OperationResult, OperationState } from '../shared/domain/operation.js';
import { emptyResult } from '../shared/domain/operation.js';

const MIGRATIONS: readonly string[] = [
  `CREATE TABLE operations (
     op_id          TEXT PRIMARY KEY,
     run_id         TEXT NOT NULL,
     epoch          INTEGER NOT NULL,
     kind           TEXT NOT NULL,
     request_digest TEXT NOT NULL,
     state          TEXT NOT NULL CHECK (state IN ('RUNNING','SUCCEEDED','FAILED','INTERRUPTED')),
     boot_id        TEXT NOT NULL,
     started_at_ms  INTEGER NOT NULL,
     finished_at_ms INTEGER NOT NULL DEFAULT 0,
     result_json    TEXT
   );
   CREATE TABLE run_epochs (
     run_id TEXT PRIMARY KEY,
     epoch  INTEGER NOT NULL
   );`,
];

/** Reboots are journaled under this kind: the one operation that succeeds by the agent dying. */
export const REBOOT_KIND = 'node.reboot';

interface OperationRow {
  op_id: string;
  run_id: string;
  epoch: number;
  kind: string;
  request_digest: string;
  state: Exclude<OperationState, 'UNKNOWN'>;
  boot_id: string;
  started_at_ms: number;
  finished_at_ms: number;
  result_json: string | null;
}

export type BeginOutcome = { started: true; operation: Operation } | { started: false; operation: Operation };

export interface RecoveryReport {
  interrupted: string[];
  rebootsCompleted: string[];
}

export class OpJournal {
  private readonly db: Database.Database;

  constructor(
    file: string,
    private readonly bootId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = openDatabase(file, MIGRATIONS);
  }

  /**
   * At agent start: a RUNNING row means the agent died while the operation ran. Its effect is
   * unknown (INTERRUPTED) — except a reboot issued under an earlier boot: that one happened.
   */
  recoverAfterStart(): RecoveryReport {
    const report: RecoveryReport = { interrupted: [], rebootsCompleted: [] };
    this.db.transaction(() => {
      const running = this.db.prepare(`SELECT * FROM operations WHERE state = 'RUNNING'`).all() as OperationRow[];
      const finish = this.db.prepare(`UPDATE operations SET state = ?, finished_at_ms = ?, result_json = ? WHERE op_id = ?`);
      for (const row of running) {
        if (row.kind === REBOOT_KIND && row.boot_id !== this.bootId) {
          const result: OperationResult = { ok: true, commands: [], message: '' };
          finish.run('SUCCEEDED', this.now(), JSON.stringify(result), row.op_id);
          report.rebootsCompleted.push(row.op_id);
        } else {
          const result: OperationResult = {
            ok: false,
            commands: [],
            message: `the agent stopped while this operation ran (started ${new Date(row.started_at_ms).toISOString()}); its effect is unknown: verify before retrying`,
          };
          finish.run('INTERRUPTED', this.now(), JSON.stringify(result), row.op_id);
          report.interrupted.push(row.op_id);
        }
      }
    })();
    return report;
  }

  get(opId: string): Operation | undefined {
    const row = this.db.prepare(`SELECT * FROM operations WHERE op_id = ?`).get(opId) as OperationRow | undefined;
    return row === undefined ? undefined : toOperation(row);
  }

  /**
   * Records the operation as RUNNING unless its op_id is known, in one transaction with the
   * epoch check. A known op_id returns the stored operation (and nothing must run); the same
   * op_id with a different request is a coordinator bug and is refused.
   */
  begin(context: OpContext, kind: string, request: unknown): BeginOutcome {
    const digest = requestDigest(kind, request);
    return this.db.transaction((): BeginOutcome => {
      const existing = this.db.prepare(`SELECT * FROM operations WHERE op_id = ?`).get(context.opId) as OperationRow | undefined;
      if (existing !== undefined) {
        if (existing.request_digest !== digest) {
          throw new LockstepError(
            'LOCKSTEP_E_OP_CONFLICT',
            `op.op_id: "${context.opId}" was already used for a different ${existing.kind} request; an op_id names exactly one request`,
            { field: 'op.op_id' },
          );
        }
        return { started: false, operation: toOperation(existing) };
      }
      this.raiseEpoch(context);
      const startedAt = this.now();
      this.db
        .prepare(
          `INSERT INTO operations (op_id, run_id, epoch, kind, request_digest, state, boot_id, started_at_ms)
           VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?)`,
        )
        .run(context.opId, context.runId, context.epoch, kind, digest, this.bootId, startedAt);
      return { started: true, operation: this.get(context.opId) as Operation };
    })();
  }

  /** Refuses an epoch lower than the highest seen for the run, then records this one. */
  private raiseEpoch(context: OpContext): void {
    const row = this.db.prepare(`SELECT epoch FROM run_epochs WHERE run_id = ?`).get(context.runId) as { epoch: number } | undefined;
    if (row !== undefined && context.epoch < row.epoch) {
      throw new LockstepError(
        'LOCKSTEP_E_STALE_EPOCH',
        `op.epoch: ${context.epoch} is older than epoch ${row.epoch} already seen for run ${context.runId}; a newer coordinator owns this run`,
        { field: 'op.epoch' },
      );
    }
    this.db
      .prepare(`INSERT INTO run_epochs (run_id, epoch) VALUES (?, ?) ON CONFLICT(run_id) DO UPDATE SET epoch = MAX(epoch, excluded.epoch)`)
      .run(context.runId, context.epoch);
  }

  finish(opId: string, result: OperationResult): Operation {
    const state = result.ok ? 'SUCCEEDED' : 'FAILED';
    const changed = this.db
      .prepare(`UPDATE operations SET state = ?, finished_at_ms = ?, result_json = ? WHERE op_id = ? AND state = 'RUNNING'`)
      .run(state, this.now(), JSON.stringify(result), opId).changes;
    if (changed !== 1) throw new LockstepError('LOCKSTEP_E_INTERNAL', `journal: operation ${opId} is not RUNNING and cannot be finished`);
    return this.get(opId) as Operation;
  }

  close(): void {
    this.db.close();
  }
}

function toOperation(row: OperationRow): Operation {
  return {
    opId: row.op_id,
    runId: row.run_id,
    epoch: row.epoch,
    kind: row.kind,
    state: row.state,
    startedAtMs: row.started_at_ms,
    finishedAtMs: row.finished_at_ms,
    bootId: row.boot_id,
    result: row.result_json === null ? emptyResult() : (JSON.parse(row.result_json) as OperationResult),
  };
}

function requestDigest(kind: string, request: unknown): string {
  return createHash('sha256').update(kind).update('\0').update(JSON.stringify(request)).digest('hex');
}
