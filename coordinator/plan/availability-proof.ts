// The availability proof (issue 16): every plan — built-in or custom, on CLUSTERPRO or on
// Solaris Cluster — is walked stage by stage from the preflight's facts (one ClusterModel,
// cluster-model.ts), following which servers are in the cluster, where each group (Solaris:
// resource group) can run and which mirror copies are up to date, through what each step does
// to the cluster (step-effects.ts). A stage that can leave a running group with no server to
// run on, or a mirror with no up-to-date copy online, is refused — unless the tasks that cause
// it carry planned downtime (`downtime: planned`, or a procedure that takes the service down by
// design), in which case the downtime is reported per group and mirror, from which step to
// which step.
//
// Assumptions: a group can run on a server of its node list (CLUSTERPRO: any server, clpstat
// does not print the failover policy) that is in the cluster and whose copies of the group's
// mirror disks are GREEN — the agent's veto counts the same way. The lanes of a stage run in
// parallel, so every server a stage takes out counts as out at once. A server's copy is up to
// date again only after a mirror.wait-green that ran once it was back; a failover is over only
// after a cluster.wait-healthy ordered after it (later in the same lane, or a later stage); a
// server a stage brings back may be taken out by the same stage; a cluster that one lane
// suspends and another resumes may end the stage suspended; a rebooted server
// rejoins only if its cluster services start at boot (a service.disable before it keeps it
// out, 3.1.3.1 (2)); a node in non-cluster mode only with node.rejoin-cluster.
import type { ClusterStatus, MirrorStatus } from '../../shared/domain/cluster.js';
import { LockstepError } from '../../shared/errors.js';
import type { ClusterFacts } from './cluster-facts.js';
import { clusterModel, type ClusterModel } from './cluster-model.js';
import type { NodeTask, Plan, Stage } from './plan.js';
import { groupOf, taskEffect, type StepEffect } from './step-effects.js';

type TasksStage = Extract<Stage, { type: 'tasks' }>;

export interface ProofStart {
  cluster: ClusterStatus;
  mirrors: readonly MirrorStatus[];
}

export interface AvailabilityProof {
  /** Unplanned breaches, one line each, naming the stage, the group or mirror and the servers. */
  refusals: string[];
  /** Planned downtime, one line per group or mirror: from which step to which step. */
  downtime: string[];
}

interface Located {
  node: string;
  task: NodeTask;
  effect: StepEffect | undefined;
}

interface Outage {
  /** "group failover1", "resource group app-rg1", "mirror md1". */
  subject: string;
  what: 'group' | 'mirror';
  name: string;
  fromStep: string;
  planned: boolean;
  /** The tasks of the stage that opened it not yet applied: it cannot end before they have run. */
  pending: Set<NodeTask>;
}

class ClusterWalk {
  readonly servers: string[];
  readonly up: Set<string>;
  readonly noAutoStart = new Set<string>();
  suspended: boolean;
  readonly nouns = new Map<string, string>();
  /** group → the servers it may run on, most preferred first. */
  readonly nodeLists = new Map<string, string[]>();
  /** group → the servers it may be running on now (empty: nowhere). */
  readonly placement = new Map<string, Set<string>>();
  readonly groupMirrors = new Map<string, string[]>();
  /** mirror → the servers whose copy is up to date. */
  readonly fresh = new Map<string, Set<string>>();
  /**
   * Groups that may still be failing over, and the servers they left: a failover does not go
   * back to the server it left, and nothing says it is over before a cluster.wait-healthy.
   */
  readonly failingOver = new Map<string, Set<string>>();
  /** Groups stopped on purpose (group.stop, rg.offline): not restarted by a server joining. */
  readonly stopped = new Set<string>();
  /** Outages open now, by subject. */
  readonly open = new Map<string, Outage>();

