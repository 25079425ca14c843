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
  const byStep = new Map<string, PlannedStep>();
  for (const [node, tasks] of Object.entries(lanes)) {
    for (const task of tasks) {
      const step = byStep.get(task.stepId);
      if (step === undefined) byStep.set(task.stepId, { id: task.stepId, kind: task.kind, nodes: [node], description: task.description, stage: stageId });
      else step.nodes.push(node);
    }
  }
  return [...byStep.values()];
}
