// The small compiler from a CLUSTERPRO procedure (procedures.ts) to a plan (SPEC §4.1, §5.2):
// params checked, the preflight run, then each manual step becomes tasks on its nodes. Node
// steps with the same target share a stage; a change of target, or one of the manual's
// "confirm every server finished" barriers, gates or notices, starts the next stage — and
// every stage boundary is a barrier.
import { LockstepError } from '../../../shared/errors.js';
import type { ClusterFacts } from '../../plan/cluster-facts.js';
import { DEFAULT_STEP_TIMEOUT_MS, type NodeTask, type Plan } from '../../plan/plan.js';
import { StageBuilder } from '../../plan/stage-builder.js';
import { describeTask } from '../../plan/task-description.js';
import type { Runbook } from '../../runbook/runbook-schema.js';
import type { NodeStepKind } from '../../runbook/step-kinds.js';
import type { StepParams } from '../../runbook/step-params.js';
import { assertAvailable } from './availability.js';
import { loadBundle, quote, type Bundle, type WordingKey } from './bundle.js';
import { defaultOrder, placementOf, planMoves, type GroupPlacement } from './group-placement.js';
import type { Action, Condition, ManualStep, NodeStep, ProcedureDefinition, RollingStep, ServiceOrder } from './manual-step.js';
import { parseClusterproParams, type ClusterproParams } from './params.js';
import { preflight, type Refusal } from './preflight.js';

/** Everything a step compiles against; `batch` and `updated` change as a rolling update goes on. */
interface Scope {
  bundle: Bundle;
  params: ClusterproParams;
  nodes: string[];
  lead: string;
  replicator: boolean;
  /** The version every node has at the end (3.1.5). */
  finalVersion: string;
  order: string[];
  home: GroupPlacement;
  placement: GroupPlacement;
  updated: string[];
  batch: string[];
  /** The procedure stops the cluster by design: its shutdowns and reboots are planned downtime. */
  stopsCluster: boolean;
  /** The cluster's servers the runbook does not name, and those of them online (a move's targets). */
  others: string[];
  othersOnline: string[];
}

/** The steps that take a server out: with a procedure that stops the cluster, planned downtime. */
const TAKES_SERVERS_OUT: ReadonlySet<NodeStepKind> = new Set(['cluster.shutdown', 'server.shutdown', 'node.reboot']);

// Long waits that are part of the manual: a mirror resync copies the disk's differences.
const TIMEOUTS_MS: Partial<Record<NodeStepKind, number>> = { 'mirror.wait-green': 6 * 60 * 60_000, 'cluster.wait-healthy': 30 * 60_000 };

export function compileClusterpro(definition: ProcedureDefinition, runbook: Runbook, facts: ClusterFacts): Plan {
  const params = parseClusterproParams(runbook);
  const bundle = loadRunbookBundle(runbook);
  const { refusals, warnings } = preflight({ runbook, facts, bundle, procedure: definition });
  const lead = leadNode(runbook, facts, definition);
  if (lead === undefined) refusals.push({ rule: 'cluster-not-normal', message: 'no node is both reachable and online in the cluster to run the single-server steps' });
  if (refusals.length > 0 || lead === undefined) throw preflightError(definition, refusals);
  const nodes = runbook.nodes.map((node) => node.name);
  const home = placementOf(facts.cluster);
  const scope: Scope = {
    bundle,
    params,
    nodes,
    lead,
    replicator: facts.mirrors.length > 0,
    finalVersion: finalVersion(definition, bundle, facts),
    order: params.order ?? defaultOrder(nodes, home),
    home,
    placement: new Map(home),
    updated: [],
    batch: [],
    stopsCluster: definition.stopsCluster,
    others: (facts.cluster?.servers ?? []).filter((server) => !nodes.includes(server.name)).map((server) => server.name),
    othersOnline: (facts.cluster?.servers ?? []).filter((server) => !nodes.includes(server.name) && server.state === 'online').map((server) => server.name),
  };
  const output = new StageBuilder();
  for (const step of definition.steps) emit(step, scope, output);
  const plan: Plan = {
    cluster: runbook.cluster,
    procedure: definition.name,
    nodes: runbook.nodes.map(({ name, address }) => ({ name, address })),
    lead,
    stages: output.stages,
    warnings,
  };
  // SPEC §5.2: a rolling update keeps every group running; a plan that does not is a compiler bug.
  if (definition.steps.some(isRolling)) assertAvailable(plan, home, params.batch);
  return plan;
}

