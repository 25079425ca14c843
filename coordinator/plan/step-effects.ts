// What each step kind does to a cluster, in the availability proof's terms, for CLUSTERPRO
// and Solaris Cluster alike: a server leaves (and comes back with its boot, or only when a
// later step brings it back), a server joins, a node is evacuated, a group stops, starts or
// moves. The proof (availability-proof.ts) follows these effects, never the step kinds, so a
// product's steps are one row here each.
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { NodeTask } from './plan.js';

export type StepEffect =
  /**
   * The task's server (`this`) or every server (`all`) leaves the cluster. `at-boot`: it comes
   * back once booted, if its cluster services start at boot; `later`: only when a step brings
   * it back (a stopped daemon started, a node in non-cluster mode rejoining).
   */
  | { kind: 'leave'; servers: 'this' | 'all'; back: 'at-boot' | 'later' }
  | { kind: 'join' }
  /** Whether the server's cluster services start at boot from now on (3.1.3.1 (2)). */
  | { kind: 'starts-at-boot'; value: boolean }
  /** Every group on the task's node switches to another node it may run on (`clnode evacuate`). */
  | { kind: 'evacuate' }
  /** The task's group runs nowhere until a step starts it again. */
  | { kind: 'stop-group'; verb: string }
  /** The group starts: on the task's server (`this`), or on the node its node list prefers. */
  | { kind: 'start-group'; on: 'this' | 'preferred' }
  | { kind: 'move-group' }
  | { kind: 'suspend'; suspended: boolean }
  /** Waits until every group is online: the failovers are over. */
  | { kind: 'failovers-over' }
  /** Waits until every copy on a server in the cluster is up to date (CPRO-XL050-06 3.1.3.2). */
  | { kind: 'mirrors-resync' };

const EFFECTS: Partial<Record<NodeStepKind, StepEffect>> = {
  'server.shutdown': { kind: 'leave', servers: 'this', back: 'at-boot' },
  'node.reboot': { kind: 'leave', servers: 'this', back: 'at-boot' },
  'cluster.shutdown': { kind: 'leave', servers: 'all', back: 'at-boot' },
  // SPEC §5.3: out of the cluster is a boot in non-cluster mode (reboot -- -x); back in, a plain reboot.
  'node.leave-cluster': { kind: 'leave', servers: 'this', back: 'later' },
  'node.rejoin-cluster': { kind: 'join' },
  'node.evacuate': { kind: 'evacuate' },
  'group.stop': { kind: 'stop-group', verb: 'is stopped' },
  'rg.offline': { kind: 'stop-group', verb: 'is taken offline' },
  // Solaris Cluster unmanages only an offline group: counted as a stop all the same, should the plan not take it offline first.
  'rg.unmanage': { kind: 'stop-group', verb: 'is unmanaged' },
  'group.start': { kind: 'start-group', on: 'this' },
  'rg.online': { kind: 'start-group', on: 'preferred' },
  'group.move': { kind: 'move-group' },
  'cluster.suspend': { kind: 'suspend', suspended: true },
  'cluster.resume': { kind: 'suspend', suspended: false },
  'cluster.wait-healthy': { kind: 'failovers-over' },
  'mirror.wait-green': { kind: 'mirrors-resync' },
};

/** CLUSTERPRO's daemon: stopped, the server leaves the cluster; disabled, it stays out after a boot. */
const CLUSTER_DAEMON = 'clusterpro';

const DAEMON_EFFECTS: Partial<Record<NodeStepKind, StepEffect>> = {
  'service.stop': { kind: 'leave', servers: 'this', back: 'later' },
  'service.start': { kind: 'join' },
  'service.disable': { kind: 'starts-at-boot', value: false },
  'service.enable': { kind: 'starts-at-boot', value: true },
};

/** What the step does to the cluster; undefined when nothing the proof follows. */
export function effectOf(kind: NodeStepKind, services: readonly string[] | undefined): StepEffect | undefined {
  return kind.startsWith('service.') ? (services?.includes(CLUSTER_DAEMON) === true ? DAEMON_EFFECTS[kind] : undefined) : EFFECTS[kind];
}

export function taskEffect(task: NodeTask): StepEffect | undefined {
  return effectOf(task.kind, task.params.services);
}

/** The group a group step acts on: a CLUSTERPRO group or a Solaris Cluster resource group. */
export function groupOf(task: NodeTask): string | undefined {
  return task.params.group ?? task.params.resourceGroup;
}

/** Does the step matter to the proof: a plan with no such step has nothing to prove (and its preflight need not read the cluster). */
export function mattersToAvailability(kind: NodeStepKind, services: readonly string[] | undefined): boolean {
  return effectOf(kind, services) !== undefined;
}

/** Whether the task takes its server (or, for cluster.shutdown, every server) out of the cluster until it boots again. */
export function takesServerOut(task: NodeTask): boolean {
  const effect = taskEffect(task);
  return effect?.kind === 'leave' && effect.back === 'at-boot';
}

/** After the task, does the server's cluster daemon start at boot: false after a disable, true after an enable, undefined when the task does not say. */
export function startsAtBootAfter(task: NodeTask): boolean | undefined {
  const effect = taskEffect(task);
  return effect?.kind === 'starts-at-boot' ? effect.value : undefined;
}
