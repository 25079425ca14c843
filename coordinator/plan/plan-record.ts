// A plan in the form `apply --plan HASH` compares (issue 16 part 2): what the preflight saw
// (nodes, their reachability and installed versions, where each group ran) and the plan's
// steps, one line each. `lockstep plan` stores it under the plan's hash; apply compiles again
// and, when anything differs, refuses with the differences rather than run a plan nobody saw.
import type { ClusterFacts } from './cluster-facts.js';
import type { Plan } from './plan.js';

export interface PlanRecord {
  hash: string;
  /** node → "address, reachable|unreachable". */
  nodes: Record<string, string>;
  /** node → the installed product package ("clusterpro 2.0.0-1"), or "" when not read or absent. */
  versions: Record<string, string>;
  /** group → the server it ran on ("" when nowhere); empty for custom runbooks that touch no server or group. */
  groups: Record<string, string>;
  /** One line per step and node: "stage-id node: description". */
  steps: string[];
}

/** At most this many step lines added and removed are listed; the count says how many more. */
const MAX_STEP_LINES = 20;

export function planRecord(hash: string, plan: Plan | undefined, facts: ClusterFacts): PlanRecord {
  const nodes = Object.fromEntries(facts.nodes.map((node) => [node.name, `${node.address}, ${node.reachable ? 'reachable' : `unreachable (${node.error})`}`]));
  const versions = Object.fromEntries(
    facts.nodes.map((node) => [node.name, node.installed?.installed ? `${node.installed.name} ${node.installed.version}-${node.installed.release}` : node.installed ? 'not installed' : '']),
  );
  const groups = Object.fromEntries((facts.cluster?.groups ?? []).map((group) => [group.name, group.currentServer ?? '']));
  return { hash, nodes, versions, groups, steps: plan === undefined ? [] : stepLines(plan) };
}

/** What differs between the plan the operator saw and the one compiled now, one line each; empty when nothing. */
export function planChanges(seen: PlanRecord, now: PlanRecord): string[] {
  const changes = [
    ...mapChanges('node', seen.nodes, now.nodes),
    ...mapChanges('version on', seen.versions, now.versions),
    ...mapChanges('group', seen.groups, now.groups, (server) => (server === '' ? 'running nowhere' : `on ${server}`)),
  ];
  // Steps follow from the facts: listed when the facts alone do not explain the new hash.
  if (seen.hash !== now.hash && now.steps.length > 0) changes.push(...stepChanges(seen.steps, now.steps));
  return changes;
}

function mapChanges(what: string, before: Record<string, string>, after: Record<string, string>, show: (value: string) => string = (value) => value || '(unknown)'): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  return keys.flatMap((key) => {
    const was = before[key];
    const is = after[key];
    if (was === is) return [];
    if (was === undefined) return [`${what} ${key}: added (${show(is as string)})`];
    if (is === undefined) return [`${what} ${key}: removed (was ${show(was)})`];
    return [`${what} ${key}: ${show(was)} → ${show(is)}`];
  });
}

function stepChanges(before: readonly string[], after: readonly string[]): string[] {
  const kept = new Set(before);
  const had = new Set(after);
  const removed = before.filter((line) => !had.has(line)).map((line) => `step removed: ${line}`);
  const added = after.filter((line) => !kept.has(line)).map((line) => `step added: ${line}`);
  const lines = [...removed, ...added];
  if (lines.length === 0) return ['steps: the same steps, in another order or with other parameters'];
  return lines.length <= MAX_STEP_LINES ? lines : [...lines.slice(0, MAX_STEP_LINES), `… and ${lines.length - MAX_STEP_LINES} more step changes`];
}

function stepLines(plan: Plan): string[] {
  return plan.stages.flatMap((stage) => {
    if (stage.type !== 'tasks') return [`${stage.id}: ${stage.type}`];
    return Object.entries(stage.lanes).flatMap(([node, tasks]) => tasks.map((task) => `${stage.id} ${node}: ${task.stepId} ${task.description}`));
  });
}
