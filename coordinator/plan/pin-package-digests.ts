// A plan installs the package files the preflight read, byte for byte (docs/security.md §2):
// each package task carries the sha256 its node reported for the file, so the digest is part
// of the plan and its hash, and the agent refuses a file that changed between plan and apply.
import { LockstepError } from '../../shared/errors.js';
import type { Runbook } from '../runbook/runbook-schema.js';
import type { ClusterFacts } from './cluster-facts.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { NodeTask, Plan, Stage } from './plan.js';

const FILE_KINDS: ReadonlySet<NodeStepKind> = new Set(['package.install', 'package.upgrade', 'package.downgrade']);

/** The package files a custom runbook's steps install: what the preflight must read on every node. */
export function runbookPackageFiles(runbook: Runbook): string[] {
  const paths = (runbook.steps ?? []).filter((step) => FILE_KINDS.has(step.kind as NodeStepKind)).map((step) => step.with.package);
  return [...new Set(paths.filter((path): path is string => path !== undefined))];
}

/** The plan with every package task's `sha256` set from its node's facts; LOCKSTEP_E_PREFLIGHT when a node could not read its file. */
export function pinPackageDigests(plan: Plan, facts: ClusterFacts): Plan {
  const digests = new Map(facts.nodes.map((node) => [node.name, node.packageDigests ?? {}]));
  const unread: string[] = [];
  const pin = (node: string, task: NodeTask): NodeTask => {
    const path = task.params.package;
    if (!FILE_KINDS.has(task.kind) || path === undefined) return task;
    const read = digests.get(node)?.[path];
    if (read !== undefined && 'sha256' in read) return { ...task, params: { ...task.params, sha256: read.sha256 } };
    unread.push(`  - [package-missing] ${node}: ${path} cannot be read on this node (${read?.missing ?? 'not inspected'})`);
    return task;
  };
  const stages = plan.stages.map((stage): Stage => {
    if (stage.type !== 'tasks') return stage;
    return { ...stage, lanes: Object.fromEntries(Object.entries(stage.lanes).map(([node, tasks]) => [node, tasks.map((task) => pin(node, task))])) };
  });
  if (unread.length > 0) {
    throw new LockstepError('LOCKSTEP_E_PREFLIGHT', `the package files could not be read, so they cannot be pinned by digest (nothing was started):\n${[...new Set(unread)].join('\n')}`);
  }
  return { ...plan, stages };
}
