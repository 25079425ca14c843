// A plan as the API shows it (SubmitRun's PlannedStep list): one line per coordinator stage,
// and for a tasks stage one line per runbook step with the nodes that run it in that stage.
import type { PlannedStep } from '../../shared/domain/run.js';
import type { NodeTask, Plan, Stage } from '../plan/plan.js';

export function plannedSteps(plan: Plan): PlannedStep[] {
  return plan.stages.flatMap(stageSteps);
}

function stageSteps(stage: Stage): PlannedStep[] {
  switch (stage.type) {
    case 'tasks':
      return taskSteps(stage.id, stage.lanes);
    case 'barrier':
      return [{ id: stage.id, kind: 'barrier', nodes: [], description: barrierDescription(stage.message, stage.confirm), stage: stage.id }];
    case 'gate':
    case 'notice':
      return [{ id: stage.id, kind: stage.type, nodes: [], description: stage.message, stage: stage.id }];
    case 'safe-point':
      return [{ id: stage.id, kind: 'safe-point', nodes: [], description: 'lockstep pause takes effect here', stage: stage.id }];
  }
}

function barrierDescription(message: string, confirm: boolean): string {
  if (!confirm) return message;
  return message === '' ? 'an operator confirms' : `${message} (an operator confirms)`;
}

/** Steps in the order the lanes first name them; each with every node whose lane has it. */
function taskSteps(stageId: string, lanes: Record<string, NodeTask[]>): PlannedStep[] {
  const byStep = new Map<string, { step: PlannedStep; digests: Map<string, string> }>();
  for (const [node, tasks] of Object.entries(lanes)) {
    for (const task of tasks) {
      const entry = byStep.get(task.stepId) ?? { step: { id: task.stepId, kind: task.kind, nodes: [], description: task.description, stage: stageId }, digests: new Map<string, string>() };
      byStep.set(task.stepId, entry);
      entry.step.nodes.push(node);
      if (task.params.sha256 !== undefined) entry.digests.set(node, task.params.sha256);
    }
  }
  return [...byStep.values()].map(({ step, digests }) => ({ ...step, description: `${step.description}${digestNote(digests)}` }));
}

/**
 * The pinned package file (pin-package-digests.ts), short as git shows a commit. The same
 * file should have the same bytes on every node; when it does not, each node's is shown.
 */
function digestNote(digests: ReadonlyMap<string, string>): string {
  const distinct = new Set(digests.values());
  if (distinct.size === 0) return '';
  if (distinct.size === 1) return ` (sha256 ${[...distinct][0]?.slice(0, 12)})`;
  return ` (sha256 differs per node: ${[...digests].map(([node, sha256]) => `${node} ${sha256.slice(0, 12)}`).join(', ')})`;
}
