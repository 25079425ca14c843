// The coordinator's durable journal (SPEC §4.2): runs, their tasks (one step on one node),
// approvals and events, in SQLite (WAL, synchronous=FULL). Every transition is atomic, and a
// dispatch is committed before its request leaves the coordinator, so a coordinator killed at
// any instant finds on restart exactly what may be in flight. Dispatches and results are
// group-committed: those queued in one turn of the event loop share one transaction (one
// fsync), and nobody hears that theirs is recorded until that transaction has committed.
import type Database from 'better-sqlite3';
import { LockstepError } from '../../shared/errors.js';
import { openDatabase } from '../../shared/sqlite.js';
import { ChangeCapture, RowApplier, type RowChange } from './change-capture.js';
import { FINAL_RUN_STATES, type Blocker, type RunEvent, type RunState, type StepState } from '../../shared/domain/run.js';
import type { Plan } from '../plan/plan.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { OperatorAction } from '../../shared/domain/operator-action.js';
import type { PlanRecord } from '../plan/plan-record.js';
import { MIGRATIONS } from './migrations.js';

export interface RunRow {
  id: string;
  cluster: string;
  procedure: string;
  state: RunState;
  plan: Plan;
  planHash: string;
  runbookPath: string;
  runbookYaml: string;
  /** The agents' TLS files, resolved when the run was created. */
  tls: { ca: string; cert: string; key: string };
  autoApprove: boolean;
  requestedBy: string;
  /** The stage being executed; every stage before it has passed its barrier. */
  stageIndex: number;
  blocker: Blocker | undefined;
  pauseRequested: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

export interface TaskRow {
  runId: string;
  stageIndex: number;
  /** Position in the node's lane within the stage. */
  seq: number;
  stepId: string;
  node: string;
  kind: NodeStepKind;
  state: StepState;
  attempt: number;
  opId: string;
  /** What the dispatch needed to remember, e.g. the boot id before a reboot. */
  context: Record<string, string>;
  message: string;
  outputTail: string;
  startedAtMs: number;
  finishedAtMs: number;
}

/** One decision on an API call: who (as the transport proved it), which call, the role it needs, and the answer. */
export interface AuditEntry {
  caller: string;
  transport: string;
  rpc: string;
  role: string;
  allowed: boolean;
  detail: string;
}

export interface Approval {
  gateId: string;
  operator: string;
  comment: string;
  atMs: number;
}

export interface NewRun {
  id: string;
  plan: Plan;
  planHash: string;
  runbookPath: string;
  runbookYaml: string;
  tls: RunRow['tls'];
  autoApprove: boolean;
  requestedBy: string;
}

type EventInput = Omit<RunEvent, 'seq' | 'runId' | 'atMs' | 'runState'> & { runState?: RunState };

const RUN_COLUMNS = 'id, cluster, procedure, state, plan_hash, runbook_path, tls_json, auto_approve, requested_by, stage_index, blocker_json, pause_requested, created_at_ms, updated_at_ms';
const DOCUMENTS_KEPT = 8;

interface RunDocuments {
  hash: string;
  plan: Plan;
  runbookYaml: string;
}

interface RunRecord {
  id: string;
  cluster: string;
  procedure: string;
  state: RunState;
  plan_hash: string;
  runbook_path: string;
  tls_json: string;
  auto_approve: number;
  requested_by: string;
  stage_index: number;
  blocker_json: string | null;
  pause_requested: number;
  created_at_ms: number;
  updated_at_ms: number;
}

interface TaskRecord {
  run_id: string;
  stage_index: number;
  seq: number;
  step_id: string;
  node: string;
  kind: NodeStepKind;
  state: StepState;
  attempt: number;
  op_id: string;
  context_json: string;
  message: string;
  output_tail: string;
  started_at_ms: number;
  finished_at_ms: number;
}

/**
 * Where a store copies each committed transaction's rows (the etcd backend, docs/ha.md). Calls
 * are made in commit order; each resolves once the copy holds the rows, and rejects only when
 * the copy refused them for good (a deposed leader), never for a passing fault it retries.
 */
export interface Replication {
  replicate(changes: RowChange[]): Promise<void>;
  /**
   * Checked again right before a dispatch is reported recorded: a leader stopped (SIGSTOP, a
   * long pause) between etcd's answer and that moment must not send the request if its
   * leadership may have lapsed meanwhile. Throws when it may have.
   */
  stillLeading(): void;
}

export class RunStore {
  private readonly db: Database.Database;
  /**
   * Runs `body` in a transaction, or in a savepoint inside one. Built once: better-sqlite3
   * builds four wrapper functions at every db.transaction() call, and a group commit made one
   * per write (issue 19).
   */
  private readonly atomically: <T>(body: () => T) => T;
  /** The fencing epoch: one more than the last start's (SQLite), or the leadership's (etcd, adoptEpoch). */
  private currentEpoch: number;
  private readonly listeners = new Set<(event: RunEvent) => void>();
  /** Set while the rows are copied to a replication (a leader on etcd); then events wait for the copy. */
  private replication: Replication | undefined;
  private capture: ChangeCapture | undefined;
  private applier: RowApplier | undefined;
  private copied: Promise<void> = Promise.resolve();

