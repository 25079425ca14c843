// The step kinds a runbook may name (SPEC §6.2), and which of them run on nodes. A leaf:
// the runbook schema, the compilers, the store and the engine all speak them.

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
