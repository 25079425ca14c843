// A compiled plan: what a run does, fixed when the run is created (SPEC §4.1). The engine
// runs exactly this; `lockstep plan` prints it; its hash is stored with the run.
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { StepParams } from '../runbook/step-params.js';

/** One node's share of a stage: its steps, in order. */
export interface NodeTask {
  /** The runbook step id; with the node, it names the task. */
  stepId: string;
  kind: NodeStepKind;
  params: StepParams;
  /** For display: the runbook's description, or one generated from kind and params. */
  description: string;
}

/**
 * A stage runs every node's task list in parallel, each node's list in order; the stage is
 * over when every node has finished every task. The boundary between two stages is a
 * barrier: no node starts a task of the next stage before the stage has passed.
 */
export type Stage =
  | {
      type: 'tasks';
      /** e.g. "disable-services", or "rolling:server2" for one batch of a rolling block. */
      id: string;
      /** node → its tasks, in order. Nodes absent from the map do nothing in this stage. */
      lanes: Record<string, NodeTask[]>;
    }
  | {
      type: 'barrier';
      id: string;
      /** Demands an operator's confirmation (`confirm: operator`). */
      confirm: boolean;
      message: string;
    }
  /** `preApprove`: the runbook lets this gate be approved before the run reaches it. */
  | { type: 'gate'; id: string; message: string; preApprove?: true }
  | { type: 'notice'; id: string; message: string }
  /** A point where a maintenance window may pause the run (between servers of a rolling update). */
  | { type: 'safe-point'; id: string };

/** A stage the coordinator itself passes: no node runs anything in it. */
export type CoordinatorStage = Exclude<Stage, { type: 'tasks' }>;

export interface PlanNode {
  name: string;
  address: string;
}

export interface Plan {
  cluster: string;
  procedure: string;
  nodes: PlanNode[];
  /** The lead node for `on: one` steps: the first healthy node in the runbook's order at compile time. */
  lead: string;
  stages: Stage[];
  /** Warnings a person should read before applying (e.g. the Replicator double resync). */
  warnings: string[];
  /** Four-eyes (runbook `approvals: {distinct-from-submitter: true}` or the coordinator's --four-eyes): set only when required. */
  distinctApprover?: true;
}

export const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;

/** A gate, or a barrier that demands a person: the run waits there for `lockstep approve`. */
export function awaitsApproval(stage: Stage): boolean {
  return stage.type === 'gate' || (stage.type === 'barrier' && stage.confirm);
}
