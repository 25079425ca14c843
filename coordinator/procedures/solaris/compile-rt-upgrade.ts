// The procedure `solaris-cluster/rt-upgrade` (SPEC §5.3, seed 004 table 3-1): one row of the
// table, chosen by `params.change`, compiled into a plan against what the nodes reported —
// the resources of the type with their Type_version and state, the resource groups, and the
// new RTR file as the package installs it. The migration runs under the stricter of the row's
// Tunable and the RTR's (the seed: a developer may need a stricter Tunable than the example),
// and every step cites the seed's words.
import { basename, dirname, isAbsolute, normalize } from 'node:path';
import { z } from 'zod';
import { stricterTunable, type Tunable } from '../../../shared/domain/solaris.js';
import { LockstepError } from '../../../shared/errors.js';
import { DEFAULT_STEP_TIMEOUT_MS, type NodeTask, type Plan } from '../../plan/plan.js';
import { StageBuilder } from '../../plan/stage-builder.js';
import { describeTask } from '../../plan/task-description.js';
import type { Runbook } from '../../runbook/runbook-schema.js';
import type { NodeStepKind } from '../../runbook/step-kinds.js';
import type { StepParams } from '../../runbook/step-params.js';
import { RT_CHANGE_ROWS, RT_CHANGES, type RtChange, type RtStep } from './rt-change-rows.js';
import { chooseTunable, parseRtr, registeredTypeName, rtrTunableFor, type RtrFile } from '../../../shared/solaris-rtr.js';

export const RT_UPGRADE = 'solaris-cluster/rt-upgrade';

export interface RtUpgradeParams {
  type: string;
  /** The new package (an SVR4 package directory), the same path on every node. */
  package: string;
  pkg: string;
  /** The new RTR file as the package installs it. */
  rtr: string;
  change: RtChange;
  /** Default: every resource of the type. */
  resources: string[] | undefined;
}

/** A resource of the type as the preflight read it. */
export interface RtResourceFacts {
  name: string;
  typeVersion: string;
  group: string;
  /** Resources this one depends on (Resource_dependencies). */
  dependsOn: string[];
}

export interface RtUpgradeFacts {
  /** Nodes in the cluster (clnode status Online), in the runbook's order. */
  clusterNodes: string[];
  resources: RtResourceFacts[];
  /** The new RTR file's text as each node's package holds it. */
  rtrText: Record<string, string>;
  /** Why a node's package could not give it, by node. */
  rtrUnread?: Record<string, string>;
}

const name = z.string({ error: 'expected a name' }).regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { error: 'expected a name of letters, digits, ".", "_", ":" or "-"' });
const absolute = (what: string) =>
  z.string({ error: `expected the absolute path of ${what}` }).refine((path) => isAbsolute(path) && normalize(path) === path, { error: `expected the absolute, normalised path of ${what}` });

const PARAMS = z.strictObject(
  {
    type: name,
    package: absolute('the package directory on every node'),
    pkg: name,
    rtr: absolute('the new RTR file'),
    change: z.enum(RT_CHANGES, { error: `expected one of ${RT_CHANGES.join(', ')}` }),
    resources: z.array(name, { error: 'expected a list of resource names' }).min(1).optional(),
  },
  { error: 'expected a map with type, package, pkg, rtr, change and resources' },
);

