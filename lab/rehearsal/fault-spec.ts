// `lockstep rehearse --faults SPEC` (issue 17): which faults a rehearsal injects into the twin.
// The grammar (docs/lab.md, "Rehearsing with faults"):
//
//   SPEC  = FAULT *( "," FAULT )
//   FAULT = "kill-agent" [":" NODE] ["@" STEP]       SIGKILL NODE's agent when STEP is dispatched to it
//         | "fail-once"  [":" NODE] ["=" COMMAND]    COMMAND (an argv prefix, default "rpm -U") fails once on NODE
//         | "slow-mirror" [":" FACTOR]                every mirror resyncs FACTOR times slower (default 10)
//         | "power-off"  [":" NODE] ["@" STEP] ["=" SECONDS]
//                                                    NODE loses power when STEP is dispatched (to any node),
//                                                    and is powered on SECONDS later (default 10) or when
//                                                    the run blocks, whichever comes first
//
// A NODE or STEP left out is drawn from the plan with --seed, so a seed replays the same faults.
import { LockstepError } from '../../shared/errors.js';

export type FaultKind = 'kill-agent' | 'fail-once' | 'slow-mirror' | 'power-off';

export type PlannedFault =
  | { kind: 'kill-agent'; node: string; step: string }
  | { kind: 'fail-once'; node: string; command: string[] }
  | { kind: 'slow-mirror'; factor: number }
  | { kind: 'power-off'; node: string; step: string; holdMs: number };

/** What the plan offers to draw from: each node's steps, in plan order. */
export interface FaultTargets {
  nodes: readonly string[];
  /** node → the ids of the plan's steps that run on it. */
  steps: ReadonlyMap<string, readonly string[]>;
}

const WORD = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const COMMAND_WORD = /^[A-Za-z0-9_./=+:-]{1,64}$/;
const MAX_FAULTS = 16;
const DEFAULT_COMMAND = ['rpm', '-U'];
const DEFAULT_SLOWDOWN = 10;
const DEFAULT_POWER_OFF_SECONDS = 10;

/** The faults of `spec`, with every NODE and STEP left out drawn with `seed`; bad input names --faults. */
export function planFaults(spec: string, seed: number, targets: FaultTargets): PlannedFault[] {
  const random = seededRandom(seed);
  const items = spec.split(',').map((item) => item.trim());
  if (items.length > MAX_FAULTS) throw bad(`at most ${MAX_FAULTS} faults, got ${items.length}`);
  return items.map((item) => planFault(item, random, targets));
}

function planFault(item: string, random: () => number, targets: FaultTargets): PlannedFault {
  const match = /^(kill-agent|fail-once|slow-mirror|power-off)(?::([^@=]*))?(?:@([^=]*))?(?:=(.*))?$/.exec(item);
  if (match === null) throw bad(`"${item.slice(0, 80)}" is not a fault: expected kill-agent[:NODE][@STEP], fail-once[:NODE][=COMMAND], slow-mirror[:FACTOR] or power-off[:NODE][@STEP][=SECONDS]`);
  const [, kind, target, step, command] = match as unknown as [string, FaultKind, string | undefined, string | undefined, string | undefined];
  if (kind === 'slow-mirror') {
    if (step !== undefined || command !== undefined) throw bad(`${item}: slow-mirror takes only a FACTOR`);
    const factor = target === undefined ? DEFAULT_SLOWDOWN : Number(target);
    if (!Number.isFinite(factor) || factor < 1 || factor > 1000) throw bad(`${item}: FACTOR must be a number from 1 to 1000`);
    return { kind, factor };
  }
  const node = target === undefined || target === '' ? pick(targets.nodes, random) : checkedNode(target, targets, item);
  if (kind === 'fail-once') {
    if (step !== undefined) throw bad(`${item}: fail-once takes =COMMAND, not @STEP`);
    const words = command === undefined ? DEFAULT_COMMAND : command.trim().split(/\s+/);
    if (words.length === 0 || words.length > 8 || !words.every((word) => COMMAND_WORD.test(word))) throw bad(`${item}: COMMAND must be 1 to 8 words of A-Z a-z 0-9 _ . / = + : -`);
    return { kind, node, command: words };
  }
  if (command !== undefined && kind === 'kill-agent') throw bad(`${item}: kill-agent takes @STEP, not =COMMAND`);
  const holdMs = powerOffSeconds(command, item) * 1000;
  const steps = kind === 'kill-agent' ? (targets.steps.get(node) ?? []) : [...new Set([...targets.steps.values()].flat())];
  if (step !== undefined && step !== '') {
    if (!steps.includes(step)) throw bad(`${item}: "${step.slice(0, 64)}" is not a step ${kind === 'kill-agent' ? `that runs on ${node}` : 'of the plan'} (${steps.join(', ')})`);
    return kind === 'power-off' ? { kind, node, step, holdMs } : { kind, node, step };
  }
  if (steps.length === 0) throw bad(`${item}: the plan runs no step on ${node}`);
  const drawn = pick(steps, random);
  return kind === 'power-off' ? { kind, node, step: drawn, holdMs } : { kind, node, step: drawn };
}

function powerOffSeconds(value: string | undefined, item: string): number {
  if (value === undefined) return DEFAULT_POWER_OFF_SECONDS;
  const seconds = /^\d{1,3}$/.test(value) ? Number(value) : NaN;
  if (!(seconds >= 1 && seconds <= 600)) throw bad(`${item}: SECONDS must be a whole number from 1 to 600`);
  return seconds;
}

function checkedNode(node: string, targets: FaultTargets, item: string): string {
  if (!WORD.test(node) || !targets.nodes.includes(node)) throw bad(`${item}: "${node.slice(0, 64)}" is not a node of the runbook (${targets.nodes.join(', ')})`);
  return node;
}

/** One line for the report. */
export function describeFault(fault: PlannedFault): string {
  switch (fault.kind) {
    case 'kill-agent':
      return `kill-agent: SIGKILL ${fault.node}'s agent when ${fault.step} is dispatched to it`;
    case 'fail-once':
      return `fail-once: "${fault.command.join(' ')}" fails once on ${fault.node}`;
    case 'slow-mirror':
      return `slow-mirror: every mirror resyncs ${fault.factor} times slower`;
    case 'power-off':
      return `power-off: ${fault.node} loses power when ${fault.step} is dispatched, for ${fault.holdMs / 1000} s`;
  }
}

function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw bad('nothing to choose from');
  return items[Math.floor(random() * items.length)] as T;
}

/** mulberry32: small, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function bad(message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `--faults: ${message}`, { field: '--faults' });
}
