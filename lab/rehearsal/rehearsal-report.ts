// What `lockstep rehearse` prints (issue 17): how long each stage of the run took on the twin,
// each fault injected and how the run reacted (its events on that node from then on, until the
// node's step succeeded again), and whether the cluster stayed available.
import type { PlannedStep, RunEvent, RunView } from '../../shared/domain/run.js';
import { describeFault, type PlannedFault } from './fault-spec.js';

export interface InjectedFault {
  fault: PlannedFault;
  /** Epoch ms it was injected (armed, for fail-once and slow-mirror); absent when its moment never came. */
  atMs?: number;
  /** What injecting it did, in the lab's words (e.g. "server2 powered off; …"). */
  detail: string;
}

export interface RehearsalOutcome {
  run: RunView;
  plan: readonly PlannedStep[];
  events: readonly RunEvent[];
  faults: readonly InjectedFault[];
  /** Retries the rehearsal made, as an operator would, after the run blocked. */
  retries: number;
  /** Availability violations (lab-availability.ts); undefined when not checked (the procedure stops the cluster). */
  violations: readonly string[] | undefined;
}

/** Events on the fault's node (and the run's own) from its injection, up to the node's next success after a failure. */
export function reactionTo(injected: InjectedFault, events: readonly RunEvent[]): string[] {
  if (injected.atMs === undefined) return ['never injected: its step was not dispatched'];
  const { fault } = injected;
  if (fault.kind === 'slow-mirror') return [];
  const node = fault.node;
  const lines: string[] = [];
  let troubled = false;
  for (const event of events) {
    if (event.atMs < injected.atMs) continue;
    // A power loss is the whole cluster's business: what every node did meanwhile is the reaction.
    const mine = fault.kind === 'power-off' || event.node === node || (event.node === '' && event.type.startsWith('run.') && troubled);
    if (!mine) continue;
    const failing = event.type === 'step.failed' || event.type === 'step.reconciling';
    if (fault.kind === 'fail-once' && !troubled && !failing) continue;
    if (failing) troubled = true;
    lines.push(`${event.type}${event.stepId ? ` ${event.stepId}` : ''}${event.node ? ` on ${event.node}` : ''}${event.message ? `: ${oneLine(event.message)}` : ''}`);
    if (event.type === 'step.succeeded' && (troubled || fault.kind !== 'fail-once')) {
      if (troubled || lines.length >= 3) break;
    }
    if (lines.length >= 12) break;
  }
  if (lines.length === 0) return [fault.kind === 'fail-once' ? 'the command never failed: nothing matching it ran on the node' : 'no event followed on the node'];
  return lines;
}

/** Each stage's duration on the twin: from its first step's start to its last step's end. */
export function stageDurations(run: RunView, plan: readonly PlannedStep[]): Array<{ stage: string; ms: number }> {
  // A step id recurs in every node's stage (upgrade@server1, upgrade@server2): a step is its id on its node.
  const stageOf = new Map(plan.flatMap((step) => (step.nodes.length === 0 ? [''] : step.nodes).map((node) => [`${step.id}@${node}`, step.stage] as const)));
  const spans = new Map<string, { from: number; to: number }>();
  for (const step of run.steps) {
    const stage = stageOf.get(`${step.id}@${step.node}`);
    if (stage === undefined || step.startedAtMs === 0) continue;
    const span = spans.get(stage) ?? { from: step.startedAtMs, to: step.finishedAtMs };
    spans.set(stage, { from: Math.min(span.from, step.startedAtMs), to: Math.max(span.to, step.finishedAtMs || step.startedAtMs) });
  }
  return [...spans.entries()].map(([stage, span]) => ({ stage, ms: span.to - span.from }));
}

/** True when the rehearsal succeeded: the run succeeded and the cluster stayed available. */
export function rehearsalPassed(outcome: RehearsalOutcome): boolean {
  return outcome.run.state === 'succeeded' && (outcome.violations?.length ?? 0) === 0;
}

export function renderRehearsal(outcome: RehearsalOutcome): string {
  const { run } = outcome;
  const lines = [`run ${run.id} (${run.procedure}) on the twin: ${run.state}${outcome.retries > 0 ? ` after ${outcome.retries} retr${outcome.retries === 1 ? 'y' : 'ies'} by the rehearsal` : ''}`];
  if (run.blocker !== undefined) lines.push(`  blocked at ${run.blocker.stepId} on ${run.blocker.node || 'the coordinator'}: ${oneLine(run.blocker.message)}`);
  lines.push('', 'duration per stage:');
  for (const { stage, ms } of stageDurations(run, outcome.plan)) lines.push(`  ${stage.padEnd(32)} ${(ms / 1000).toFixed(1).padStart(7)} s`);
  lines.push('', outcome.faults.length === 0 ? 'faults: none injected' : 'faults:');
  for (const injected of outcome.faults) {
    const when = injected.atMs === undefined ? 'not injected' : `at ${new Date(injected.atMs).toISOString()}`;
    lines.push(`  - ${describeFault(injected.fault)} (${when})`, ...(injected.detail ? [`      ${oneLine(injected.detail)}`] : []));
    for (const reaction of reactionTo(injected, outcome.events)) lines.push(`      → ${reaction}`);
  }
  lines.push('');
  if (outcome.violations === undefined) lines.push(`availability: not checked (${run.procedure} stops the whole cluster by design)`);
  else if (outcome.violations.length === 0) lines.push('availability: held (at most one server out of the cluster, every group online throughout)');
  else lines.push('availability: BROKEN', ...summarizeViolations(outcome.violations).map((violation) => `  - ${violation}`));
  lines.push('', rehearsalPassed(outcome) ? 'rehearsal passed' : 'rehearsal FAILED');
  return `${lines.join('\n')}\n`;
}

/** The checker reports every sample: one line per distinct breach, with when it began and ended and how often it was seen. */
function summarizeViolations(violations: readonly string[]): string[] {
  const seen = new Map<string, { first: string; last: string; count: number }>();
  for (const violation of violations) {
    const match = /^at (\S+): (.*)$/.exec(violation);
    const [key, at] = match === null ? [violation, ''] : [match[2] as string, match[1] as string];
    const entry = seen.get(key);
    if (entry === undefined) seen.set(key, { first: at, last: at, count: 1 });
    else seen.set(key, { ...entry, last: at, count: entry.count + 1 });
  }
  return [...seen.entries()].map(([text, { first, last, count }]) => (first === '' ? text : `${text} (${count} sample${count === 1 ? '' : 's'}, ${first} to ${last})`));
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
