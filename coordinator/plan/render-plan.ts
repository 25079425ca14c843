// What `lockstep plan` prints (SPEC §5.4, §7): every stage in order and, for each node, what
// it will do — plain text an operator can read at 2 a.m. and paste into a change ticket.
import { formatDuration } from '../runbook/duration.js';
import { DEFAULT_STEP_TIMEOUT_MS, type NodeTask, type Plan, type Stage } from './plan.js';
import { planHash } from './plan-hash.js';

const RULE = '──';

export function renderPlan(plan: Plan): string {
  return [...header(plan), ...plan.stages.flatMap((stage) => renderStage(stage, plan)), ''].join('\n');
}

/** The plan as `plan --json` prints it, with the hash a run of it will carry. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify({ planHash: planHash(plan), ...plan }, null, 2)}\n`;
}

function header(plan: Plan): string[] {
  const nodes = plan.nodes.map((node) => `${node.name} (${node.address})${node.name === plan.lead ? ' lead' : ''}`);
  const lines = [
    `cluster ${plan.cluster}: ${plan.procedure}, ${plan.stages.length} stages`,
    `nodes: ${nodes.join(', ')}`,
    `plan hash ${planHash(plan)}`,
  ];
  if (plan.warnings.length > 0) lines.push('', 'WARNINGS', ...plan.warnings.map((warning) => `  ! ${warning}`));
  lines.push('', 'Stages run in order: no node starts a stage before every node has finished the one before.', '');
  return lines;
}

function renderStage(stage: Stage, plan: Plan): string[] {
  switch (stage.type) {
    case 'tasks':
      return [`${RULE} ${stage.id} (${plural(Object.keys(stage.lanes).length, 'node')})`, ...renderLanes(stage.lanes, plan)];
    case 'barrier':
      return [`${RULE} barrier ${stage.id}${stage.confirm ? ' (operator confirms)' : ''}: ${stage.message}`];
    case 'gate':
      return [`${RULE} gate ${stage.id}: ${stage.message}`, `   waits for: lockstep approve RUN ${stage.id}`];
    case 'notice':
      return [`${RULE} notice ${stage.id}: ${stage.message}`];
    case 'safe-point':
      return [`${RULE} safe point ${stage.id} (a maintenance window may pause the run here)`];
  }
}

/** One block per node, in the runbook's order: `server1  1. upgrade  rpm -U …`. */
function renderLanes(lanes: Record<string, NodeTask[]>, plan: Plan): string[] {
  const nodes = plan.nodes.map((node) => node.name).filter((name) => lanes[name] !== undefined);
  const nodeWidth = Math.max(...nodes.map((name) => name.length));
  const tasks = Object.values(lanes).flat();
  const idWidth = Math.max(...tasks.map((task) => task.stepId.length));
  const numberWidth = String(Math.max(...nodes.map((name) => lanes[name]?.length ?? 0))).length;
  return nodes.flatMap((name) =>
    (lanes[name] ?? []).map((task, index) => {
      const node = index === 0 ? name : '';
      const number = `${String(index + 1).padStart(numberWidth)}.`;
      return `   ${node.padEnd(nodeWidth)}  ${number} ${task.stepId.padEnd(idWidth)}  ${task.description}${digestNote(task)}${timeoutNote(task)}`.trimEnd();
    }),
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The pinned package, short as git shows a commit; `plan --json` has it whole. */
function digestNote(task: NodeTask): string {
  return task.params.sha256 === undefined ? '' : ` (sha256 ${task.params.sha256.slice(0, 12)})`;
}

function timeoutNote(task: NodeTask): string {
  return task.params.timeoutMs === DEFAULT_STEP_TIMEOUT_MS ? '' : ` (timeout ${formatDuration(task.params.timeoutMs)})`;
}