/** The bundle the runbook names; every CLUSTERPRO procedure needs one (SPEC §6.1). */
export function loadRunbookBundle(runbook: Runbook): Bundle {
  if (runbook.bundle === undefined) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `bundle: ${runbook.procedure} needs the update bundle, e.g. "bundle: CPRO-XL050-06"`, { field: 'bundle' });
  }
  return loadBundle(runbook.bundle);
}

/**
 * SPEC §5.2: the first node, in the runbook's order, that answers and is online in the cluster.
 * A full stop of part of the cluster (the rollback of a run stopped while its servers were out
 * of the cluster) runs nothing on the lead before its servers rejoin: any node that answers.
 */
function leadNode(runbook: Runbook, facts: ClusterFacts, definition: ProcedureDefinition): string | undefined {
  const online = (name: string): boolean => facts.cluster === undefined || facts.cluster.servers.some((server) => server.name === name && server.state === 'online');
  const reachable = runbook.nodes.map((node) => node.name).filter((name) => facts.nodes.some((node) => node.name === name && node.reachable));
  const partOfCluster = (facts.cluster?.servers ?? []).some((server) => !runbook.nodes.some((node) => node.name === server.name));
  return reachable.find(online) ?? (partOfCluster && !definition.needsNormalCluster ? reachable[0] : undefined);
}

function preflightError(definition: ProcedureDefinition, refusals: Refusal[]): LockstepError {
  const lines = refusals.map((refusal) => `  - [${refusal.rule}] ${refusal.message}`);
  return new LockstepError('LOCKSTEP_E_PREFLIGHT', `${definition.name} refused by the preflight (nothing was started):\n${lines.join('\n')}`);
}

/** The target, or for section 6 the older rpm's version (the preflight made sure every node has the same). */
function finalVersion(definition: ProcedureDefinition, bundle: Bundle, facts: ClusterFacts): string {
  if (definition.packageAction !== 'downgrade') return bundle.target;
  const file = facts.nodes.map((node) => node.packageFile).find((each) => each !== undefined && 'package' in each);
  if (file === undefined || !('package' in file)) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'the preflight passed a downgrade without a package file');
  return `${file.package.version}-${file.package.release}`;
}

function emit(step: ManualStep, scope: Scope, output: StageBuilder): void {
  if (isRolling(step)) return emitRolling(step, scope, output);
  if (step.when !== undefined && !holds(step.when, scope)) return;
  if ('on' in step) return emitNodeStep(step, scope, output);
  const id = scoped(step.id, scope);
  if ('barrier' in step) output.addStage({ type: 'barrier', id, confirm: false, message: cite(scope, step.barrier, step.section) });
  else if ('gate' in step) output.addStage({ type: 'gate', id, message: cite(scope, step.gate, step.section) });
  else output.addStage({ type: 'notice', id, message: cite(scope, step.notice, step.section) });
}

/** 3.1.3: each batch in order, a safe point between batches (SPEC §4.4), 3.1.3.3 after the first. */
function emitRolling(step: RollingStep, scope: Scope, output: StageBuilder): void {
  output.rolling(
    scope.order,
    scope.params.batch,
    (batch) => `safe-point@${batch.join('+')}`,
    (batch, index) => {
      scope.batch = batch;
      for (const each of step.eachBatch) emit(each, scope, output);
      scope.updated = [...scope.updated, ...scope.batch];
      scope.batch = [];
      if (index === 0) for (const each of step.afterFirstBatch) emit(each, scope, output);
    },
  );
}

