// A runbook (SPEC §6.1): the cluster's nodes, the procedure and its parameters, or the steps
// of a custom procedure. Checks that need more than one field (unknown nodes in `on`,
// duplicate ids, steps against the procedure) run once every field has the right shape.
import { z } from 'zod';
import { expecting, flag, hostPort, localPath, name, nodeName, patterned, strictMap } from './runbook-fields.js';
import { stepSchema, type RunbookStep, type StepTarget } from './step-schema.js';
import type { MaintenanceWindow } from '../schedule/window-schedule.js';
import { expectSchema, windowSchema, type ExpectedDurations } from './window-schema.js';

export const CUSTOM_PROCEDURE = 'custom';

export interface RunbookNode {
  name: string;
  /** The agent's HOST:PORT. */
  address: string;
}

export interface RunbookTls {
  ca: string;
  cert: string;
  key: string;
}

export interface Runbook {
  cluster: string;
  nodes: RunbookNode[];
  /** `custom`, or a built-in such as `clusterpro/rolling-update` (compiled by its procedure). */
  procedure: string;
  bundle?: string;
  /** A built-in procedure's parameters; that procedure validates them. */
  params?: Record<string, unknown>;
  /** `custom` only, never empty. */
  steps?: RunbookStep[];
  tls?: RunbookTls;
  /** Risks the operator has read about and accepts, e.g. `replicator-double-resync`. */
  acknowledge?: string[];
  /** SPEC §4.4: the run starts, pauses at safe points and resumes in these windows; absent: any time. */
  window?: MaintenanceWindow[];
  /** How long each step kind takes on this cluster: the window fit's first source of prediction. */
  expect?: ExpectedDurations;
  /**
   * A file `lockstep rehearse --save-durations` wrote (relative to the runbook): the twin's
   * measured durations, the window fit's source for kinds this cluster's history has fewer of.
   */
  rehearsal?: string;
  /**
   * `custom` only: the runbook stops the cluster (or servers whose groups then run nowhere) by
   * design. Its steps carry planned downtime, which the agent's availability veto lets through.
   */
  downtime?: 'planned';
  /** Four-eyes: the submitter of a run may not approve its gates (nor apply --yes). */
  approvals?: { 'distinct-from-submitter'?: boolean };
}

const node = strictMap({ name: nodeName, address: hostPort }, 'a node: {name: NAME, address: HOST:PORT}');

const runbookFields = strictMap(
  {
    cluster: patterned('a cluster name: a letter or digit, then up to 62 of A-Z a-z 0-9 _ . -', /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/),
    nodes: z
      .array(node, { error: expecting('a list of nodes: [{name: NAME, address: HOST:PORT}, …]') })
      .min(1, { error: 'expected at least one node: [{name: NAME, address: HOST:PORT}, …]' })
      .max(4096, { error: 'expected at most 4096 nodes' }),
    procedure: patterned('custom or a built-in procedure such as clusterpro/rolling-update', /^(custom|[a-z0-9][a-z0-9-]{0,63}\/[a-z0-9][a-z0-9.-]{0,63})$/),
    bundle: name.optional(),
    params: z.record(z.string(), z.unknown(), { error: expecting("a map of the procedure's parameters") }).optional(),
    steps: z.array(stepSchema, { error: expecting('a list of steps') }).max(10_000, { error: 'expected at most 10000 steps' }).optional(),
    window: windowSchema.optional(),
    expect: expectSchema.optional(),
    rehearsal: localPath('a durations file "lockstep rehearse --save-durations" wrote').optional(),
    tls: strictMap(
      {
        ca: localPath('the CA certificate (PEM) agents are signed by'),
        cert: localPath("the coordinator's certificate (PEM)"),
        key: localPath("the coordinator's private key (PEM)"),
      },
      'a map with ca, cert and key',
    ).optional(),
    downtime: z.literal('planned', { error: expecting('"planned": the runbook stops the cluster by design') }).optional(),
    approvals: strictMap({ 'distinct-from-submitter': flag.optional() }, 'a map: {distinct-from-submitter: true}').optional(),
    acknowledge: z
      .array(patterned('a risk to acknowledge, such as replicator-double-resync', /^[a-z0-9][a-z0-9-]{0,63}$/), {
        error: expecting('a list of acknowledged risks'),
      })
      .optional(),
  },
  'a runbook: a map with cluster, nodes, procedure, …',
);

