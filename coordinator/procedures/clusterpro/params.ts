// The runbook's `params:` for a CLUSTERPRO procedure (SPEC §6.1), validated per procedure:
// each takes only the keys that mean something to it. Errors are LOCKSTEP_E_CONFIG naming
// `params.X`, like every other runbook field.
import { isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { LockstepError } from '../../../shared/errors.js';
import type { Runbook } from '../../runbook/runbook-schema.js';

export interface ClusterproParams {
  /** The rpm, at the same absolute path on every node. */
  package: string;
  /** Rolling update: the servers in update order (default: servers hosting no group first). */
  order: string[] | undefined;
  /** Rolling update: how many servers are updated at once. */
  batch: number;
  /** A gate and a reboot where the manual says to update the kernel. */
  kernelUpdate: boolean;
  /** Rolling update: a gate after the groups moved onto the updated servers (3.1.3.3 (3)). */
  applicationsGate: boolean;
  /** Rolling update: move the groups back to where they ran before (3.1.3.6). */
  restoreGroups: boolean;
  /** Rolling update: the cluster resyncs mirrors by itself; when false lockstep runs clpmdctrl -r (3.1.3.2 (1)). */
  mirrorAutoRecovery: boolean;
}

const rpmPath = z
  .string({ error: 'expected the absolute path of the rpm on every node' })
  .refine((path) => isAbsolute(path) && normalize(path) === path && path.endsWith('.rpm'), { error: 'expected an absolute, normalised path ending in .rpm' });
const flag = z.boolean({ error: 'expected true or false' });

const FIELDS = {
  package: rpmPath,
  order: z.array(z.string(), { error: 'expected a list of the runbook’s node names' }).min(1),
  batch: z.int({ error: 'expected a whole number of servers' }).min(1, { error: 'expected at least 1' }),
  kernelUpdate: flag,
  applicationsGate: flag,
  restoreGroups: flag,
  mirrorAutoRecovery: flag,
} as const;

type Field = keyof typeof FIELDS;

/** Which params each procedure takes. */
const ACCEPTED: Record<string, readonly Field[]> = {
  'clusterpro/install': ['package', 'kernelUpdate'],
  'clusterpro/update': ['package', 'kernelUpdate'],
  'clusterpro/downgrade': ['package', 'kernelUpdate'],
  'clusterpro/nonstop-update': ['package'],
  'clusterpro/rolling-update': ['package', 'order', 'batch', 'kernelUpdate', 'applicationsGate', 'restoreGroups', 'mirrorAutoRecovery'],
};

export function parseClusterproParams(runbook: Runbook): ClusterproParams {
  const accepted = ACCEPTED[runbook.procedure];
  if (accepted === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `no parameters are defined for ${runbook.procedure}`);
  const shape = Object.fromEntries(accepted.map((field) => [field, field === 'package' ? FIELDS[field] : FIELDS[field].optional()]));
  const result = z.strictObject(shape).safeParse(runbook.params ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((issue) => describeIssue(issue, runbook.procedure, accepted));
    throw configError(issues);
  }
  const raw = result.data as Partial<Record<Field, unknown>>;
  const params: ClusterproParams = {
    package: raw.package as string,
    order: raw.order as string[] | undefined,
    batch: (raw.batch as number | undefined) ?? 1,
    kernelUpdate: (raw.kernelUpdate as boolean | undefined) ?? false,
    applicationsGate: (raw.applicationsGate as boolean | undefined) ?? false,
    restoreGroups: (raw.restoreGroups as boolean | undefined) ?? false,
    mirrorAutoRecovery: (raw.mirrorAutoRecovery as boolean | undefined) ?? true,
  };
  checkOrderAndBatch(params, runbook.nodes.map((node) => node.name), accepted.includes('batch'));
  return params;
}

/**
 * The order names every node exactly once; a batch leaves at least one server running the
 * groups. Only procedures that go batch by batch have one: a full stop of one server is fine.
 */
function checkOrderAndBatch(params: ClusterproParams, nodes: string[], batched: boolean): void {
  const issues: Array<[string, string]> = [];
  if (params.order !== undefined) {
    const unknown = params.order.filter((name) => !nodes.includes(name));
    const repeated = params.order.filter((name, index) => params.order?.indexOf(name) !== index);
    const missing = nodes.filter((name) => !params.order?.includes(name));
    if (unknown.length + repeated.length + missing.length > 0) {
      const problems = [unknown.length > 0 && `unknown ${unknown.join(', ')}`, repeated.length > 0 && `repeated ${repeated.join(', ')}`, missing.length > 0 && `missing ${missing.join(', ')}`];
      issues.push(['params.order', `${problems.filter(Boolean).join('; ')}: expected every node of the runbook exactly once (${nodes.join(', ')})`]);
    }
  }
  // CPRO-XL050-06 3.1.3.1 (1): a server's groups move to a server that stays up.
  if (batched && params.batch >= nodes.length && nodes.length > 0) {
    issues.push(['params.batch', `${params.batch} would take every server down at once (${nodes.length} nodes): expected at most ${Math.max(1, nodes.length - 1)}`]);
  }
  if (issues.length > 0) throw configError(issues);
}

function describeIssue(issue: z.core.$ZodIssue, procedure: string, accepted: readonly Field[]): [string, string] {
  if (issue.code === 'unrecognized_keys') {
    return [`params.${issue.keys[0] ?? ''}`, `${procedure} does not take ${issue.keys.join(', ')}: expected only ${accepted.join(', ')}`];
  }
  const field = ['params', ...issue.path.map(String)].join('.');
  return [field, issue.message];
}

function configError(issues: Array<[string, string]>): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', issues.map(([field, message]) => `${field}: ${message}`).join('\n'), { field: issues[0]?.[0] });
}
