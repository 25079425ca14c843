// A compiled plan: what a run does, fixed when the run is created (SPEC §4.1). The engine
// runs exactly this; `lockstep plan` prints it; its hash is stored with the run.

/** Step kinds of SPEC §6.2. */
export const STEP_KINDS = [
  'package.query',
  'package.install',
  'package.upgrade',
  'package.downgrade',
  'package.remove',
  'service.enable',
  'service.disable',
  'service.start',
  'service.stop',
  'cluster.suspend',
  'cluster.resume',
  'cluster.shutdown',
  'cluster.wait-healthy',
  'server.shutdown',
  'node.reboot',
  'group.move',
  'group.start',
  'group.stop',
  'mirror.wait-green',
  'mirror.recover',
  'rt.register',
  'resource.migrate',
  'resource.monitor',
  'resource.unmonitor',
  'resource.enable',
  'resource.disable',
  'rg.offline',
  'rg.online',
  'rg.manage',
  'rg.unmanage',
  'node.evacuate',
  'node.leave-cluster',
  'node.rejoin-cluster',
  'hook.run',
  'verify.package-version',
  'gate',
  'barrier',
  'notice',
  'safe-point',
] as const;

export type StepKind = (typeof STEP_KINDS)[number];

/** Kinds that run on nodes; the others (gate, barrier, notice, safe-point) are the coordinator's. */
export type NodeStepKind = Exclude<StepKind, 'gate' | 'barrier' | 'notice' | 'safe-point'>;

export function isNodeStepKind(kind: StepKind): kind is NodeStepKind {
  return kind !== 'gate' && kind !== 'barrier' && kind !== 'notice' && kind !== 'safe-point';
}

/** Parameters of a node step, by kind (the runbook's `with`, validated and defaulted). */
export interface StepParams {
  /** package.install|upgrade|downgrade: the package file on every node (absolute). */
  package?: string;
  /** package.query|remove, verify.package-version: the package name. */
  name?: string;
  /** verify.package-version: the version-release every node must have, e.g. "2.1.3-1". */
  version?: string;
  /**
   * package.install|upgrade|downgrade: the file's sha256 as this node reported it when the plan
   * was made (pin-package-digests.ts); the agent refuses the file if it has changed since.
   */
  sha256?: string;
  /** package.downgrade: rpm -U --force instead of --oldpackage (the manual's section 6). */
  force?: boolean;
  /** service.*: in the order given (the manual's order matters). */
  services?: string[];
  /** group.move|start|stop */
  group?: string;
  /** group.move: the destination server; absent lets the failover policy choose. */
  to?: string;
  /** mirror.recover, mirror.wait-green (absent: every mirror). */
  mirror?: string;
  /** mirror.wait-green: run `clpmdctrl -r` for mirrors that stay RED (auto recovery off). */
  recover?: boolean;
  /** hook.run */
  hook?: string;
  args?: string[];
  /** Solaris Cluster steps */
  resource?: string;
  resourceGroup?: string;
  resourceType?: string;
  rtrPath?: string;
  typeVersion?: string;
  /** How long the step may take on one node before the run blocks. */
  timeoutMs: number;
}

/** One node's share of a stage: its steps, in order. */
export interface NodeTask {
  /** The runbook step id; with the node, it names the task. */
  stepId: string;
  kind: NodeStepKind;
  params: StepParams;
  /** For display: the runbook's description, or one generated from kind and params. */
  description: string;
}

/**
 * A stage runs every node's task list in parallel, each node's list in order; the stage is
 * over when every node has finished every task. The boundary between two stages is a
 * barrier: no node starts a task of the next stage before the stage has passed.
 */
export type Stage =
  | {
      type: 'tasks';
      /** e.g. "disable-services", or "rolling:server2" for one batch of a rolling block. */
      id: string;
      /** node → its tasks, in order. Nodes absent from the map do nothing in this stage. */
      lanes: Record<string, NodeTask[]>;
    }
  | {
      type: 'barrier';
      id: string;
      /** Demands an operator's confirmation (`confirm: operator`). */
      confirm: boolean;
      message: string;
    }
  | { type: 'gate'; id: string; message: string }
  | { type: 'notice'; id: string; message: string }
  /** A point where a maintenance window may pause the run (between servers of a rolling update). */
  | { type: 'safe-point'; id: string };

export interface PlanNode {
  name: string;
  address: string;
}

export interface Plan {
  cluster: string;
  procedure: string;
  nodes: PlanNode[];
  /** The lead node for `on: one` steps: the first healthy node in the runbook's order at compile time. */
  lead: string;
  stages: Stage[];
  /** Warnings a person should read before applying (e.g. the Replicator double resync). */
  warnings: string[];
}

export const DEFAULT_STEP_TIMEOUT_MS = 10 * 60_000;
