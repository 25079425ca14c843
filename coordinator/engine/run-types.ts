// What the engine tells the world about runs: the API adapter, the CLI and the dashboard
// speak these types (SPEC §7 `status --json`).
import type { NodeView, RunEvent, RunView, SubmitInput, WindowForecast } from '../../shared/domain/run.js';
import type { Plan } from '../plan/plan.js';
import type { FactsFile } from '../../shared/facts-file.js';
import type { AuditEntry } from '../store/run-store.js';
import type { ActingOperator, AuditQuery, OperatorAction } from '../../shared/domain/operator-action.js';

export type { AuditEntry } from '../store/run-store.js';

// The pure data types live in shared/ so the wire converters can speak them too.
export {
  FINAL_RUN_STATES,
  RUN_STATES,
  STEP_STATES,
  type Blocker,
  type NodeView,
  type RunEvent,
  type RunState,
  type RunView,
  type StepState,
  type StepView,
  type SubmitInput,
  type WindowForecast,
} from '../../shared/domain/run.js';

export interface SubmitResult {
  runId?: string;
  planHash: string;
  plan: Plan;
  /** Windowed runbooks only: predicted segments and windows (SPEC §4.4). */
  windowForecast?: WindowForecast;
  /** A dry run with includeFacts: what the preflight read, as a facts file. */
  facts?: FactsFile;
}

/** Where a watch delivers a run's events. */
export interface EventSink {
  /** One event, in seq order; false: the reader is full, send nothing more until `resume()`. */
  event(event: RunEvent): boolean;
  /** The replay has reached the newest event: what follows is live. Called once. */
  caughtUp(): void;
}

export interface RunWatch {
  /** The reader has room again: go on from the event after the last one delivered. */
  resume(): void;
  stop(): void;
}

/** The coordinator's operations, as the API adapter and tests call them. */
export interface RunService {
  /** `by`: the operator who asks, journaled in the trail (absent: not an operator's action); `why` is appended to its detail. */
  submit(input: SubmitInput, by?: ActingOperator, why?: string): Promise<SubmitResult>;
  getRun(runId: string): RunView;
  listRuns(limit: number): RunView[];
  /**
   * Every event from `fromSeq` on, a page at a time and never in the caller's turn, then live
   * ones; the sink's `false` holds further events until `resume()` (event-feed.ts).
   */
  watch(runId: string, fromSeq: number, sink: EventSink): RunWatch;
  /** `planHash`: the plan the approver read; refused unless it is the run's (approval-rules.ts). */
  approve(runId: string, gate: string, operator: string, comment: string, planHash: string, by?: ActingOperator): RunView;
  pause(runId: string, by?: ActingOperator): RunView;
  resume(runId: string, by?: ActingOperator): RunView;
  retry(runId: string, node: string | undefined, by?: ActingOperator): RunView;
  cancel(runId: string, by?: ActingOperator): RunView;
  listNodes(runbookYaml: string, runbookPath: string): Promise<NodeView[]>;
  /** Starts the run that undoes `runId`'s changes (SPEC §5.5). */
  rollback(runId: string, requestedBy: string, by?: ActingOperator): Promise<SubmitResult>;
  /** The operator trail, oldest first (`lockstep audit`). */
  operatorActions(query: AuditQuery): OperatorAction[];
  /** Journals a decision of the API's access check (docs/security.md). */
  recordAudit(entry: AuditEntry): void;
  /** Resolves once every change made so far is durable where the journal is kept (etcd's copy, docs/ha.md); absent: at once. */
  durable?(): Promise<void>;
}
