// SPEC §5.2's invariant of a rolling update, checked on the compiled plan before any run:
// every group runs somewhere except during its own move, and no more servers are out of the
// cluster at once than the batch allows. The plan is walked stage by stage (each stage's
// lanes run in parallel), following group placement and which servers are down. Stricter than
// the availability proof every plan passes (plan/availability-proof.ts: a group may fail
// over), whose rules for when a server leaves and rejoins (plan/step-effects.ts) it shares.
import { LockstepError } from '../../../shared/errors.js';
import { startsAtBootAfter, takesServerOut } from '../../plan/step-effects.js';
import type { NodeTask, Plan, Stage } from '../../plan/plan.js';
import type { GroupPlacement } from './group-placement.js';

type TasksStage = Extract<Stage, { type: 'tasks' }>;

interface Walk {
  placement: GroupPlacement;
  /** Servers out of the cluster after the stages walked so far. */
  out: Set<string>;
  /** Servers whose CLUSTERPRO services are off at boot (3.1.3.1 (2)). */
  noAutoStart: Set<string>;
}

/** Every way the plan breaks the invariant; empty when it holds. */
export function availabilityViolations(stages: readonly Stage[], placement: GroupPlacement, maxDown: number): string[] {
  const walk: Walk = { placement: new Map(placement), out: new Set(), noAutoStart: new Set() };
  return stages.flatMap((stage) => (stage.type === 'tasks' ? walkStage(stage, walk, maxDown) : []));
}

/** Refuses a plan that breaks the invariant: a compiler bug, never the operator's input. */
export function assertAvailable(plan: Plan, placement: GroupPlacement, maxDown: number): void {
  const violations = availabilityViolations(plan.stages, placement, maxDown);
  if (violations.length > 0) {
    throw new LockstepError('LOCKSTEP_E_INTERNAL', `${plan.procedure}: the compiled plan would break the availability invariant:\n${violations.map((each) => `  - ${each}`).join('\n')}`);
  }
}

function walkStage(stage: TasksStage, walk: Walk, maxDown: number): string[] {
  const violations: string[] = [];
  const lanes = Object.entries(stage.lanes);
  const down = new Set([...walk.out, ...lanes.filter(([, tasks]) => tasks.some(goesDown)).map(([node]) => node)]);
  if (down.size > maxDown) violations.push(`stage ${stage.id}: ${down.size} servers down at once (${[...down].join(', ')}), at most ${maxDown} allowed`);
  const moved = new Set<string>();
  for (const [node, tasks] of lanes) {
    const firstDown = tasks.findIndex(goesDown);
    tasks.forEach((task, index) => {
      if (task.kind !== 'group.move') return;
      const group = task.params.group ?? '';
      const problem = moveProblem(task, node, walk.placement.get(group), down, firstDown !== -1 && index > firstDown);
      if (problem !== undefined) violations.push(`stage ${stage.id}: ${problem}`);
      walk.placement.set(group, task.params.to ?? null);
      moved.add(group);
    });
  }
  for (const [group, server] of walk.placement) {
    if (moved.has(group)) continue;
    if (server === null) violations.push(`stage ${stage.id}: group ${group} runs nowhere`);
    else if (down.has(server)) violations.push(`stage ${stage.id}: group ${group} stays on ${server}, which is down`);
  }
  for (const [node, tasks] of lanes) for (const task of tasks) advance(walk, node, task);
  return violations;
}

function moveProblem(task: NodeTask, node: string, current: string | null | undefined, down: ReadonlySet<string>, afterDown: boolean): string | undefined {
  const { group, to } = task.params;
  if (current !== node) return `group ${group} is moved from ${node} but runs on ${current ?? 'no server'}`;
  if (to === undefined || down.has(to)) return `group ${group} is moved to ${to ?? 'wherever failover picks'}, which is down in this stage`;
  if (afterDown) return `group ${group} is moved after ${node} went down`;
  return undefined;
}

function advance(walk: Walk, node: string, task: NodeTask): void {
  if (startsAtBootAfter(task) === false) walk.noAutoStart.add(node);
  if (startsAtBootAfter(task) === true) walk.noAutoStart.delete(node);
  if (task.kind === 'server.shutdown' || (task.kind === 'node.reboot' && walk.noAutoStart.has(node))) walk.out.add(node);
  else if (task.kind === 'node.reboot') walk.out.delete(node);
}

/** A server leaves the cluster with these; a reboot brings it back only if auto-start is on. */
function goesDown(task: NodeTask): boolean {
  return takesServerOut(task);
}
