// How long a step kind takes, for the window fit (SPEC §4.4), from the best source there is:
// the runbook's `expect`; else the durations that kind took on earlier runs of this cluster
// on this coordinator (median and p90) — unless the runbook's `rehearsal` measured more steps
// of the kind on a twin than that history holds, when the rehearsal's median and p90 predict;
// else a conservative default per kind — the defaults are documented in docs/runbooks.md and
// are meant to be long rather than short.
import type { ExpectedDurations } from '../runbook/window-schema.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';

const MINUTE = 60_000;

/** docs/runbooks.md "Window fit": keep the two in step. */
const DEFAULT_EXPECTED_MS: Partial<Record<NodeStepKind, number>> = {
  'package.install': 5 * MINUTE,
  'package.upgrade': 5 * MINUTE,
  'package.downgrade': 5 * MINUTE,
  'package.remove': 5 * MINUTE,
  'node.reboot': 15 * MINUTE,
  'server.shutdown': 15 * MINUTE,
  'cluster.shutdown': 20 * MINUTE,
  'cluster.wait-healthy': 15 * MINUTE,
  'mirror.wait-green': 60 * MINUTE,
  'mirror.recover': 5 * MINUTE,
  'hook.run': 10 * MINUTE,
  'node.evacuate': 10 * MINUTE,
  'node.leave-cluster': 15 * MINUTE,
  'node.rejoin-cluster': 15 * MINUTE,
};

/** Every other kind (service, group, resource, query and verify steps). */
const OTHER_KINDS_MS = 2 * MINUTE;

export function defaultExpectedMs(kind: NodeStepKind): number {
  return DEFAULT_EXPECTED_MS[kind] ?? OTHER_KINDS_MS;
}

export type PredictionSource = 'expect' | 'history' | 'rehearsal' | 'default';

export interface Prediction {
  medianMs: number;
  p90Ms: number;
  source: PredictionSource;
  /** history: how many earlier runs the durations come from. */
  runs: number;
}

/** Durations of succeeded steps of one kind on earlier runs, with the runs they came from. */
export interface KindHistory {
  durationsMs: number[];
  runs: number;
}

/** A kind's durations on a rehearsal's twin, in lab time (rehearsal-durations.ts): how many steps were measured. */
export interface RehearsedKind {
  medianMs: number;
  p90Ms: number;
  count: number;
}

export function predictStep(kind: NodeStepKind, expected: ExpectedDurations, history: ReadonlyMap<string, KindHistory>, rehearsed: ReadonlyMap<string, RehearsedKind> = new Map()): Prediction {
  const stated = expected[kind];
  if (stated !== undefined) return { medianMs: stated, p90Ms: stated, source: 'expect', runs: 0 };
  const earlier = history.get(kind);
  const samples = earlier?.durationsMs.length ?? 0;
  // The cluster's own runs beat a twin's as soon as they hold as many steps of the kind.
  const rehearsal = rehearsed.get(kind);
  if (rehearsal !== undefined && rehearsal.count > samples) return { medianMs: rehearsal.medianMs, p90Ms: rehearsal.p90Ms, source: 'rehearsal', runs: 0 };
  if (earlier !== undefined && samples > 0) {
    const sorted = [...earlier.durationsMs].sort((a, b) => a - b);
    return { medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), source: 'history', runs: earlier.runs };
  }
  const fallback = defaultExpectedMs(kind);
  return { medianMs: fallback, p90Ms: fallback, source: 'default', runs: 0 };
}

/** Nearest-rank quantile of sorted values: the p90 of three durations is the largest. */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}