  /** `source`: the SQLite file, or a database already open (the in-memory copy of an etcd store). */
  constructor(
    source: string | Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    this.db = typeof source === 'string' ? openDatabase(source, MIGRATIONS) : source;
    const transaction = this.db.transaction((body: () => unknown) => body());
    this.atomically = <T>(body: () => T): T => transaction(body) as T;
    this.currentEpoch = this.nextEpoch();
  }

  /** The fencing epoch every request to an agent carries (SPEC §4.2). */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** On etcd the epoch is the leadership's (its key's create revision), which only grows. */
  adoptEpoch(epoch: number): void {
    if (!Number.isSafeInteger(epoch) || epoch < this.currentEpoch) throw new LockstepError('LOCKSTEP_E_INTERNAL', `epoch ${epoch} is older than this store's ${this.currentEpoch}`);
    this.currentEpoch = epoch;
  }

  /** From now on every commit is copied to `replication` before its events are published or its writes resolve. */
  replicateTo(replication: Replication): void {
    this.capture ??= new ChangeCapture(this.db);
    this.capture.discard();
    this.replication = replication;
  }

  /**
   * Writes rows copied from elsewhere (a follower's copy of the leader's journal), in one
   * transaction, and publishes the events among them: a follower's watches see what the
   * leader's do.
   */
  applyCopied(changes: readonly RowChange[]): void {
    if (this.replication !== undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'a store that copies its rows out cannot take copied rows in');
    this.applier ??= new RowApplier(this.db);
    const applier = this.applier;
    this.atomically(() => {
      for (const change of changes) applier.apply(change);
    });
    this.capture?.discard();
    for (const change of changes) if (change.table === 'run_documents' && change.row !== undefined) this.documents.delete(String(change.row.run_id));
    this.publish(changes.flatMap((change) => (change.table === 'events' && change.row !== undefined ? [toEvent(change.row as unknown as EventRecord)] : [])));
  }

  /** Resolves once every write committed so far is in the replication (at once without one). */
  settled(): Promise<void> {
    return this.copied;
  }

  /**
   * After every commit: without a replication the events are published now; with one, the
   * transaction's rows are handed over in commit order and the events wait for the copy.
   */
  private committed(events: RunEvent[]): Promise<void> {
    if (this.replication === undefined || this.capture === undefined) {
      this.publish(events);
      return Promise.resolve();
    }
    const changes = this.capture.drain();
    const copied = this.replication.replicate(changes).then(() => this.publish(events));
    // The replication itself reports a refusal (and the coordinator stops); here it only must not go unhandled.
    this.copied = copied.catch(() => undefined);
    return copied;
  }

  /** For writes whose caller does not wait: the replication reports its own failure. */
  private committedInBackground(events: RunEvent[]): void {
    this.committed(events).catch(() => undefined);
  }

  close(): void {
    this.flush();
    this.db.close();
  }

  private readonly queue: Array<{ write: () => { value: unknown; events: RunEvent[] }; resolve: (value: unknown) => void; reject: (error: unknown) => void }> = [];

  private readonly statements = new Map<string, Database.Statement>();