  constructor(model: ClusterModel) {
    this.servers = model.servers;
    this.up = new Set(model.up);
    this.suspended = model.suspended;
    for (const group of model.groups) {
      this.nouns.set(group.name, group.noun);
      this.nodeLists.set(group.name, group.nodeList);
      this.placement.set(group.name, new Set(group.runningOn === null ? [] : [group.runningOn]));
      this.groupMirrors.set(group.name, group.mirrors);
    }
    for (const mirror of model.mirrors) this.fresh.set(mirror.name, new Set(mirror.upToDate));
  }

  subject(group: string): string {
    return `${this.nouns.get(group) ?? 'group'} ${group}`;
  }

  /**
   * Where a group that fails over, is evacuated or starts by itself may end up: any server of
   * `available` in its node list when one of them can run it (a copy resyncing by itself may be
   * GREEN by then: the cluster's choice is not known), nowhere when none can.
   */
  mayGoTo(group: string, available: ReadonlySet<string>): Set<string> {
    const nodeList = this.nodeLists.get(group) ?? this.servers;
    return new Set(this.hosts(group, available).length > 0 ? nodeList.filter((server) => available.has(server)) : []);
  }

  mayRun(group: string): Set<string> {
    return this.mayGoTo(group, this.up);
  }

  /** Servers in `available` that can run the group: in its node list, every mirror of it up to date there, and not a server it is failing over from. */
  hosts(group: string, available: ReadonlySet<string>): string[] {
    const mirrors = this.groupMirrors.get(group) ?? [];
    const left = this.failingOver.get(group);
    const nodeList = this.nodeLists.get(group) ?? this.servers;
    return nodeList.filter((server) => available.has(server) && !left?.has(server) && mirrors.every((mirror) => this.fresh.get(mirror)?.has(server)));
  }
}

/** Walks the plan from the preflight's cluster state; see the file's header for what it assumes. */
export function proveAvailability(stages: readonly Stage[], start: ProofStart): AvailabilityProof {
  const walk = new ClusterWalk(clusterModel(start.cluster, start.mirrors));
  const proof: AvailabilityProof = { refusals: [], downtime: [] };
  for (const stage of stages) {
    if (stage.type !== 'tasks') continue;
    const leaving = checkStage(stage, walk, proof);
    applyStage(stage, walk, proof, leaving);
  }
  for (const outage of walk.open.values()) closeOutage(proof, outage, 'the end of the plan');
  return proof;
}

function tasksOf(stage: TasksStage): Located[] {
  return Object.entries(stage.lanes).flatMap(([node, tasks]) => tasks.map((task) => ({ node, task, effect: taskEffect(task) })));
}

/** The servers a task takes out of the cluster, of those in it (`present`: now, or at some moment of the stage). */
function leavers(walk: ClusterWalk, { node, effect }: Located, present: ReadonlySet<string> = walk.up): string[] {
  if (effect?.kind !== 'leave') return [];
  if (effect.servers === 'all') return walk.servers.filter((server) => present.has(server));
  return present.has(node) ? [node] : [];
}

/** Servers out of the cluster that a task of the stage may bring in (a rejoin, a boot): another of its tasks may take them out again. */
function joiners(walk: ClusterWalk, located: readonly Located[]): string[] {
  return located.flatMap(({ node, effect }) => {
    if (effect?.kind === 'join') return walk.servers.includes(node) ? [node] : [];
    if (effect?.kind === 'leave' && effect.back !== 'later') return effect.servers === 'all' ? walk.servers : [node];
    return [];
  });
}

