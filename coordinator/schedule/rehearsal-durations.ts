// What `lockstep rehearse --save-durations FILE` keeps of a rehearsal for the real run's window
// fit (issue 17, SPEC §4.4): per step kind, the median and p90 of the twin's succeeded steps and
// how many there were; each segment's measured duration; and whose cluster and procedure they
// are. A runbook's `rehearsal: FILE` feeds them to the predictions (step-predictions.ts).
//
// Honesty first: most of a twin's time is the lab's model, not the cluster's — a reboot takes
// the lab's boot delay, a failover its failoverMs, a resync its mirror size over its rate, and
// services start at once. Those kinds are saved as "simulated" and never predict anything.
// Only the package kinds, when the twin's nodes run the real rpm, are "lab" time: a real rpm
// transaction (on the lab's empty-payload package, --justdb --noscripts; docs/operator-guide.md).
import { z } from 'zod';
import type { PlannedStep, RunView } from '../../shared/domain/run.js';
import { LockstepError } from '../../shared/errors.js';
import { fieldPath } from '../../shared/config-file.js';
import { isNodeStepKind, STEP_KINDS, type NodeStepKind, type StepKind } from '../runbook/step-kinds.js';
import { quantile, type RehearsedKind } from './step-predictions.js';

export const REHEARSAL_DURATIONS_FORMAT = 'lockstep.rehearsal-durations/1';

/** The kinds whose twin time is a real rpm run on the lab's node (when its rpm mode is "real"). */
const LAB_TIMED_KINDS: ReadonlySet<NodeStepKind> = new Set(['package.query', 'package.install', 'package.upgrade', 'package.downgrade', 'package.remove', 'verify.package-version']);

export type DurationTiming = 'lab' | 'simulated';

export interface KindDurations {
  medianMs: number;
  p90Ms: number;
  /** How many succeeded steps of the kind the twin ran. */
  count: number;
  timing: DurationTiming;
}

export interface SegmentDuration {
  /** 1-based, as `lockstep plan` numbers them. */
  number: number;
  label: string;
  /** First step started to last step finished, on the twin. */
  ms: number;
}

export interface RehearsalDurations {
  format: typeof REHEARSAL_DURATIONS_FORMAT;
  cluster: string;
  procedure: string;
  nodes: string[];
  /** ISO 8601: when the rehearsal's run finished. */
  rehearsedAt: string;
  runId: string;
  seed: number;
  /** The --faults spec, "" for none: faults lengthen what they hit. */
  faults: string;
  kinds: Partial<Record<NodeStepKind, KindDurations>>;
  segments: SegmentDuration[];
}

export interface RehearsalContext {
  cluster: string;
  nodes: string[];
  seed: number;
  faults: string;
  /** Whether the twin's nodes run the real rpm (lab/lab-create.ts rpm mode "real"). */
  realRpm: boolean;
}

/** The durations of a finished rehearsal run: its succeeded node steps by kind, its segments by the plan's safe points. */
export function measureRehearsal(run: RunView, plan: readonly PlannedStep[], context: RehearsalContext): RehearsalDurations {
  const byKind = new Map<NodeStepKind, number[]>();
  for (const step of run.steps) {
    if (step.node === '' || step.state !== 'succeeded' || step.startedAtMs <= 0 || step.finishedAtMs < step.startedAtMs) continue;
    if (!isKnownNodeKind(step.kind)) continue;
    byKind.set(step.kind, [...(byKind.get(step.kind) ?? []), step.finishedAtMs - step.startedAtMs]);
  }
  const kinds = Object.fromEntries(
    [...byKind].map(([kind, durations]) => {
      const sorted = durations.sort((a, b) => a - b);
      const timing: DurationTiming = context.realRpm && LAB_TIMED_KINDS.has(kind) ? 'lab' : 'simulated';
      return [kind, { medianMs: quantile(sorted, 0.5), p90Ms: quantile(sorted, 0.9), count: sorted.length, timing }];
    }),
  );
  const finishedAtMs = Math.max(run.updatedAtMs, ...run.steps.map((step) => step.finishedAtMs));
  return {
    format: REHEARSAL_DURATIONS_FORMAT,
    cluster: context.cluster,
    procedure: run.procedure,
    nodes: context.nodes,
    rehearsedAt: new Date(finishedAtMs).toISOString(),
    runId: run.id,
    seed: context.seed,
    faults: context.faults,
    kinds,
    segments: measureSegments(run, plan, context.nodes),
  };
}

/** The plan cut at its safe points, as plan-segments.ts cuts the production plan; each segment's span on the twin. */
function measureSegments(run: RunView, plan: readonly PlannedStep[], nodes: readonly string[]): SegmentDuration[] {
  const segments: PlannedStep[][] = [[]];
  for (const step of plan) {
    if (step.kind === 'safe-point') segments.push([]);
    else segments.at(-1)?.push(step);
  }
  return segments.map((steps, index) => {
    const keys = new Set(steps.flatMap((step) => (step.nodes.length === 0 ? [`${step.id}@`] : step.nodes.map((node) => `${step.id}@${node}`))));
    const ran = run.steps.filter((step) => keys.has(`${step.id}@${step.node}`) && step.startedAtMs > 0);
    const from = Math.min(...ran.map((step) => step.startedAtMs));
    const to = Math.max(...ran.map((step) => Math.max(step.finishedAtMs, step.startedAtMs)));
    const working = new Set(steps.flatMap((step) => step.nodes));
    const label = working.size === nodes.length && nodes.length > 1 ? 'every node' : working.size === 0 ? 'no node' : nodes.filter((node) => working.has(node)).join(', ');
    return { number: index + 1, label, ms: ran.length === 0 ? 0 : to - from };
  });
}

