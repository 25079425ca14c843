// What the engine tells the world about runs: the API adapter, the CLI and the dashboard
// speak these types (SPEC §7 `status --json`).
import type { NodeView, RunEvent, RunView, SubmitInput, WindowForecast } from '../../shared/domain/run.js';
import type { Plan } from '../plan/plan.js';

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
}

/** The coordinator's operations, as the API adapter and tests call them. */
export interface RunService {
  submit(input: SubmitInput): Promise<SubmitResult>;
  getRun(runId: string): RunView;
  listRuns(limit: number): RunView[];
  /** Every event from `fromSeq` on, then live ones; returns the function that stops watching. */
  watch(runId: string, fromSeq: number, onEvent: (event: RunEvent) => void): () => void;
  approve(runId: string, gate: string, operator: string, comment: string): RunView;
  pause(runId: string): RunView;
  resume(runId: string): RunView;
  retry(runId: string, node: string | undefined): RunView;
  cancel(runId: string): RunView;
  listNodes(runbookYaml: string, runbookPath: string): Promise<NodeView[]>;
  /** Starts the run that undoes `runId`'s changes (SPEC §5.5). */
  rollback(runId: string, requestedBy: string): Promise<SubmitResult>;
}
