// Checks of a finished run against what the lab's nodes ran (history.jsonl), shared by the
// chaos tests that kill coordinators: no barrier jumped, and which kills left a step in flight.
import type { RunEvent, RunView, StepView } from '../../shared/domain/run.js';
import { basename } from 'node:path';
import type { HistoryEntry } from '../../lab/state/lab-state.js';
import { isCommand, isRead, type LabRunbookFacts } from './custom-runbook.js';

const STEP_RESULTS = new Set(['step.succeeded', 'step.failed', 'step.skipped']);

/**
 * The kills that landed mid-dispatch: after a step.dispatched and before that step's result
 * (step.succeeded, step.failed… on the same node), when the coordinator's crash leaves an
 * operation in flight on an agent that the next coordinator must reconcile, not redo.
 */
export function midDispatchKills(killedAt: readonly number[], events: readonly RunEvent[]): { midDispatch: number; unanswered: string[] } {
  const windows = events.flatMap((event, index) => {
    if (event.type !== 'step.dispatched') return [];
    const result = events.slice(index + 1).find((later) => later.stepId === event.stepId && later.node === event.node && STEP_RESULTS.has(later.type));
    return [{ step: `${event.stepId} on ${event.node}`, from: event.atMs, to: result?.atMs ?? Infinity }];
  });
  return {
    midDispatch: killedAt.filter((t) => windows.some((window) => window.from <= t && t < window.to)).length,
    unanswered: windows.filter((window) => window.to === Infinity).map((window) => window.step),
  };
}

/** The run's node steps, stage by stage: a coordinator step (node "") separates two stages. */
function taskStages(run: RunView): StepView[][] {
  const stages: StepView[][] = [[]];
  for (const step of run.steps) {
    if (step.node === '') stages.push([]);
    else stages.at(-1)?.push(step);
  }
  return stages.filter((stage) => stage.length > 0);
}

/**
 * Every command after the run began belongs to the task on its node whose window (dispatch
 * to recorded result) holds it; and every command of stage k+1 is later than every command
 * of stage k on any node: nothing ran before its barrier passed.
 */
export function checkBarriers(run: RunView, history: HistoryEntry[]): string[] {
  const problems: string[] = [];
  const stages = taskStages(run);
  const stageOf = (entry: HistoryEntry): number =>
    stages.findIndex((stage) => stage.some((step) => step.node === entry.node && step.startedAtMs <= entry.t && entry.t <= step.finishedAtMs));
  const byStage = stages.map((): HistoryEntry[] => []);
  for (const entry of history) {
    const index = stageOf(entry);
    if (index < 0) problems.push(`${entry.node} ran "${entry.argv.join(' ')}" at ${entry.t} outside any of its steps`);
    else byStage[index]?.push(entry);
  }
  for (let k = 0; k + 1 < stages.length; k++) {
    const passed = Math.max(...(stages[k] ?? []).map((step) => step.finishedAtMs));
    const next = Math.min(...(stages[k + 1] ?? []).map((step) => step.startedAtMs));
    if (next < passed) problems.push(`stage ${k + 1} was dispatched at ${next}, before stage ${k} finished at ${passed}`);
    const lastBefore = Math.max(...(byStage[k] ?? []).map((entry) => entry.t));
    const early = (byStage[k + 1] ?? []).filter((entry) => entry.t <= lastBefore);
    for (const entry of early) problems.push(`${entry.node} ran "${entry.argv.join(' ')}" (stage ${k + 1}) before stage ${k} ended at ${lastBefore}`);
  }
  return problems;
}

/**
 * What a run that updated the lab must have done exactly once: `rpm -U` of the target package
 * per node (the agent's checked copy, under its own name: docs/security.md §2), and no changing
 * command twice on a node. Returns what differs; empty when all is well.
 */
export function exactlyOnceProblems(history: readonly HistoryEntry[], facts: LabRunbookFacts): string[] {
  const staged = (entry: HistoryEntry): string => entry.argv.join(' ').replace(/ \S+\/staging\/[0-9a-f]{24}\//, ' STAGED/');
  const upgrades = history.filter((entry) => isCommand(entry, 'rpm', '-U')).map((entry) => `${entry.node} ${staged(entry)}`).sort();
  const expected = facts.nodes.map((node) => `${node.name} rpm -U STAGED/${basename(facts.targetPackage)}`).sort();
  const problems = JSON.stringify(upgrades) === JSON.stringify(expected) ? [] : [`upgrades ${JSON.stringify(upgrades)}, expected ${JSON.stringify(expected)}`];
  const changes = history.filter((entry) => !isRead(entry.argv)).map((entry) => `${entry.node} ${entry.argv.join(' ')}`);
  return problems.concat(changes.filter((change, index) => changes.indexOf(change) !== index).map((change) => `ran twice: ${change}`));
}
