// The vocabulary the CLUSTERPRO procedures are written in (procedures.ts): one entry per step
// of the manual, with its section, where it runs and what it does. compile-clusterpro.ts
// turns a list of these into a plan's stages; nothing else decides what a procedure does.
import type { WordingKey } from './bundle.js';

/**
 * A runbook param that switches an optional step on, the cluster using Replicator (mirror
 * disks), or whether the runbook names every server of the cluster or only some of them
 * (a rollback of a run that changed only part of the cluster).
 */
export type Condition = 'kernelUpdate' | 'applicationsGate' | 'restoreGroups' | 'replicator' | 'wholeCluster' | 'partOfCluster';

/** A service list of the bundle, in the manual's stop order or its reverse (the start order). */
export type ServiceOrder = 'autoStart.stop' | 'autoStart.start' | 'nonstop.stop' | 'nonstop.start';

/**
 * Where a step runs: every server, the lead (the manual's "何れか1台のサーバ"), the servers of
 * the current rolling batch, or — for group moves — the server each moving group runs on.
 */
export type On = 'all' | 'one' | 'batch' | 'group-hosts';

/**
 * Where a group.move sends groups: off the batch about to go down (3.1.3.1 (1)), onto the
 * updated servers (3.1.3.3 (1)), back to where they ran before the run (3.1.3.6 (1)), or off
 * the runbook's servers onto the cluster's other servers (a full stop of only part of it).
 */
export type Placement = 'away-from-batch' | 'onto-updated' | 'back-home' | 'off-runbook';

export type Action =
  | { kind: 'service.disable' | 'service.enable' | 'service.stop' | 'service.start'; services: ServiceOrder }
  | { kind: 'package.install' | 'package.upgrade' }
  /** Section 6 (7): rpm -U --force. */
  | { kind: 'package.downgrade'; force: true }
  | { kind: 'cluster.shutdown' | 'cluster.suspend' | 'cluster.resume' | 'cluster.wait-healthy' | 'server.shutdown' | 'node.reboot' | 'mirror.wait-green' }
  /** 3.1.5: the version the procedure installs (the bundle's target, or the older rpm's). */
  | { kind: 'verify.package-version' }
  | { kind: 'group.move'; placement: Placement };

interface Cited {
  /** The manual's section, e.g. "3.1.2 (1)". */
  section: string;
  id: string;
  when?: Condition;
}

export type NodeStep = Cited & { on: On; do: Action };
/** "(1)の手順をすべてのサーバで実行したことを確認してください": every node finished everything before it. */
export type BarrierStep = Cited & { barrier: WordingKey };
export type GateStep = Cited & { gate: WordingKey };
export type NoticeStep = Cited & { notice: WordingKey };

/** 3.1.3: the same steps for each batch of servers in turn; 3.1.3.3 once, after the first batch. */
export interface RollingStep {
  section: string;
  eachBatch: ManualStep[];
  afterFirstBatch: ManualStep[];
}

export type ManualStep = NodeStep | BarrierStep | GateStep | NoticeStep | RollingStep;

export interface ProcedureDefinition {
  /** The name a runbook gives in `procedure:`. */
  name: string;
  /** The manual's section the procedure follows. */
  section: string;
  title: string;
  /** What the procedure does to the product package; the preflight's version rules follow it. */
  packageAction: 'install' | 'upgrade' | 'downgrade';
  /** Replicator (mirror disk resources): allowed, refused (3.1.4), or allowed once acknowledged (3.1.3). */
  replicator: 'allow' | 'refuse' | 'acknowledge';
  /**
   * The procedure stops the cluster by design (3.1.1, 3.1.2, 6): its shutdowns and reboots carry
   * planned downtime, so the agent's availability veto lets them through (issue 16).
   */
  stopsCluster: boolean;
  /** The procedure moves or suspends a running cluster: every server and group must be online first. */
  needsNormalCluster: boolean;
  steps: ManualStep[];
}

/** The `acknowledge:` entry a rolling update with Replicator needs (SPEC §5.2). */
export const REPLICATOR_ACKNOWLEDGEMENT = 'replicator-double-resync';
