// A custom runbook's steps (SPEC §5.4, §6.1) as a plan's stages (§4.1). Consecutive node
// steps on all/one/{node} share one tasks stage, each node doing its steps in order; a
// barrier, gate, notice or safe point ends it. A rolling block runs batch by batch, each
// batch its own stage, with a safe point between batches (§4.4).
import { LockstepError, invalidArgument } from '../../shared/errors.js';
import { CUSTOM_PROCEDURE, type Runbook } from '../runbook/runbook-schema.js';
import type { RunbookStep, StepTarget } from '../runbook/step-schema.js';
import { isNodeStepKind } from '../runbook/step-kinds.js';
import { DEFAULT_STEP_TIMEOUT_MS, type CoordinatorStage, type NodeTask, type Plan, type Stage } from './plan.js';
import { StageBuilder } from './stage-builder.js';
import { describeTask } from './task-description.js';

export interface CompileOptions {
  /** The node `on: one` steps run on: the first healthy node. Default: the runbook's first node. */
  lead?: string;
}

type RollingTarget = Extract<StepTarget, { rolling: string[] }>;

/** The target of the stage node steps on all/one/{node} join (rolling stages have their own). */
const SHARED_STAGE = '';

export const DEFAULT_BARRIER_MESSAGE = 'every node has finished every step before it';

export function compileCustom(runbook: Runbook, options: CompileOptions = {}): Plan {
  if (runbook.procedure !== CUSTOM_PROCEDURE || runbook.steps === undefined) {
    throw new LockstepError('LOCKSTEP_E_INTERNAL', `compileCustom was given the built-in procedure ${runbook.procedure}`);
  }
  const nodeNames = runbook.nodes.map((node) => node.name);
  const lead = chooseLead(nodeNames, options.lead);
  const compiled = compileStages(runbook.steps, nodeNames, lead);
  const stages = runbook.downtime === 'planned' ? compiled.map(withPlannedDowntime) : compiled;
  return {
    cluster: runbook.cluster,
    procedure: runbook.procedure,
    nodes: runbook.nodes.map(({ name, address }) => ({ name, address })),
    lead,
    stages,
    warnings: idleNodeWarnings(nodeNames, stages),
  };
}

function chooseLead(nodeNames: string[], lead: string | undefined): string {
  const chosen = lead ?? nodeNames[0];
  if (chosen === undefined || !nodeNames.includes(chosen)) {
    throw invalidArgument('lead', `"${lead}" is not one of the runbook's nodes (${nodeNames.join(', ')})`);
  }
  return chosen;
}

function compileStages(steps: RunbookStep[], nodeNames: string[], lead: string): Stage[] {
  const builder = new StageBuilder();
  for (let index = 0; index < steps.length; ) {
    const step = steps[index] as RunbookStep;
    const target = step.on ?? 'all';
    if (!isNodeStepKind(step.kind)) {
      builder.addStage(coordinatorStage(step));
      index++;
    } else if (typeof target === 'object' && 'rolling' in target) {
      const block = rollingBlock(steps, index, target);
      addRolling(builder, block, target);
      index += block.length;
    } else {
      // Node steps on all/one/{node} share the open stage, whatever their target.
      builder.addTasks(SHARED_STAGE, step.id, Object.fromEntries(targetNodes(target, nodeNames, lead).map((node) => [node, [nodeTask(step)]])));
      index++;
    }
  }
  return builder.stages;
}

function targetNodes(target: Exclude<StepTarget, RollingTarget>, nodeNames: string[], lead: string): string[] {
  if (target === 'all') return nodeNames;
  if (target === 'one') return [lead];
  return [target.node];
}

/** The step at `start` and the node steps after it that roll over the same nodes in the same batches. */
function rollingBlock(steps: RunbookStep[], start: number, target: RollingTarget): RunbookStep[] {
  let end = start + 1;
  while (end < steps.length && sameRolling(steps[end]?.on, target)) end++;
  return steps.slice(start, end);
}

function sameRolling(candidate: StepTarget | undefined, target: RollingTarget): boolean {
  return (
    typeof candidate === 'object' &&
    'rolling' in candidate &&
    candidate.batch === target.batch &&
    candidate.rolling.length === target.rolling.length &&
    candidate.rolling.every((node, index) => node === target.rolling[index])
  );
}

/** One tasks stage per batch, in the rolling order, with a safe point between batches. */
function addRolling(builder: StageBuilder, block: RunbookStep[], target: RollingTarget): void {
  const firstId = (block[0] as RunbookStep).id;
  builder.rolling(
    target.rolling,
    target.batch,
    (_batch, previous) => `${previous.id}:safe-point`,
    (batch) => {
      // '@' and '+' are in neither step ids nor node names: these ids cannot clash.
      const id = `${firstId}@${batch.join('+')}`;
      builder.addTasks(id, id, Object.fromEntries(batch.map((node) => [node, block.map(nodeTask)])));
    },
  );
}

function nodeTask(step: RunbookStep): NodeTask {
  if (!isNodeStepKind(step.kind)) throw new LockstepError('LOCKSTEP_E_INTERNAL', `${step.kind} step ${step.id} is not a node step`);
  const params = { ...step.with, timeoutMs: step.timeoutMs ?? DEFAULT_STEP_TIMEOUT_MS };
  return { stepId: step.id, kind: step.kind, params, description: step.description ?? describeTask(step.kind, params) };
}

/** `downtime: planned`: every node task carries it, so the agent's availability veto lets it through. */
function withPlannedDowntime(stage: Stage): Stage {
  if (stage.type !== 'tasks') return stage;
  const planned = (task: NodeTask): NodeTask => {
    const params = { ...task.params, plannedDowntime: true };
    return { ...task, params, description: task.description === describeTask(task.kind, task.params) ? describeTask(task.kind, params) : task.description };
  };
  return { ...stage, lanes: Object.fromEntries(Object.entries(stage.lanes).map(([node, tasks]) => [node, tasks.map(planned)])) };
}

function coordinatorStage(step: RunbookStep): CoordinatorStage {
  switch (step.kind) {
    case 'barrier':
      return { type: 'barrier', id: step.id, confirm: step.confirm, message: step.description ?? DEFAULT_BARRIER_MESSAGE };
    case 'gate':
      return { type: 'gate', id: step.id, message: step.with.message ?? '', ...(step.preApprove && { preApprove: true as const }) };
    case 'notice':
      return { type: 'notice', id: step.id, message: step.with.message ?? '' };
    case 'safe-point':
      return { type: 'safe-point', id: step.id };
    default:
      throw new LockstepError('LOCKSTEP_E_INTERNAL', `${step.kind} step ${step.id} is a node step`);
  }
}

/** A node the runbook lists but no step uses is more often a mistake than a wish. */
function idleNodeWarnings(nodeNames: string[], stages: Stage[]): string[] {
  const busy = new Set(stages.flatMap((stage) => (stage.type === 'tasks' ? Object.keys(stage.lanes) : [])));
  return nodeNames.filter((node) => !busy.has(node)).map((node) => `node ${node} is in the runbook but no step runs on it`);
}