/** The worst moment of the stage: every server it takes out is out at once. */
function checkStage(stage: TasksStage, walk: ClusterWalk, proof: AvailabilityProof): ReadonlySet<string> {
  const located = tasksOf(stage);
  const leaving = new Map<string, Located>();
  const present = new Set([...walk.up, ...joiners(walk, located)]);
  for (const entry of located) for (const server of leavers(walk, entry, present)) if (!leaving.has(server)) leaving.set(server, entry);
  const staying = new Set([...walk.up].filter((server) => !leaving.has(server)));
  const suspends = located.find(({ effect }) => effect?.kind === 'suspend' && effect.suspended);
  const evacuations = located.filter(({ effect }) => effect?.kind === 'evacuate');
  // A group can count only on a node that neither leaves nor is evacuated in the stage: one it
  // fails over or is moved to may be evacuated after it arrives.
  const safe = new Set([...staying].filter((server) => !evacuations.some(({ node }) => node === server)));
  const evacuatedToo = safe.size < staying.size ? ` (${[...staying].filter((server) => !safe.has(server)).join(', ')} evacuated in this stage)` : '';
  const leavingNames = [...leaving.keys()];
  const out = (servers: string[]): string => `${servers.join(', ')} ${servers.length === 1 ? 'leaves' : 'leave'} the cluster in this stage (step ${[...new Set(servers.map((server) => leaving.get(server)?.task.stepId))].join(', ')})`;
  const report = (what: Outage['what'], name: string, why: string, causes: Located[]): void => {
    const subject = what === 'group' ? walk.subject(name) : `mirror ${name}`;
    if (walk.open.has(subject)) return;
    const planned = causes.length > 0 && causes.every(({ task }) => task.params.plannedDowntime === true);
    const fromStep = causes[0]?.task.stepId ?? stage.id;
    // Lanes run in parallel: the outage lasts at least until every task of the stage has run.
    walk.open.set(subject, { subject, what, name, fromStep, planned, pending: new Set(located.map(({ task }) => task)) });
    if (!planned) proof.refusals.push(`stage ${stage.id}: ${subject} ${why}`);
  };
  for (const [group, placed] of walk.placement) {
    // A group the stage starts may be running before another of its tasks takes its server out.
    const where = new Set([...placed, ...startTargets(walk, group, located)]);
    if (where.size === 0) continue;
    const stop = located.find(({ task, effect }) => effect?.kind === 'stop-group' && groupOf(task) === group);
    if (stop?.effect?.kind === 'stop-group') {
      report('group', group, `${stop.effect.verb} (step ${stop.task.stepId} on ${stop.node}) and would run on no server`, [stop]);
      continue;
    }
    // A move in this stage may run before or after a server leaves or is evacuated: its target counts too.
    const moved = located.filter(({ task, effect }) => effect?.kind === 'move-group' && groupOf(task) === group).map(({ task }) => task.params.to);
    const reach = new Set([...where, ...moved].filter((server): server is string => server !== undefined));
    const evacuated = evacuations.filter(({ node }) => reach.has(node));
    if (evacuated.length > 0 && walk.hosts(group, safe).length === 0) {
      const nodes = [...new Set(evacuated.map(({ node }) => node))];
      const steps = evacuated.map(({ node, task }) => `step ${task.stepId} on ${node}`).join(', ');
      const why = describeStaying(walk, group, safe, `no other node of the cluster is in it and stays${leaving.size > 0 ? `: ${out(leavingNames)}` : ''}`);
      report('group', group, `has no other node in the cluster to go to when ${nodes.join(' or ')} ${nodes.length === 1 ? 'is' : 'are'} evacuated (${steps}); ${why}`, evacuated);
      continue;
    }
    const hit = [...reach].filter((server) => leaving.has(server));
    if (hit.length === 0) continue;
    const causes = hit.map((server) => leaving.get(server) as Located);
    if (walk.suspended || suspends !== undefined) {
      report('group', group, `(on ${[...where].join(' or ')}) would run on no server: ${out(hit)} while the cluster is suspended, and a suspended cluster fails nothing over (3.1.4)`, [...causes, ...(suspends ? [suspends] : [])]);
    } else if (walk.hosts(group, safe).length === 0) {
      report('group', group, `(on ${[...where].join(' or ')}) would have no server to run on: ${out(leavingNames)}; ${describeStaying(walk, group, safe, 'no server of the cluster stays in it')}${evacuatedToo}`, causes);
    }
  }
  for (const [mirror, copies] of walk.fresh) {
    const online = [...copies].filter((server) => walk.up.has(server));
    if (online.length === 0 || online.some((server) => staying.has(server))) continue;
    report('mirror', mirror, `would have no up-to-date copy online: GREEN only on ${online.join(', ')}; ${out(online)}`, online.map((server) => leaving.get(server) as Located));
  }
  return new Set(leaving.keys());
}