function emitNodeStep(step: NodeStep, scope: Scope, output: StageBuilder): void {
  const lanes = lanesOf(step, scope);
  if (Object.keys(lanes).length === 0) return;
  const target = step.on === 'group-hosts' ? `moves:${step.id}` : `${step.on}:${scope.batch.join('+')}`;
  output.addTasks(target, scoped(step.id, scope), lanes);
}

function lanesOf(step: NodeStep, scope: Scope): Record<string, NodeTask[]> {
  const id = scoped(step.id, scope);
  if (step.do.kind === 'group.move') {
    const lanes: Record<string, NodeTask[]> = {};
    const offRunbook = step.do.placement === 'off-runbook';
    const moves = planMoves(step.do.placement, scope.placement, scope.home, { order: scope.order, updated: scope.updated, batch: offRunbook ? scope.nodes : scope.batch, others: scope.othersOnline });
    // CPRO-XL050-06 3.1.3.1 (1): clpgrp runs on the server the group leaves.
    for (const move of moves) (lanes[move.from] ??= []).push(task(`${id}:${move.group}`, 'group.move', { group: move.group, to: move.to }));
    return lanes;
  }
  const targets = step.on === 'all' ? scope.nodes : step.on === 'one' ? [scope.lead] : scope.batch;
  const planned = scope.stopsCluster && TAKES_SERVERS_OUT.has(step.do.kind);
  const params = { ...actionParams(step.do, scope), ...(planned && { plannedDowntime: true }) };
  // A node is in one batch only, so on the batch's own nodes the node names the task already.
  const taskId = step.on === 'batch' ? step.id : id;
  return Object.fromEntries(targets.map((node) => [node, [task(taskId, step.do.kind, params)]]));
}

function actionParams(action: Action, scope: Scope): Omit<StepParams, 'timeoutMs'> {
  switch (action.kind) {
    case 'service.disable':
    case 'service.enable':
    case 'service.stop':
    case 'service.start':
      return { services: services(action.services, scope.bundle) };
    case 'package.install':
    case 'package.upgrade':
      return { package: scope.params.package };
    case 'package.downgrade':
      return { package: scope.params.package, force: action.force };
    case 'mirror.wait-green':
      // CPRO-XL050-06 3.1.3.2 (1): without automatic mirror recovery, recover every mirror by hand.
      return { recover: !scope.params.mirrorAutoRecovery };
    case 'verify.package-version':
      return { name: scope.bundle.product.package, version: scope.finalVersion };
    default:
      return {};
  }
}

/** The bundle's service list in the manual's stop order, or reversed: the start order (3.1.2 (8), 3.1.4 (6)). */
function services(order: ServiceOrder, bundle: Bundle): string[] {
  const [list, direction] = order.split('.') as ['autoStart' | 'nonstop', 'stop' | 'start'];
  const stopOrder = bundle.services[list].stopOrder;
  return direction === 'stop' ? [...stopOrder] : [...stopOrder].reverse();
}

function task(stepId: string, kind: NodeStepKind, params: Omit<StepParams, 'timeoutMs'>): NodeTask {
  const full: StepParams = { ...params, timeoutMs: TIMEOUTS_MS[kind] ?? DEFAULT_STEP_TIMEOUT_MS };
  return { stepId, kind, params: full, description: describeTask(kind, full) };
}

function holds(condition: Condition, scope: Scope): boolean {
  switch (condition) {
    case 'replicator':
      return scope.replicator;
    case 'wholeCluster':
      return scope.others.length === 0;
    case 'partOfCluster':
      return scope.others.length > 0;
    default:
      return scope.params[condition];
  }
}

/** Inside a rolling batch, ids carry the batch's servers: stage ids stay unique within the plan, and so do the ids of tasks on nodes outside the batch. */
function scoped(id: string, scope: Scope): string {
  return scope.batch.length === 0 ? id : `${id}@${scope.batch.join('+')}`;
}

function cite(scope: Scope, key: WordingKey, section: string): string {
  return quote(scope.bundle, { ...scope.bundle.wording[key], section });
}

function isRolling(step: ManualStep): step is RollingStep {
  return 'eachBatch' in step;
}
