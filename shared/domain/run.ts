// What the coordinator tells the world about runs: the engine produces these, the API carries
// them, the CLI and the dashboard show them (SPEC §7 `status --json`). Pure data, so both the
// coordinator and the wire converters in shared/ can speak them.

export const RUN_STATES = ['scheduled', 'waiting-window', 'running', 'awaiting-approval', 'blocked', 'paused', 'succeeded', 'failed', 'cancelled'] as const;
export type RunState = (typeof RUN_STATES)[number];

export const FINAL_RUN_STATES: ReadonlySet<RunState> = new Set(['succeeded', 'failed', 'cancelled']);

export const STEP_STATES = ['pending', 'dispatched', 'succeeded', 'failed', 'skipped', 'waiting'] as const;
export type StepState = (typeof STEP_STATES)[number];

/** One step on one node, or a coordinator step (barrier, gate, notice) with node "". */
export interface StepView {
  id: string;
  kind: string;
  node: string;
  state: StepState;
  attempt: number;
  opId: string;
  message: string;
  outputTail: string;
  startedAtMs: number;
  finishedAtMs: number;
}

export interface Blocker {
  stepId: string;
  node: string;
  message: string;
  outputTail: string;
  /** What the operator can do, as `lockstep` subcommands: today "retry" and "cancel" (run-driver.ts). */
  remedies: string[];
}

export interface RunView {
  id: string;
  cluster: string;
  procedure: string;
  state: RunState;
  planHash: string;
  steps: StepView[];
  blocker?: Blocker;
  createdAtMs: number;
  updatedAtMs: number;
  /** SPEC §4.4, windowed runs that are not final: when the next window opens (after the current one, inside a window). */
  nextWindowAtMs?: number;
  /** Inside a window: when it closes. */
  windowClosesAtMs?: number;
  /** The zone the window instants are read in (the runbook's first window's). */
  windowTimezone?: string;
  pendingGates: string[];
}

export interface RunEvent {
  seq: number;
  runId: string;
  atMs: number;
  /** e.g. "run.created", "step.dispatched", "step.succeeded", "step.failed", "barrier.passed", "gate.approved", "run.blocked". */
  type: string;
  stepId: string;
  node: string;
  message: string;
  runState: RunState;
}

export interface SubmitInput {
  runbookYaml: string;
  /** The runbook's path on the coordinator's host: relative paths in it resolve against its directory. */
  runbookPath: string;
  dryRun: boolean;
  /** `apply --yes`: approve every gate and operator-confirmed barrier in the requester's name. */
  autoApprove: boolean;
  requestedBy: string;
  /** `apply --plan HASH`: refuse unless the plan compiled now is the one `lockstep plan` showed. */
  expectedPlanHash?: string;
  /** Dry runs: answer the preflight's facts as a facts file (`plan --save-facts`, `lab up --like`). */
  includeFacts?: boolean;
}

/** One line of a plan as `lockstep plan` shows it: a step and the nodes that run it (none for coordinator steps). */
export interface PlannedStep {
  id: string;
  kind: string;
  nodes: string[];
  description: string;
  /** The stage it belongs to: a barrier stands between two stages. */
  stage: string;
}

/** One segment of a windowed plan (the work between two safe points) and its predicted duration. */
export interface SegmentForecast {
  number: number;
  /** Who works in it: "server2", or "every node". */
  label: string;
  medianMs: number;
  p90Ms: number;
  /** "expect", "p90 of 3 earlier runs", "rehearsal", "defaults", or several joined with " + ". */
  source: string;
}

/** SPEC §4.4, what `lockstep plan` says of a windowed runbook. */
export interface WindowForecast {
  timezone: string;
  segments: SegmentForecast[];
  /** When the run is predicted to start in each window it uses: its length is how many windows it takes. */
  windowStartsMs: number[];
}

/** A submitted runbook as the API answers it: the run (absent for a dry run) and its plan, step by step. */
export interface SubmittedRun {
  runId?: string;
  planHash: string;
  steps: PlannedStep[];
  warnings: string[];
  /** Windowed runbooks only. */
  windowForecast?: WindowForecast;
  /** A dry run with includeFacts: the facts file's JSON (shared/facts-file.ts). */
  factsJson?: string;
}

export interface NodeView {
  name: string;
  address: string;
  reachable: boolean;
  hostname: string;
  platform: string;
  bootId: string;
  agentVersion: string;
  error: string;
}