/** Where the stage's group.start / rg.online may start the group: its own server, or any of the group's node list. */
function startTargets(walk: ClusterWalk, group: string, located: readonly Located[]): string[] {
  return located.flatMap(({ node, task, effect }) => {
    if (effect?.kind !== 'start-group' || groupOf(task) !== group) return [];
    return effect.on === 'this' ? [node] : (walk.nodeLists.get(group) ?? walk.servers);
  });
}

/** Why none of `staying` can take the group: not in its node list, a mirror behind there, or a failover still under way. */
function describeStaying(walk: ClusterWalk, group: string, staying: ReadonlySet<string>, none: string): string {
  if (staying.size === 0) return none;
  const nodeList = walk.nodeLists.get(group) ?? walk.servers;
  const why = [...staying].some((server) => !nodeList.includes(server)) ? [`its node list is ${nodeList.join(', ')}`] : [];
  const mirrors = walk.groupMirrors.get(group) ?? [];
  why.push(...mirrors.map((mirror) => `${mirror} up to date only on ${[...(walk.fresh.get(mirror) ?? [])].join(', ') || 'no server'}`));
  const left = [...(walk.failingOver.get(group) ?? [])].filter((server) => staying.has(server));
  if (left.length > 0) why.push(`it may still be failing over from ${left.join(', ')} and cannot go back there: wait with cluster.wait-healthy first`);
  return `staying: ${[...staying].join(', ')}${why.length > 0 ? ` (${why.join('; ')})` : ''}`;
}

/** The stage's effects, lane after lane, each lane in order; an outage closes at the step that ends it. */
function applyStage(stage: TasksStage, walk: ClusterWalk, proof: AvailabilityProof, leaving: ReadonlySet<string>): void {
  const before = new Map([...walk.placement].map(([group, where]) => [group, new Set(where)]));
  const located = tasksOf(stage);
  const failovers: Array<{ at: number; group: string; from: string[] }> = [];
  located.forEach((entry, at) => {
    const failing = new Map([...walk.failingOver].map(([group, from]) => [group, new Set(from)]));
    applyTask(walk, entry);
    for (const [group, from] of walk.failingOver) {
      const added = [...from].filter((server) => !failing.get(group)?.has(server));
      if (added.length > 0) failovers.push({ at, group, from: added });
    }
    for (const outage of walk.open.values()) outage.pending.delete(entry.task);
    closeRestored(walk, proof, entry.task.stepId);
  });
  // A cluster.wait-healthy ends only the failovers begun before it in its own lane: one that
  // another lane starts may begin after it has returned, in another order of the lanes.
  for (const { at, group, from } of failovers) {
    const node = located[at]?.node;
    const waited = located.some((entry, later) => later > at && entry.node === node && entry.effect?.kind === 'failovers-over');
    if (!waited) walk.failingOver.set(group, new Set([...(walk.failingOver.get(group) ?? []), ...from]));
  }
  // The cluster ends the stage as the last suspend or resume left it: which one is last depends
  // on the lanes' order when two lanes end on different ones — then it may be suspended.
  const lastOfLane = new Map<string, boolean>();
  for (const { node, effect } of located) if (effect?.kind === 'suspend') lastOfLane.set(node, effect.suspended);
  if (new Set(lastOfLane.values()).size > 1) walk.suspended = true;
  widenPlacement(walk, before, located, leaving);
}