function isKnownNodeKind(kind: string): kind is NodeStepKind {
  return (STEP_KINDS as readonly string[]).includes(kind) && isNodeStepKind(kind as StepKind);
}

const milliseconds = z.number({ error: 'expected a whole number of milliseconds, 0 or more' }).int({ error: 'expected a whole number of milliseconds' }).min(0, { error: (issue) => `expected 0 or more milliseconds, got ${String(issue.input)}` }).max(7 * 86_400_000, { error: 'expected at most a week (604800000 ms)' });

const kindDurations = z
  .strictObject({
    medianMs: milliseconds,
    p90Ms: milliseconds,
    count: z.number({ error: 'expected how many steps were measured: a whole number, 1 or more' }).int().min(1, { error: 'expected 1 or more steps' }).max(1_000_000),
    timing: z.enum(['lab', 'simulated'], { error: 'expected "lab" or "simulated"' }),
  })
  .refine((entry) => entry.p90Ms >= entry.medianMs, { error: 'p90Ms is below medianMs: expected p90Ms ≥ medianMs', path: ['p90Ms'] });

const fileSchema = z.strictObject({
  format: z.literal(REHEARSAL_DURATIONS_FORMAT, { error: `expected "${REHEARSAL_DURATIONS_FORMAT}": a file "lockstep rehearse --save-durations" writes` }),
  cluster: z.string().min(1).max(64),
  procedure: z.string().min(1).max(130),
  nodes: z.array(z.string().min(1).max(64)).min(1).max(4096),
  rehearsedAt: z.iso.datetime({ error: 'expected an ISO 8601 instant such as 2026-12-02T01:00:00.000Z' }),
  runId: z.string().max(128),
  seed: z.number().int().min(0),
  faults: z.string().max(4096),
  kinds: z.record(z.string(), kindDurations).superRefine((kinds, ctx) => {
    for (const [kind, entry] of Object.entries(kinds)) {
      if (!isKnownNodeKind(kind)) ctx.addIssue({ code: 'custom', path: [kind], message: `"${kind}" is not a node step kind` });
      else if (entry.timing === 'lab' && !LAB_TIMED_KINDS.has(kind)) ctx.addIssue({ code: 'custom', path: [kind, 'timing'], message: `the lab simulates how long ${kind} takes: expected "simulated"` });
    }
  }),
  segments: z.array(z.strictObject({ number: z.number().int().min(1), label: z.string().max(4096), ms: milliseconds })).max(100_000),
});

/**
 * Reads a durations file's text; `field` names where it came from (`rehearsal` in a runbook).
 * Never echoes the text: the file is named by a runbook and read by the coordinator.
 */
export function parseRehearsalDurations(text: string, file: string, field: string): RehearsalDurations {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad(field, file, '(file)', `not JSON: expected a file "lockstep rehearse --save-durations" writes`);
  }
  const parsed = fileSchema.safeParse(json);
  if (parsed.success) return parsed.data as RehearsalDurations;
  const [issue] = parsed.error.issues;
  throw bad(field, file, fieldPath(issue?.path ?? []) || '(top level)', issue?.message ?? 'invalid');
}

/** Refuses durations of another cluster, procedure or set of nodes than the runbook's. */
export function checkRehearsalFits(durations: RehearsalDurations, runbook: { cluster: string; procedure: string; nodes: ReadonlyArray<{ name: string }> }, file: string, field: string): void {
  const again = 'rehearse this runbook again with "lockstep rehearse RUNBOOK --save-durations FILE"';
  if (durations.cluster !== runbook.cluster) throw bad(field, file, 'cluster', `the durations are of cluster "${durations.cluster}", the runbook's is "${runbook.cluster}": ${again}`);
  if (durations.procedure !== runbook.procedure) throw bad(field, file, 'procedure', `the durations are of ${durations.procedure}, the runbook runs ${runbook.procedure}: ${again}`);
  const names = runbook.nodes.map((node) => node.name);
  if ([...durations.nodes].sort().join(', ') !== [...names].sort().join(', ')) throw bad(field, file, 'nodes', `the durations are of nodes ${durations.nodes.join(', ')}, the runbook names ${names.join(', ')}: ${again}`);
}

/** What predicts: the kinds the twin ran in lab time. A simulated kind's duration is the lab's setting, not a measurement. */
export function rehearsedKinds(durations: RehearsalDurations): Map<string, RehearsedKind> {
  return new Map(
    Object.entries(durations.kinds).flatMap(([kind, entry]) => (entry.timing === 'lab' ? [[kind, { medianMs: entry.medianMs, p90Ms: entry.p90Ms, count: entry.count }] as const] : [])),
  );
}

function bad(field: string, file: string, inFile: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${field}: ${file}: ${inFile}: ${message}`, { field });
}
