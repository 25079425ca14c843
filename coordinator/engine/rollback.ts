// SPEC §5.5: `lockstep rollback RUN` compiles the procedure's inverse for the nodes that
// changed and starts it as a new run. For CLUSTERPRO that is clusterpro/downgrade (the
// manual's section 6) back to the version each node had, read from the agents' journals.
import { basename, dirname, join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { PackageInfo } from '../../shared/domain/package.js';
import { LockstepError } from '../../shared/errors.js';
import type { RunRow, TaskRow } from '../store/run-store.js';
import type { RunAgents } from './run-agents.js';

/** The procedure that undoes each built-in procedure. */
const INVERSES: Readonly<Record<string, string>> = {
  'clusterpro/install': 'clusterpro/downgrade',
  'clusterpro/update': 'clusterpro/downgrade',
  'clusterpro/rolling-update': 'clusterpro/downgrade',
  'clusterpro/nonstop-update': 'clusterpro/downgrade',
};

const PACKAGE_KINDS = new Set(['package.install', 'package.upgrade']);

/** Whether `lockstep rollback` can undo a run of this procedure (a blocker offers it then). */
export function hasInverse(procedure: string): boolean {
  return INVERSES[procedure] !== undefined;
}

export interface RollbackPlanInput {
  run: RunRow;
  tasks: TaskRow[];
  pool: RunAgents;
}

/** The runbook text of the inverse run. Throws LOCKSTEP_E_UNSUPPORTED when there is none. */
export async function rollbackRunbook({ run, tasks, pool }: RollbackPlanInput): Promise<string> {
  const inverse = INVERSES[run.procedure];
  if (inverse === undefined) {
    throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `run ${run.id} used ${run.procedure}, which has no inverse procedure: undo it with a runbook of your own`);
  }
  const changes = await changedNodes(run, tasks, pool);
  if (changes.length === 0) throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `run ${run.id} changed no package on any node: there is nothing to roll back`);
  const targets = new Set(changes.map((change) => `${change.before.version}-${change.before.release}`));
  if (targets.size > 1) {
    throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `the nodes of run ${run.id} had different versions before it (${changes.map((c) => `${c.node} ${c.before.version}-${c.before.release}`).join(', ')}): roll them back with one runbook per version`);
  }
  const runbook = parseYaml(run.runbookYaml) as { nodes: Array<{ name: string }>; params?: Record<string, unknown> } & Record<string, unknown>;
  const changed = new Set(changes.map((change) => change.node));
  const first = changes[0] as NodeChange;
  return stringify({
    ...runbook,
    procedure: inverse,
    nodes: runbook.nodes.filter((node) => changed.has(node.name)),
    params: { package: olderPackagePath(first) },
  });
}

interface NodeChange {
  node: string;
  before: PackageInfo;
  after: PackageInfo;
  path: string;
}

/** Nodes whose package transaction ran (per their agent's journal) and left a different version. */
async function changedNodes(run: RunRow, tasks: TaskRow[], pool: RunAgents): Promise<NodeChange[]> {
  const applied = tasks.filter((task) => PACKAGE_KINDS.has(task.kind) && task.opId !== '');
  const changes = await Promise.all(
    applied.map(async (task): Promise<NodeChange | undefined> => {
      const operation = await pool.client(task.node).getOperation(task.opId);
      const change = operation.result.packageChange;
      if (change === undefined || !change.before.installed) return undefined;
      const path = (run.plan.stages.flatMap((stage) => (stage.type === 'tasks' ? (stage.lanes[task.node] ?? []) : [])).find((t) => t.stepId === task.stepId)?.params.package) ?? '';
      return change.after.version !== change.before.version || change.after.release !== change.before.release ? { node: task.node, ...change, path } : undefined;
    }),
  );
  return changes.filter((change): change is NodeChange => change !== undefined);
}

/** The older package sits beside the newer one under the vendor's name for its version. */
function olderPackagePath(change: NodeChange): string {
  const newer = `${change.after.version}-${change.after.release}`;
  const older = `${change.before.version}-${change.before.release}`;
  return join(dirname(change.path), basename(change.path).replace(newer, older));
}