/**
 * The lanes ran in one order above; they may run in any. Where a group may be after the stage
 * is widened to every order's answer: the targets of its moves and where it was, when servers
 * left meanwhile or it was moved twice, and anywhere it can fail over to when a server it may
 * have been on left.
 */
function widenPlacement(walk: ClusterWalk, before: ReadonlyMap<string, ReadonlySet<string>>, located: readonly Located[], leaving: ReadonlySet<string>): void {
  for (const [group, where] of walk.placement) {
    const moves = located.filter(({ task, effect }) => effect?.kind === 'move-group' && groupOf(task) === group);
    const targets = moves.map(({ task }) => task.params.to).filter((to): to is string => to !== undefined);
    const unordered = moves.length > 1 || (moves.length > 0 && leaving.size > 0);
    const possible = new Set([...where, ...(unordered ? [...(before.get(group) ?? []), ...targets] : [])]);
    const left = [...possible].filter((server) => leaving.has(server));
    if (!walk.suspended && left.length > 0) {
      for (const server of walk.mayRun(group)) possible.add(server);
      // In another order it was on a server that left and failed over from it — to none of
      // them again until a cluster.wait-healthy, as leave() records for the order walked.
      walk.failingOver.set(group, new Set([...(walk.failingOver.get(group) ?? []), ...left]));
    }
    const up = [...possible].filter((server) => walk.up.has(server));
    if (up.length > 0) walk.placement.set(group, new Set(up));
  }
}

function applyTask(walk: ClusterWalk, entry: Located): void {
  const { node, task, effect } = entry;
  const group = groupOf(task) ?? '';
  switch (effect?.kind) {
    case 'starts-at-boot':
      if (effect.value) walk.noAutoStart.delete(node);
      else walk.noAutoStart.add(node);
      return;
    case 'leave': {
      leave(walk, leavers(walk, entry));
      if (effect.back === 'later') return;
      // Back from the boot — also a server that was out — in the cluster only if its daemon starts at boot.
      const booted = effect.servers === 'all' ? walk.servers : walk.servers.filter((server) => server === node);
      join(walk, booted.filter((server) => !walk.noAutoStart.has(server) && !walk.up.has(server)));
      return;
    }
    case 'join':
      if (walk.servers.includes(node)) join(walk, [node]);
      return;
    case 'evacuate':
      if (walk.up.has(node)) evacuate(walk, node);
      return;
    case 'suspend':
      walk.suspended = effect.suspended;
      return;
    case 'stop-group':
      walk.placement.set(group, new Set());
      walk.stopped.add(group);
      return;
    case 'start-group': {
      const hosts = walk.hosts(group, walk.up);
      if (effect.on === 'this' && hosts.includes(node)) walk.placement.set(group, new Set([node]));
      if (effect.on === 'preferred' && hosts.length > 0) walk.placement.set(group, walk.mayRun(group));
      walk.stopped.delete(group);
      return;
    }
    case 'move-group': {
      const targets = task.params.to !== undefined ? [task.params.to] : [...walk.up].filter((server) => !walk.placement.get(group)?.has(server));
      const hosts = walk.hosts(group, walk.up).filter((server) => targets.includes(server));
      if (hosts.length > 0) walk.placement.set(group, new Set(hosts));
      return;
    }
    case 'failovers-over':
      walk.failingOver.clear();
      return;
    case 'mirrors-resync':
      // Possible only from an up-to-date copy.
      for (const copies of walk.fresh.values()) if ([...copies].some((server) => walk.up.has(server))) for (const server of walk.up) copies.add(server);
      return;
    case undefined:
      return;
  }
}

/**
 * The servers leave: copies left behind by an up-to-date one that stays fall behind; their
 * groups fail over, or stop in a suspended cluster.
 */