export const runbookSchema: z.ZodType<Runbook> = runbookFields.superRefine((runbook, ctx) => {
  refuseRepeatedNodes(runbook.nodes, ctx);
  if (runbook.rehearsal !== undefined && runbook.window === undefined) {
    ctx.addIssue({ code: 'custom', path: ['rehearsal'], message: 'the rehearsal\'s durations predict segments for the window fit: add "window", or remove "rehearsal"' });
  }
  checkProcedureFields(runbook, ctx);
  refuseRepeatedStepIds(runbook.steps ?? [], ctx);
  refuseUnknownTargets(runbook.steps ?? [], new Set(runbook.nodes.map((each) => each.name)), ctx);
});

function refuseRepeatedNodes(nodes: RunbookNode[], ctx: z.RefinementCtx): void {
  for (const field of ['name', 'address'] as const) {
    const seen = new Map<string, number>();
    nodes.forEach((each, index) => {
      const first = seen.get(each[field]);
      if (first === undefined) seen.set(each[field], index);
      else ctx.addIssue({ code: 'custom', path: ['nodes', index, field], message: `"${each[field]}" is already used by nodes[${first}]: expected a unique ${field}` });
    });
  }
}

function checkProcedureFields(runbook: z.output<typeof runbookFields>, ctx: z.RefinementCtx): void {
  if (runbook.procedure === CUSTOM_PROCEDURE) {
    if (runbook.steps === undefined) ctx.addIssue({ code: 'custom', path: ['procedure'], message: 'a custom runbook lists its steps: add "steps"' });
    else if (runbook.steps.length === 0) ctx.addIssue({ code: 'custom', path: ['steps'], message: 'expected at least one step' });
    for (const field of ['bundle', 'params'] as const) {
      if (runbook[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `only built-in procedures take "${field}": a custom runbook says everything in its steps` });
    }
  } else if (runbook.downtime !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['downtime'], message: `${runbook.procedure} is a built-in procedure: it declares its own downtime; remove "downtime"` });
  }
  if (runbook.procedure !== CUSTOM_PROCEDURE && runbook.steps !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['steps'],
      message: `${runbook.procedure} is a built-in procedure and compiles its own steps: remove "steps", or use procedure: custom`,
    });
  }
}

function refuseRepeatedStepIds(steps: RunbookStep[], ctx: z.RefinementCtx): void {
  const seen = new Map<string, number>();
  steps.forEach((step, index) => {
    const first = seen.get(step.id);
    if (first === undefined) seen.set(step.id, index);
    else ctx.addIssue({ code: 'custom', path: ['steps', index, 'id'], message: `"${step.id}" is already the id of steps[${first}]: expected a unique step id` });
  });
}

function refuseUnknownTargets(steps: RunbookStep[], known: ReadonlySet<string>, ctx: z.RefinementCtx): void {
  const expected = `expected one of the runbook's nodes: ${[...known].join(', ')}`;
  steps.forEach((step, index) => {
    for (const [path, node] of namedNodes(step.on)) {
      if (!known.has(node)) ctx.addIssue({ code: 'custom', path: ['steps', index, 'on', ...path], message: `unknown node "${node}": ${expected}` });
    }
  });
}

/** The nodes a target names, with their paths inside `on`. */
function namedNodes(target: StepTarget | undefined): Array<[PropertyKey[], string]> {
  if (target === undefined || typeof target === 'string') return [];
  if ('node' in target) return [[['node'], target.node]];
  return target.rolling.map((node, index) => [['rolling', index], node]);
}