  /** Compiled once per SQL text: the engine runs the same few statements for every task. */
  private statement(sql: string): Database.Statement {
    let compiled = this.statements.get(sql);
    if (compiled === undefined) {
      compiled = this.db.prepare(sql);
      this.statements.set(sql, compiled);
    }
    return compiled;
  }

  /** Called with every event after its transaction commits. */
  onEvent(listener: (event: RunEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private nextEpoch(): number {
    return this.atomically(() => {
      const row = this.statement(`SELECT value FROM meta WHERE key = 'epoch'`).get() as { value: string } | undefined;
      const epoch = (row ? Number(row.value) : 0) + 1;
      this.statement(`INSERT INTO meta (key, value) VALUES ('epoch', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`).run(String(epoch));
      return epoch;
    });
  }

  /** Creates the run, every task of its plan (pending) and the first event, in one transaction. */
  createRun(input: NewRun): RunRow {
    const at = this.now();
    const events = this.atomically(() => {
      this.statement(
        `INSERT INTO runs (id, cluster, procedure, state, plan_hash, runbook_path, tls_json, auto_approve, requested_by,
                           stage_index, blocker_json, pause_requested, created_at_ms, updated_at_ms)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?, 0, NULL, 0, ?, ?)`,
      ).run(input.id, input.plan.cluster, input.plan.procedure, input.planHash, input.runbookPath, JSON.stringify(input.tls), input.autoApprove ? 1 : 0, input.requestedBy, at, at);
      this.statement(`INSERT INTO run_documents (run_id, plan_json, runbook_yaml) VALUES (?, ?, ?)`).run(input.id, JSON.stringify(input.plan), input.runbookYaml);
      const insertTask = this.statement(
        `INSERT INTO tasks (run_id, stage_index, seq, step_id, node, kind, state, attempt, op_id, context_json, message, output_tail, started_at_ms, finished_at_ms)
         VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, '', '{}', '', '', 0, 0)`,
      );
      input.plan.stages.forEach((stage, stageIndex) => {
        if (stage.type !== 'tasks') return;
        for (const [node, tasks] of Object.entries(stage.lanes)) {
          tasks.forEach((task, seq) => insertTask.run(input.id, stageIndex, seq, task.stepId, node, task.kind));
        }
      });
      return [this.insertEvent(input.id, at, { type: 'run.created', stepId: '', node: '', message: `plan ${input.planHash.slice(0, 12)}, requested by ${input.requestedBy}`, runState: 'running' })];
    });
    this.committedInBackground(events);
    return this.getRun(input.id);
  }

  getRun(runId: string): RunRow {
    const record = this.statement(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`).get(runId) as RunRecord | undefined;
    if (record === undefined) throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `run_id: no run "${runId}"`, { field: 'run_id' });
    return this.toRunRow(record);
  }

  /**
   * A run's plan and runbook never change once created, and at a thousand nodes the plan's
   * JSON is a megabyte: they are read and parsed once and kept (frozen, since every reader
   * shares them) for the last few runs read.
   */
  private readonly documents = new Map<string, RunDocuments>();

  private documentsOf(runId: string, hash: string): RunDocuments {
    const cached = this.documents.get(runId);
    if (cached !== undefined && cached.hash === hash) {
      this.documents.delete(runId);
      this.documents.set(runId, cached);
      return cached;
    }
    const record = this.statement(`SELECT plan_json, runbook_yaml FROM run_documents WHERE run_id = ?`).get(runId) as { plan_json: string; runbook_yaml: string } | undefined;
    if (record === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `run ${runId} has no plan in the journal`);
    const documents = { hash, plan: deepFreeze(JSON.parse(record.plan_json) as Plan), runbookYaml: record.runbook_yaml };
    this.documents.set(runId, documents);
    for (const oldest of this.documents.keys()) {
      if (this.documents.size <= DOCUMENTS_KEPT) break;
      this.documents.delete(oldest);
    }
    return documents;
  }

  private toRunRow(record: RunRecord): RunRow {
    const documents = this.documentsOf(record.id, record.plan_hash);
    return {
      id: record.id,
      cluster: record.cluster,
      procedure: record.procedure,
      state: record.state,
      plan: documents.plan,
      planHash: record.plan_hash,
      runbookPath: record.runbook_path,
      runbookYaml: documents.runbookYaml,
      tls: JSON.parse(record.tls_json) as RunRow['tls'],
      autoApprove: record.auto_approve === 1,
      requestedBy: record.requested_by,
      stageIndex: record.stage_index,
      blocker: record.blocker_json === null ? undefined : (JSON.parse(record.blocker_json) as Blocker),
      pauseRequested: record.pause_requested === 1,
      createdAtMs: record.created_at_ms,
      updatedAtMs: record.updated_at_ms,
    };
  }

  /** The run's state alone: checked before every task, so it must not parse the plan. */
  runState(runId: string): RunState {
    const record = this.statement(`SELECT state FROM runs WHERE id = ?`).get(runId) as { state: RunState } | undefined;
    if (record === undefined) throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `run_id: no run "${runId}"`, { field: 'run_id' });
    return record.state;
  }

  listRuns(limit: number): RunRow[] {
    return (this.statement(`SELECT ${RUN_COLUMNS} FROM runs ORDER BY created_at_ms DESC, id DESC LIMIT ?`).all(limit) as RunRecord[]).map((record) => this.toRunRow(record));
  }

  /** How many runs are in each state (the /metrics gauge, read at each scrape). */
  runsByState(): Map<RunState, number> {
    const rows = this.statement(`SELECT state, COUNT(*) AS count FROM runs GROUP BY state`).all() as Array<{ state: RunState; count: number }>;
    return new Map(rows.map((row) => [row.state, row.count]));
  }

  /** Runs that are not final: the engine resumes them at start. */
  activeRuns(): RunRow[] {
    return (this.statement(`SELECT ${RUN_COLUMNS} FROM runs WHERE state NOT IN ('succeeded','failed','cancelled') ORDER BY created_at_ms`).all() as RunRecord[]).map((record) => this.toRunRow(record));
  }

  tasks(runId: string, stageIndex?: number): TaskRow[] {
    const records =
      stageIndex === undefined
        ? (this.statement(`SELECT * FROM tasks WHERE run_id = ? ORDER BY stage_index, node, seq`).all(runId) as TaskRecord[])
        : (this.statement(`SELECT * FROM tasks WHERE run_id = ? AND stage_index = ? ORDER BY node, seq`).all(runId, stageIndex) as TaskRecord[]);
    return records.map(toTaskRow);
  }

  /**
   * How long each step kind took when it succeeded, on the cluster's last `runs` runs created
   * before `beforeMs` (the window fit's predictions, SPEC §4.4), with how many runs each kind's
   * durations come from. Read through the runs' primary keys: no scan of every task.
   */
  stepDurations(cluster: string, beforeMs: number, runs = 20): Map<string, { durationsMs: number[]; runs: number }> {
    const rows = this.statement(
      `SELECT t.kind AS kind, t.run_id AS run_id, t.finished_at_ms - t.started_at_ms AS duration_ms
         FROM (SELECT id FROM runs WHERE cluster = ? AND created_at_ms < ? ORDER BY created_at_ms DESC LIMIT ?) AS r
         JOIN tasks t ON t.run_id = r.id
        WHERE t.state = 'succeeded' AND t.started_at_ms > 0 AND t.finished_at_ms >= t.started_at_ms`,
    ).all(cluster, beforeMs, runs) as Array<{ kind: string; run_id: string; duration_ms: number }>;
    const byKind = new Map<string, { durationsMs: number[]; runIds: Set<string> }>();
    for (const row of rows) {
      const entry = byKind.get(row.kind) ?? { durationsMs: [], runIds: new Set<string>() };
      entry.durationsMs.push(row.duration_ms);
      entry.runIds.add(row.run_id);
      byKind.set(row.kind, entry);
    }
    return new Map([...byKind].map(([kind, entry]) => [kind, { durationsMs: entry.durationsMs, runs: entry.runIds.size }]));
  }

  /** A stage's tasks that have neither succeeded nor been skipped: none once its barrier may pass. */
  unfinishedTasks(runId: string, stageIndex: number): TaskRow[] {
    return (
      this.statement(`SELECT * FROM tasks WHERE run_id = ? AND stage_index = ? AND state NOT IN ('succeeded', 'skipped') ORDER BY node, seq`).all(runId, stageIndex) as TaskRecord[]
    ).map(toTaskRow);
  }

  approvals(runId: string): Approval[] {
    return (this.statement(`SELECT gate_id, operator, comment, at_ms FROM approvals WHERE run_id = ? ORDER BY at_ms`).all(runId) as Array<{ gate_id: string; operator: string; comment: string; at_ms: number }>).map(
      (row) => ({ gateId: row.gate_id, operator: row.operator, comment: row.comment, atMs: row.at_ms }),
    );
  }

  recordAudit(entry: AuditEntry): void {
    this.statement(`INSERT INTO audit (at_ms, caller, transport, rpc, role, allowed, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
      this.now(), entry.caller, entry.transport, entry.rpc, entry.role, entry.allowed ? 1 : 0, entry.detail,
    );
    this.committedInBackground([]);
  }

  /** Keeps what `lockstep plan` showed under its hash; a later plan with the same hash replaces it. */
  savePlanRecord(record: PlanRecord): void {
    this.statement(`INSERT INTO plan_records (hash, record_json, at_ms) VALUES (?, ?, ?) ON CONFLICT (hash) DO UPDATE SET record_json = excluded.record_json, at_ms = excluded.at_ms`).run(
      record.hash, JSON.stringify(record), this.now(),
    );
    this.committedInBackground([]);
  }

  planRecord(hash: string): PlanRecord | undefined {
    const row = this.statement(`SELECT record_json FROM plan_records WHERE hash = ?`).get(hash) as { record_json: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.record_json) as PlanRecord);
  }

  /** The newest `limit` audit entries, oldest first. */
  auditEntries(limit: number): Array<AuditEntry & { atMs: number }> {
    const rows = this.statement(`SELECT * FROM (SELECT * FROM audit ORDER BY seq DESC LIMIT ?) ORDER BY seq`).all(limit) as Array<{ at_ms: number; caller: string; transport: string; rpc: string; role: string; allowed: number; detail: string }>;
    return rows.map((row) => ({ atMs: row.at_ms, caller: row.caller, transport: row.transport, rpc: row.rpc, role: row.role, allowed: row.allowed === 1, detail: row.detail }));
  }

  /**
   * Journals an operator's action with its event in the run's log (`operator.ACTION`), in one
   * transaction; called by the engine right before the change the action makes, so the log
   * reads "cancel by alice" then "run.cancelled".
   */
  recordOperatorAction(input: Omit<OperatorAction, 'seq' | 'atMs'>, on: { stepId: string; node: string }): OperatorAction {
    const at = this.now();
    const { action, events } = this.atomically(() => {
      const info = this.statement(
        `INSERT INTO operator_actions (at_ms, run_id, action, operator, authenticated, transport, address, comment, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(at, input.runId, input.action, input.operator, input.authenticated ? 1 : 0, input.transport, input.address, input.comment, input.detail);
      const message = `${input.action} by ${input.operator} from ${input.address}${input.detail ? `: ${input.detail}` : ''}${input.comment ? ` — "${input.comment}"` : ''}`;
      return { action: { ...input, seq: Number(info.lastInsertRowid), atMs: at }, events: [this.insertEvent(input.runId, at, { type: `operator.${input.action}`, ...on, message })] };
    });
    this.committedInBackground(events);
    return action;
  }

  /** The newest `limit` operator actions matching the query, oldest first. */
  operatorActions(query: { runId: string; sinceMs: number; limit: number }): OperatorAction[] {
    const rows = this.statement(
      `SELECT * FROM (SELECT * FROM operator_actions WHERE (? = '' OR run_id = ?) AND at_ms >= ? ORDER BY seq DESC LIMIT ?) ORDER BY seq`,
    ).all(query.runId, query.runId, query.sinceMs, query.limit) as Array<{ seq: number; at_ms: number; run_id: string; action: OperatorAction['action']; operator: string; authenticated: number; transport: string; address: string; comment: string; detail: string }>;
    return rows.map((row) => ({
      seq: row.seq,
      atMs: row.at_ms,
      runId: row.run_id,
      action: row.action,
      operator: row.operator,
      authenticated: row.authenticated === 1,
      transport: row.transport,
      address: row.address,
      comment: row.comment,
      detail: row.detail,
    }));
  }

  /** At most `limit` of the run's events from `fromSeq` on, oldest first: a run's history is read a page at a time. */
  events(runId: string, fromSeq: number, limit: number): RunEvent[] {
    return (this.statement(`SELECT * FROM events WHERE run_id = ? AND seq >= ? ORDER BY seq LIMIT ?`).all(runId, fromSeq, limit) as EventRecord[]).map(toEvent);
  }

  /**
   * Deletes the runs that are final and were last changed before `cutoffMs`, with their tasks,
   * approvals, events and documents, and the plan records made before it, in one transaction; a run that is not final is never
   * touched, however old. Returns how many runs went.
   */
  deleteFinishedRunsBefore(cutoffMs: number): number {
    const finished = [...FINAL_RUN_STATES].map((state) => `'${state}'`).join(', ');
    const doomed = `SELECT id FROM runs WHERE state IN (${finished}) AND updated_at_ms < ?`;
    const ids = this.atomically(() => {
      const runIds = (this.statement(doomed).all(cutoffMs) as Array<{ id: string }>).map((row) => row.id);
      for (const table of ['events', 'tasks', 'approvals', 'run_documents']) this.statement(`DELETE FROM ${table} WHERE run_id IN (${doomed})`).run(cutoffMs);
      this.statement(`DELETE FROM runs WHERE id IN (${doomed})`).run(cutoffMs);
      // Plans shown as long ago as the runs that go are past applying.
      this.statement(`DELETE FROM plan_records WHERE at_ms < ?`).run(cutoffMs);
      return runIds;
    });
    this.committedInBackground([]);
    for (const id of ids) this.documents.delete(id);
    return ids.length;
  }

  /**
   * Deletes tasks, documents, approvals and events whose run does not exist: what a leader
   * that died in the middle of creating a large run left in etcd (its run row comes last, so
   * the run never existed). Called by a newly elected leader; returns how many rows went.
   */
  deleteOrphans(): number {
    let count = 0;
    this.atomically(() => {
      for (const table of ['tasks', 'run_documents', 'approvals', 'events']) count += this.statement(`DELETE FROM ${table} WHERE run_id NOT IN (SELECT id FROM runs)`).run().changes;
    });
    this.committedInBackground([]);
    return count;
  }

  /**
   * Records that a task is about to be sent to its node: attempt, op id and what the dispatch
   * must remember. Resolves once committed; only then may the request leave (SPEC §4.2).
   */
  dispatch(task: TaskRow, attempt: number, opId: string, context: Record<string, string>): Promise<TaskRow> {
    return this.grouped(() => {
      const at = this.now();
      const changed = this.statement(
        `UPDATE tasks SET state = 'dispatched', attempt = ?, op_id = ?, context_json = ?, message = '', output_tail = '', started_at_ms = ?, finished_at_ms = 0
         WHERE run_id = ? AND step_id = ? AND node = ? AND state = 'pending'`,
      ).run(attempt, opId, JSON.stringify(context), at, task.runId, task.stepId, task.node).changes;
      if (changed !== 1) throw new LockstepError('LOCKSTEP_E_INTERNAL', `task ${task.stepId}@${task.node} of run ${task.runId} is not pending`);
      const event = this.insertEvent(task.runId, at, { type: 'step.dispatched', stepId: task.stepId, node: task.node, message: `attempt ${attempt}, op ${opId}` });
      const row: TaskRow = { ...task, state: 'dispatched', attempt, opId, context: { ...context }, message: '', outputTail: '', startedAtMs: at, finishedAtMs: 0 };
      return { value: row, events: [event] };
    });
  }

  /** Records a task's outcome. Resolves once committed: a barrier is decided on committed results only. */
  finishTask(task: TaskRow, outcome: { ok: boolean; message: string; outputTail: string }): Promise<TaskRow> {
    return this.grouped(() => {
      const at = this.now();
      const state: StepState = outcome.ok ? 'succeeded' : 'failed';
      const changed = this.statement(
        `UPDATE tasks SET state = ?, message = ?, output_tail = ?, finished_at_ms = ? WHERE run_id = ? AND step_id = ? AND node = ? AND state = 'dispatched' AND op_id = ?`,
      ).run(state, outcome.message, outcome.outputTail, at, task.runId, task.stepId, task.node, task.opId).changes;
      if (changed !== 1) throw new LockstepError('LOCKSTEP_E_INTERNAL', `task ${task.stepId}@${task.node} of run ${task.runId} is not dispatched as ${task.opId}`);
      const event = this.insertEvent(task.runId, at, { type: `step.${state}`, stepId: task.stepId, node: task.node, message: outcome.message });
      const row: TaskRow = { ...task, state, message: outcome.message, outputTail: outcome.outputTail, finishedAtMs: at };
      return { value: row, events: [event] };
    });
  }

  /**
   * Group commit: `write` joins the writes queued in this turn of the event loop; they commit
   * together in one transaction, each in a savepoint of its own, so one that throws rolls back
   * alone and rejects only its own caller. Events are published and promises settled after the
   * COMMIT; if the COMMIT fails, every write of the group is rejected and nothing of it is kept.
   */
  private grouped<T>(write: () => { value: T; events: RunEvent[] }): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ write, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /** Commits what is queued now. Also called by close(), so no queued write is dropped. */
  private flush(): void {
    const group = this.queue.splice(0);
    if (group.length === 0) return;
    const results: Array<{ ok: true; value: unknown; events: RunEvent[] } | { ok: false; error: unknown }> = [];
    try {
      this.atomically(() => {
        // No write of a group changes a run's state: each run's is read once for its events.
        this.groupRunStates = new Map();
        try {
          for (const item of group) {
            try {
              const { value, events } = this.atomically(item.write);
              results.push({ ok: true, value, events });
            } catch (error) {
              results.push({ ok: false, error });
            }
          }
        } finally {
          this.groupRunStates = undefined;
        }
        const runs = new Set(results.flatMap((result) => (result.ok ? result.events.map((event) => event.runId) : [])));
        for (const runId of runs) this.touch(runId, this.now());
      });
    } catch (error) {
      for (const item of group) item.reject(error);
      return;
    }
    const settle = (): void =>
      group.forEach((item, index) => {
        const result = results[index];
        if (result?.ok) {
          this.publish(result.events);
          item.resolve(result.value);
        } else {
          item.reject(result?.error);
        }
      });
    if (this.replication === undefined) {
      settle();
      return;
    }
    // Nobody hears that a dispatch is recorded until the copy holds it too: only then may its request leave.
    const replication = this.replication;
    this.committed([]).then(
      () => {
        try {
          replication.stillLeading();
        } catch (error) {
          for (const item of group) item.reject(error);
          return;
        }
        settle();
      },
      (error: unknown) => {
        for (const item of group) item.reject(error);
      },
    );
  }

  /** The stage has passed (every node that had to do it has done it): the run moves past it, with the event that says so, or none when the next stage will say it. */
  passStage(runId: string, stageIndex: number, event: EventInput | undefined): RunRow {
    const at = this.now();
    const events = this.atomically(() => {
      const changed = this.statement(`UPDATE runs SET stage_index = ?, updated_at_ms = ? WHERE id = ? AND stage_index = ?`).run(stageIndex + 1, at, runId, stageIndex).changes;
      if (changed !== 1) throw new LockstepError('LOCKSTEP_E_INTERNAL', `run ${runId} is not at stage ${stageIndex}`);
      return event === undefined ? [] : [this.insertEvent(runId, at, event)];
    });
    this.committedInBackground(events);
    return this.getRun(runId);
  }

  setState(runId: string, state: RunState, event: EventInput & { blocker?: Blocker | null }): RunRow {
    const at = this.now();
    const events = this.atomically(() => {
      const blocker = event.blocker === undefined ? undefined : event.blocker === null ? null : JSON.stringify(event.blocker);
      if (blocker === undefined) this.statement(`UPDATE runs SET state = ?, updated_at_ms = ? WHERE id = ?`).run(state, at, runId);
      else this.statement(`UPDATE runs SET state = ?, blocker_json = ?, updated_at_ms = ? WHERE id = ?`).run(state, blocker, at, runId);
      return [this.insertEvent(runId, at, { ...event, runState: state })];
    });
    this.committedInBackground(events);
    return this.getRun(runId);
  }

  setPauseRequested(runId: string, requested: boolean): void {
    this.statement(`UPDATE runs SET pause_requested = ?, updated_at_ms = ? WHERE id = ?`).run(requested ? 1 : 0, this.now(), runId);
    this.committedInBackground([]);
  }

  /** Journals an approval (who, when, why) with its event. Approving twice keeps the first. */
  approve(runId: string, gateId: string, operator: string, comment: string): void {
    const at = this.now();
    const events = this.atomically(() => {
      const inserted = this.statement(`INSERT OR IGNORE INTO approvals (run_id, gate_id, operator, comment, at_ms) VALUES (?, ?, ?, ?, ?)`).run(runId, gateId, operator, comment, at).changes;
      if (inserted === 0) return [];
      this.touch(runId, at);
      return [this.insertEvent(runId, at, { type: 'gate.approved', stepId: gateId, node: '', message: `approved by ${operator}${comment ? `: ${comment}` : ''}` })];
    });
    this.committedInBackground(events);
  }

  /** Puts failed tasks (of one node, or all) back to pending for another attempt. */
  resetFailed(runId: string, node: string | undefined): number {
    const at = this.now();
    let count = 0;
    const events = this.atomically(() => {
      count =
        node === undefined
          ? this.statement(`UPDATE tasks SET state = 'pending' WHERE run_id = ? AND state = 'failed'`).run(runId).changes
          : this.statement(`UPDATE tasks SET state = 'pending' WHERE run_id = ? AND state = 'failed' AND node = ?`).run(runId, node).changes;
      this.touch(runId, at);
      return [this.insertEvent(runId, at, { type: 'run.retry', stepId: '', node: node ?? '', message: `${count} failed step(s) will be tried again` })];
    });
    this.committedInBackground(events);
    return count;
  }

  recordEvent(runId: string, event: EventInput): void {
    const at = this.now();
    const events = this.atomically(() => [this.insertEvent(runId, at, event)]);
    this.committedInBackground(events);
  }

  private touch(runId: string, at: number): void {
    this.statement(`UPDATE runs SET updated_at_ms = ? WHERE id = ?`).run(at, runId);
  }

  /** Set while a group commits: the runs' states, read once per group. */
  private groupRunStates: Map<string, RunState> | undefined;

  private insertEvent(runId: string, at: number, event: EventInput): RunEvent {
    const runState = event.runState ?? this.groupRunStates?.get(runId) ?? (this.statement(`SELECT state FROM runs WHERE id = ?`).get(runId) as { state: RunState }).state;
    this.groupRunStates?.set(runId, runState);
    const info = this.statement(`INSERT INTO events (run_id, at_ms, type, step_id, node, message, run_state) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(runId, at, event.type, event.stepId, event.node, event.message, runState);
    return { seq: Number(info.lastInsertRowid), runId, atMs: at, type: event.type, stepId: event.stepId, node: event.node, message: event.message, runState };
  }

  private publish(events: RunEvent[]): void {
    for (const event of events) for (const listener of this.listeners) listener(event);
  }
}

interface EventRecord {
  seq: number;
  run_id: string;
  at_ms: number;
  type: string;
  step_id: string;
  node: string;
  message: string;
  run_state: RunState;
}

function toEvent(record: EventRecord): RunEvent {
  return { seq: record.seq, runId: record.run_id, atMs: record.at_ms, type: record.type, stepId: record.step_id, node: record.node, message: record.message, runState: record.run_state };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function toTaskRow(record: TaskRecord): TaskRow {
  return {
    runId: record.run_id,
    stageIndex: record.stage_index,
    seq: record.seq,
    stepId: record.step_id,
    node: record.node,
    kind: record.kind,
    state: record.state,
    attempt: record.attempt,
    opId: record.op_id,
    context: JSON.parse(record.context_json) as Record<string, string>,
    message: record.message,
    outputTail: record.output_tail,
    startedAtMs: record.started_at_ms,
    finishedAtMs: record.finished_at_ms,
  };
}