export function parseRtUpgradeParams(runbook: Runbook): RtUpgradeParams {
  const parsed = PARAMS.safeParse(runbook.params ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['params', ...(issue?.path ?? []).map(String)].join('.');
    const message = issue?.code === 'unrecognized_keys' ? `does not apply to ${RT_UPGRADE} (it takes type, package, pkg, rtr, change, resources)` : (issue?.message ?? 'is invalid');
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${field}: ${message}`, { field });
  }
  return { ...parsed.data, resources: parsed.data.resources };
}

/** The steps a Tunable needs around the migration (down before, up after), in order. */
const WRAP: Record<Exclude<Tunable, 'ANYTIME' | 'AT_CREATION'>, { down: RtStep[]; up: RtStep[] }> = {
  WHEN_UNMONITORED: { down: ['unmonitor'], up: ['monitor'] },
  WHEN_OFFLINE: { down: ['offline'], up: ['online'] },
  WHEN_DISABLED: { down: ['disable'], up: ['enable'] },
  WHEN_UNMANAGED: { down: ['unmanage'], up: ['manage'] },
};

/** What each step's presence already satisfies (disabling also takes the resource offline and unmonitored). */
const SATISFIES: Partial<Record<RtStep, Tunable[]>> = {
  unmonitor: ['WHEN_UNMONITORED'],
  offline: ['WHEN_UNMONITORED', 'WHEN_OFFLINE'],
  disable: ['WHEN_UNMONITORED', 'WHEN_OFFLINE', 'WHEN_DISABLED'],
  unmanage: ['WHEN_UNMONITORED', 'WHEN_OFFLINE', 'WHEN_DISABLED', 'WHEN_UNMANAGED'],
};

interface Scope {
  params: RtUpgradeParams;
  rtr: RtrFile;
  lead: string;
  nodes: string[];
  resources: RtResourceFacts[];
  groups: string[];
}

export function compileRtUpgrade(runbook: Runbook, facts: RtUpgradeFacts): Plan {
  const params = parseRtUpgradeParams(runbook);
  const row = RT_CHANGE_ROWS[params.change];
  const nodes = runbook.nodes.map((node) => node.name);
  const refusals: string[] = [];
  const absent = nodes.filter((node) => !facts.clusterNodes.includes(node));
  if (absent.length > 0) refusals.push(`node(s) ${absent.join(', ')} are not in the cluster (clnode status); every node must be Online before a resource-type upgrade`);
  const rtr = sameRtrEverywhere(params, facts, nodes);
  if (`${rtr.vendorId}.${rtr.resourceType}` !== params.type && rtr.resourceType !== params.type) {
    refusals.push(`${params.rtr} registers type ${registeredTypeName(rtr)}, not ${params.type}`);
  }
  const ofType = facts.resources;
  const wanted = params.resources ?? ofType.map((resource) => resource.name);
  const unknown = wanted.filter((wantedName) => !ofType.some((resource) => resource.name === wantedName));
  if (unknown.length > 0) refusals.push(`the cluster has no resource ${unknown.join(', ')} of type ${params.type} (it has: ${ofType.map((resource) => resource.name).join(', ') || 'none'})`);
  if (wanted.length === 0 && row.tunable !== null) refusals.push(`the cluster has no resource of type ${params.type} to migrate`);
  if (refusals.length > 0) throw new LockstepError('LOCKSTEP_E_PREFLIGHT', `${RT_UPGRADE} refused: ${refusals.join('; ')}`);

  const resources = orderByDependencies(ofType.filter((resource) => wanted.includes(resource.name)));
  const warnings: string[] = [];
  let tunable: Tunable | null = row.tunable;
  if (row.tunable !== null) {
    for (const resource of resources) {
      const chosen = chooseTunable(row.tunable, rtrTunableFor(rtr, resource.typeVersion), resource.name);
      warnings.push(`${resource.name} (Type_version ${resource.typeVersion}): ${chosen.tunable}, because ${chosen.why}`);
      tunable = tunable === null ? chosen.tunable : stricterTunable(tunable, chosen.tunable);
    }
  }
  const steps = withTunable(row.steps.map((entry) => entry.step), tunable);
  const scope: Scope = { params, rtr, lead: nodes[0] as string, nodes, resources, groups: [...new Set(resources.map((resource) => resource.group))] };
  const output = new StageBuilder();
  for (const step of steps) emit(step, scope, output, seedFor(params.change, step));
  const unavailable = steps.filter((step) => ['offline', 'disable', 'unmanage'].includes(step));
  if (unavailable.length > 0) {
    warnings.push(`planned unavailability: resources ${resources.map((resource) => resource.name).join(', ')} stop serving from "${unavailable[0]}" until the matching step after the migration (table 3-1, ${row.change})`);
  }
  return { cluster: runbook.cluster, procedure: RT_UPGRADE, nodes: runbook.nodes.map(({ name: node, address }) => ({ name: node, address })), lead: scope.lead, stages: output.stages, warnings };
}

/** The row's steps, with the migration wrapped in what a stricter Tunable needs when the row's own steps do not already satisfy it. */
export function withTunable(steps: RtStep[], tunable: Tunable | null): RtStep[] {
  if (tunable === null || tunable === 'ANYTIME' || tunable === 'AT_CREATION') return steps;
  const migrate = steps.indexOf('migrate');
  const satisfied = steps.slice(0, migrate).some((step) => SATISFIES[step]?.includes(tunable));
  if (satisfied) return steps;
  const wrap = WRAP[tunable];
  return [...steps.slice(0, migrate), ...wrap.down, 'migrate', ...wrap.up, ...steps.slice(migrate + 1)];
}

/** A step the stricter Tunable adds: not the table's, so not cited as the table's. */
const ADDED = 'added for';
const ADDED_FOR: Partial<Record<RtStep, Tunable>> = {
  unmonitor: 'WHEN_UNMONITORED',
  monitor: 'WHEN_UNMONITORED',
  offline: 'WHEN_OFFLINE',
  online: 'WHEN_OFFLINE',
  disable: 'WHEN_DISABLED',
  enable: 'WHEN_DISABLED',
  unmanage: 'WHEN_UNMANAGED',
  manage: 'WHEN_UNMANAGED',
};

function seedFor(change: RtChange, step: RtStep): string {
  return RT_CHANGE_ROWS[change].steps.find((entry) => entry.step === step)?.seed ?? `${ADDED} ${ADDED_FOR[step] ?? step}, stricter than table 3-1's example for this row`;
}

function emit(step: RtStep, scope: Scope, output: StageBuilder, seed: string): void {
  const { params, rtr, lead, nodes, resources, groups } = scope;
  const one = (id: string, tasks: NodeTask[]): void => {
    output.addTasks(`one:${id}`, id, { [lead]: tasks });
    output.addStage({ type: 'barrier', id: `${id}-done`, confirm: false, message: seed });
  };
  const each = (kind: NodeStepKind, values: Array<Omit<StepParams, 'timeoutMs'>>): NodeTask[] => values.map((value, index) => task(`${step}-${index + 1}`, kind, value, seed));
  const reversed = [...resources].reverse();
  switch (step) {
    case 'unmonitor':
      return one('unmonitor', each('resource.unmonitor', resources.map((resource) => ({ resource: resource.name }))));
    case 'monitor':
      return one('monitor', each('resource.monitor', resources.map((resource) => ({ resource: resource.name }))));
    case 'disable':
      // Dependents first: Solaris Cluster refuses to disable a resource an enabled resource depends on.
      return one('disable', each('resource.disable', resources.map((resource) => ({ resource: resource.name }))));
    case 'enable':
      return one('enable', each('resource.enable', reversed.map((resource) => ({ resource: resource.name }))));
    case 'offline':
      return one('offline', each('rg.offline', groups.map((group) => ({ resourceGroup: group }))));
    case 'online':
      return one('online', each('rg.online', groups.map((group) => ({ resourceGroup: group }))));
    case 'unmanage':
      // A group must be offline before it can be unmanaged.
      return one('unmanage', [
        ...groups.map((group, index) => task(`rg-offline-${index + 1}`, 'rg.offline', { resourceGroup: group }, seed)),
        ...groups.map((group, index) => task(`rg-unmanage-${index + 1}`, 'rg.unmanage', { resourceGroup: group }, seed)),
      ]);
    case 'manage':
      return one('manage', [
        ...groups.map((group, index) => task(`rg-manage-${index + 1}`, 'rg.manage', { resourceGroup: group }, seed)),
        ...groups.map((group, index) => task(`rg-online-${index + 1}`, 'rg.online', { resourceGroup: group }, seed)),
      ]);
    case 'register':
      return one('register', [task('register', 'rt.register', { resourceType: params.type, rtrPath: params.rtr }, seed)]);
    case 'migrate':
      return one('migrate', each('resource.migrate', resources.map((resource) => ({ resource: resource.name, typeVersion: rtr.rtVersion }))));
    case 'pkgadd-all':
      output.addTasks('all:pkgadd', 'pkgadd', Object.fromEntries(nodes.map((node) => [node, [task('pkgadd', 'package.install', { package: params.package }, seed)]])));
      output.addStage({ type: 'barrier', id: 'pkgadd-done', confirm: false, message: seed });
      return;
    case 'rolling-pkgrm-pkgadd':
    case 'rolling-pkgadd':
      output.rolling(nodes, 1, (batch) => `before-${batch[0]}`, (batch) => {
        const node = batch[0] as string;
        const tasks: NodeTask[] = [
          task('evacuate', 'node.evacuate', {}, seed),
          task('leave-cluster', 'node.leave-cluster', {}, seed),
          ...(step === 'rolling-pkgrm-pkgadd' ? [task('pkgrm', 'package.remove', { name: params.pkg }, seed)] : []),
          task('pkgadd', 'package.install', { package: params.package }, seed),
          task('rejoin-cluster', 'node.rejoin-cluster', {}, seed),
        ];
        output.addTasks(`rolling:${node}`, `rolling:${node}`, { [node]: tasks });
        output.addStage({ type: 'barrier', id: `rolling:${node}-done`, confirm: false, message: seed });
      });
      return;
  }
}

/**
 * Table 3-1 takes these resource groups down by design: planned downtime, which the
 * availability proof lists (from which step to which) rather than refuses.
 */
const TAKES_GROUP_DOWN: ReadonlySet<NodeStepKind> = new Set(['rg.offline', 'rg.unmanage']);

function task(stepId: string, kind: NodeStepKind, params: Omit<StepParams, 'timeoutMs'>, seed: string): NodeTask {
  const full: StepParams = { ...params, ...(TAKES_GROUP_DOWN.has(kind) && { plannedDowntime: true }), timeoutMs: DEFAULT_STEP_TIMEOUT_MS };
  const cited = seed.startsWith(ADDED) ? seed : `表 3-1: ${seed}`;
  return { stepId, kind, params: full, description: `${svr4Words(kind, full) ?? describeTask(kind, full)} — ${cited}` };
}

/** The package steps in the words of the SVR4 tools the Solaris agent runs (describeTask speaks rpm). */
function svr4Words(kind: NodeStepKind, params: StepParams): string | undefined {
  if (kind === 'package.install' && params.package !== undefined) return `pkgadd -d ${dirname(params.package)} ${basename(params.package)}`;
  if (kind === 'package.remove' && params.name !== undefined) return `pkgrm ${params.name}`;
  return undefined;
}

/** Every node must hold the same RTR: a type registered from one node's file must match what every node runs. */
function sameRtrEverywhere(params: RtUpgradeParams, facts: RtUpgradeFacts, nodes: string[]): RtrFile {
  const missing = nodes.filter((node) => facts.rtrText[node] === undefined);
  if (missing.length > 0) {
    const why = missing.map((node) => (facts.rtrUnread?.[node] === undefined ? node : `${node} (${facts.rtrUnread[node]})`));
    throw new LockstepError('LOCKSTEP_E_PREFLIGHT', `${RT_UPGRADE} refused: ${params.rtr} could not be read from the package on ${why.join(', ')}; a type cannot be registered before its RTR file exists on every node`);
  }
  const texts = new Set(nodes.map((node) => facts.rtrText[node]));
  if (texts.size > 1) throw new LockstepError('LOCKSTEP_E_PREFLIGHT', `${RT_UPGRADE} refused: the nodes' packages hold different ${params.rtr} files; use the same package on every node`);
  return parseRtr(facts.rtrText[nodes[0] as string] as string, params.rtr);
}

/** Dependents before what they depend on (the order to disable in); a cycle keeps the given order. */
function orderByDependencies(resources: RtResourceFacts[]): RtResourceFacts[] {
  const names = new Set(resources.map((resource) => resource.name));
  const ordered: RtResourceFacts[] = [];
  const placed = new Set<string>();
  const dependents = (target: string): RtResourceFacts[] => resources.filter((resource) => resource.dependsOn.includes(target));
  const visit = (resource: RtResourceFacts, path: Set<string>): void => {
    if (placed.has(resource.name) || path.has(resource.name)) return;
    path.add(resource.name);
    for (const dependent of dependents(resource.name)) if (names.has(dependent.name)) visit(dependent, path);
    path.delete(resource.name);
    if (!placed.has(resource.name)) {
      placed.add(resource.name);
      ordered.push(resource);
    }
  };
  for (const resource of resources) visit(resource, new Set());
  return ordered;
}