function leave(walk: ClusterWalk, leaving: readonly string[]): void {
  if (leaving.length === 0) return;
  for (const server of leaving) walk.up.delete(server);
  for (const copies of walk.fresh.values()) {
    if ([...copies].some((server) => walk.up.has(server))) for (const server of leaving) copies.delete(server);
  }
  for (const [group, where] of walk.placement) {
    const left = [...where].filter((server) => leaving.includes(server));
    if (left.length === 0) continue;
    if (!walk.suspended) walk.failingOver.set(group, new Set([...(walk.failingOver.get(group) ?? []), ...left]));
    walk.placement.set(group, walk.suspended ? new Set() : walk.mayRun(group));
    // Nowhere to go: the failover ends with the group offline, to be started anywhere later.
    if (walk.placement.get(group)?.size === 0) walk.failingOver.delete(group);
  }
}

/** `clnode evacuate`: the node stays in the cluster; every group that may be on it switches to another node of its list, or goes offline. */
function evacuate(walk: ClusterWalk, node: string): void {
  const others = new Set([...walk.up].filter((server) => server !== node));
  for (const [group, where] of walk.placement) {
    if (!where.has(node)) continue;
    const rest = [...where].filter((server) => server !== node);
    walk.placement.set(group, new Set([...rest, ...walk.mayGoTo(group, others)]));
  }
}

/** The servers join: groups that run nowhere start again (not in a suspended cluster). */
function join(walk: ClusterWalk, back: readonly string[]): void {
  for (const server of back) walk.up.add(server);
  if (back.length === 0 || walk.suspended) return;
  for (const [group, where] of walk.placement) {
    if (where.size === 0 && !walk.stopped.has(group)) walk.placement.set(group, walk.mayRun(group));
  }
}

function closeRestored(walk: ClusterWalk, proof: AvailabilityProof, stepId: string): void {
  for (const [subject, outage] of walk.open) {
    if (outage.pending.size > 0) continue;
    const restored = outage.what === 'group' ? (walk.placement.get(outage.name)?.size ?? 0) > 0 : [...(walk.fresh.get(outage.name) ?? [])].some((server) => walk.up.has(server));
    if (!restored) continue;
    walk.open.delete(subject);
    closeOutage(proof, outage, `step ${stepId}`);
  }
}

function closeOutage(proof: AvailabilityProof, outage: Outage, until: string): void {
  const what = outage.what === 'group' ? 'runs on no server' : 'has no up-to-date copy online';
  if (outage.planned) proof.downtime.push(`planned downtime: ${outage.subject} ${what} from step ${outage.fromStep} to ${until}`);
}

/**
 * The plan, with its planned downtime added to the warnings `lockstep plan` prints; refused
 * (LOCKSTEP_E_AVAILABILITY_PROOF, nothing created) when a stage breaks availability unplanned.
 * Without the cluster's state (a custom runbook on servers that are not clustered) there is
 * nothing to prove. Proving a plan again adds nothing: a procedure may prove its plan itself,
 * to state the result after the downtime.
 */
export function withAvailabilityProof(plan: Plan, facts: ClusterFacts): Plan {
  if (facts.cluster === undefined) return plan;
  const proof = proveAvailability(plan.stages, { cluster: facts.cluster, mirrors: facts.mirrors });
  if (proof.refusals.length > 0) {
    const lines = proof.refusals.map((refusal) => `  - ${refusal}`).join('\n');
    throw new LockstepError(
      'LOCKSTEP_E_AVAILABILITY_PROOF',
      `${plan.procedure}: the plan can leave the cluster without a service (nothing was started):\n${lines}\nChange the plan (smaller batches, move the group or evacuate the node first, wait for the groups with cluster.wait-healthy and for the mirrors with mirror.wait-green), or, if the outage is intended, declare it: "downtime: planned" (custom runbooks)`,
    );
  }
  const added = proof.downtime.filter((line) => !plan.warnings.includes(line));
  return added.length === 0 ? plan : { ...plan, warnings: [...plan.warnings, ...added] };
}
