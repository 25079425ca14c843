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
/** Solaris Cluster's leave (`reboot -- -x`) and rejoin (`reboot`): reboots too, done by a new boot id. */
export const BOOT_KINDS: ReadonlySet<string> = new Set([REBOOT_KIND, 'cluster.boot-noncluster', 'cluster.rejoin']);

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

// Each statement is compiled once, in the constructor: preparing them again on every call
// was a measurable share of an operation's CPU (docs/PERFORMANCE.md §1).
export class OpJournal {
  private readonly db: Database.Database;
  private readonly selectOperation: Database.Statement<[string], OperationRow>;
  private readonly selectRunning: Database.Statement<[], OperationRow>;
  private readonly insertRunning: Database.Statement<[string, string, number, string, string, string, number]>;
  private readonly raiseRunEpoch: Database.Statement<[string, number]>;
  private readonly selectRunEpoch: Database.Statement<[string], { epoch: number }>;
  private readonly finishRunning: Database.Statement<[string, number, string, string], OperationRow>;
  private readonly settle: Database.Statement<[string, number, string, string]>;
  private readonly beginTransaction: (context: OpContext, kind: string, digest: string) => BeginOutcome;
  /** Each run's epoch as this journal last committed it (the journal is its file's one writer). */
  private readonly committedEpochs = new Map<string, number>();

  constructor(
    file: string,
    private readonly bootId: string,
    private readonly now: () => number = Date.now,
  ) {
    this.db = openDatabase(file, MIGRATIONS);
    this.selectOperation = this.db.prepare(`SELECT * FROM operations WHERE op_id = ?`);
    this.selectRunning = this.db.prepare(`SELECT * FROM operations WHERE state = 'RUNNING'`);
    this.insertRunning = this.db.prepare(
      `INSERT INTO operations (op_id, run_id, epoch, kind, request_digest, state, boot_id, started_at_ms)
       VALUES (?, ?, ?, ?, ?, 'RUNNING', ?, ?) ON CONFLICT (op_id) DO NOTHING`,
    );
    // Raises the run's epoch, or changes nothing when the request's epoch is older.
    this.raiseRunEpoch = this.db.prepare(
      `INSERT INTO run_epochs (run_id, epoch) VALUES (?, ?) ON CONFLICT (run_id) DO UPDATE SET epoch = excluded.epoch WHERE excluded.epoch >= epoch`,
    );
    this.selectRunEpoch = this.db.prepare(`SELECT epoch FROM run_epochs WHERE run_id = ?`);
    this.finishRunning = this.db.prepare(
      `UPDATE operations SET state = ?, finished_at_ms = ?, result_json = ? WHERE op_id = ? AND state = 'RUNNING' RETURNING *`,
    );
    this.settle = this.db.prepare(`UPDATE operations SET state = ?, finished_at_ms = ?, result_json = ? WHERE op_id = ?`);
    this.beginTransaction = this.db.transaction((context: OpContext, kind: string, digest: string) => this.beginOnce(context, kind, digest));
  }

  /**
   * At agent start: a RUNNING row means the agent died while the operation ran. Its effect is
   * unknown (INTERRUPTED) — except a reboot issued under an earlier boot: that one happened.
   */
  recoverAfterStart(): RecoveryReport {
    const report: RecoveryReport = { interrupted: [], rebootsCompleted: [] };
    this.db.transaction(() => {
      for (const row of this.selectRunning.all()) {
        if (BOOT_KINDS.has(row.kind) && row.boot_id !== this.bootId) {
          const result: OperationResult = { ok: true, commands: [], message: '' };
          this.settle.run('SUCCEEDED', this.now(), JSON.stringify(result), row.op_id);
          report.rebootsCompleted.push(row.op_id);
        } else {
          const result: OperationResult = {
            ok: false,
            commands: [],
            message: `the agent stopped while this operation ran (started ${new Date(row.started_at_ms).toISOString()}); its effect is unknown: verify before retrying`,
          };
          this.settle.run('INTERRUPTED', this.now(), JSON.stringify(result), row.op_id);
          report.interrupted.push(row.op_id);
        }
      }
    })();
    return report;
  }

  /**
   * Deletes the operations that ended before `cutoffMs` (never a RUNNING one); returns how many.
   * An op_id asked about after that is UNKNOWN, as one never seen.
   */
  deleteFinishedBefore(cutoffMs: number): number {
    return this.db.prepare(`DELETE FROM operations WHERE state <> 'RUNNING' AND MAX(finished_at_ms, started_at_ms) < ?`).run(cutoffMs).changes;
  }

  get(opId: string): Operation | undefined {
    const row = this.selectOperation.get(opId);
    return row === undefined ? undefined : toOperation(row);
  }

  /**
   * Records the operation as RUNNING unless its op_id is known, in one transaction with the
   * epoch check, committed (synchronous=FULL) before this returns and so before anything
   * runs. A known op_id returns the stored operation (and nothing must run); the same op_id
   * with a different request is a coordinator bug and is refused.
   */
  begin(context: OpContext, kind: string, request: unknown): BeginOutcome {
    const outcome = this.beginTransaction(context, kind, requestDigest(kind, request));
    if (outcome.started) this.committedEpochs.set(context.runId, context.epoch);
    return outcome;
  }

  /** The body of `begin`, inside its transaction: a throw rolls the insert back. */
  private beginOnce(context: OpContext, kind: string, digest: string): BeginOutcome {
    const startedAt = this.now();
    const inserted = this.insertRunning.run(context.opId, context.runId, context.epoch, kind, digest, this.bootId, startedAt).changes === 1;
    if (!inserted) return { started: false, operation: this.known(context.opId, digest) };
    this.raiseEpoch(context);
    const operation: Operation = {
      opId: context.opId,
      runId: context.runId,
      epoch: context.epoch,
      kind,
      state: 'RUNNING',
      startedAtMs: startedAt,
      finishedAtMs: 0,
      bootId: this.bootId,
      result: emptyResult(),
    };
    return { started: true, operation };
  }

  /** The stored operation under a known op_id, provided it was the same request. */
  private known(opId: string, digest: string): Operation {
    const existing = this.selectOperation.get(opId) as OperationRow;
    if (existing.request_digest !== digest) {
      throw new LockstepError(
        'LOCKSTEP_E_OP_CONFLICT',
        `op.op_id: "${opId}" was already used for a different ${existing.kind} request; an op_id names exactly one request`,
        { field: 'op.op_id' },
      );
    }
    return toOperation(existing);
  }

  /** Refuses an epoch lower than the highest seen for the run, else records this one. */
  private raiseEpoch(context: OpContext): void {
    // The run's epoch as this journal last committed it: recording it again would change nothing.
    if (this.committedEpochs.get(context.runId) === context.epoch) return;
    if (this.raiseRunEpoch.run(context.runId, context.epoch).changes === 1) return;
    const highest = (this.selectRunEpoch.get(context.runId) as { epoch: number }).epoch;
    throw new LockstepError(
      'LOCKSTEP_E_STALE_EPOCH',
      `op.epoch: ${context.epoch} is older than epoch ${highest} already seen for run ${context.runId}; a newer coordinator owns this run`,
      { field: 'op.epoch' },
    );
  }

  /** Records the result, committed (synchronous=FULL) before this returns. */
  finish(opId: string, result: OperationResult): Operation {
    const state = result.ok ? 'SUCCEEDED' : 'FAILED';
    const row = this.finishRunning.get(state, this.now(), JSON.stringify(result), opId);
    if (row === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `journal: operation ${opId} is not RUNNING and cannot be finished`);
    return toOperation(row);
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
