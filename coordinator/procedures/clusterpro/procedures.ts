// The CLUSTERPRO X server procedures of CPRO-XL050-06 (sections 3.1.1–3.1.4 and 6), step by
// step as the manual writes them (SPEC §5.2). Read beside the manual: each entry cites its
// section. The words shown to operators (gates, notices, barriers) come from the bundle.
import type { ManualStep, ProcedureDefinition } from './manual-step.js';

const ALL_DONE = 'allServersDone' as const;

/** 3.1.5: check the version as in section 2.1. */
const VERIFY: ManualStep = { section: '3.1.5', id: 'verify', on: 'all', do: { kind: 'verify.package-version' } };

/** 3.1.1: a new install, the update's rpm straight away. */
export const INSTALL: ProcedureDefinition = {
  name: 'clusterpro/install',
  section: '3.1.1',
  title: 'CLUSTERPROを新規インストールする場合 (new install)',
  packageAction: 'install',
  replicator: 'allow',
  stopsCluster: true,
  needsNormalCluster: false,
  steps: [
    { section: '3.1.1', id: 'kernel-updated', gate: 'kernelBeforeInstall', when: 'kernelUpdate' },
    { section: '3.1.1 (1), (2)', id: 'install', on: 'all', do: { kind: 'package.install' } },
    { section: '3.1.1', id: 'installed', barrier: ALL_DONE },
    { section: '3.1.1 (3)', id: 'reboot', on: 'all', do: { kind: 'node.reboot' } },
    VERIFY,
    { section: '3.1.1 (3)', id: 'register-licences', gate: 'licence' },
  ],
};

/**
 * 3.1.2 and 6 share their shape: auto-start off everywhere, the cluster shut down from one
 * server, every server back up, the package, auto-start on, and a reboot of every server.
 * When the runbook names only some of the cluster's servers (the rollback of a run that
 * changed only those), clpstdn would power off the others too: instead their groups move to
 * the others and each named server leaves with clpdown, as 3.1.3.1 (1)–(4) does for one.
 */
function fullStop(section: '3.1.2' | '6', packageStep: ManualStep, kernelGate: ManualStep[]): ManualStep[] {
  const at = (step: string): string => `${section} ${step}`;
  return [
    ...kernelGate,
    { section: at('(1)'), id: 'disable-services', on: 'all', do: { kind: 'service.disable', services: 'autoStart.stop' } },
    { section: at('(1)'), id: 'all-disabled', barrier: ALL_DONE },
    // (2)-(3) クラスタのシャットダウン, サーバを再起動してrootでloginします: clpstdn powers every
    // server off; the step ends when each of them is back with a new boot id.
    { section: at('(2)–(3)'), id: 'cluster-shutdown', on: 'one', do: { kind: 'cluster.shutdown' }, when: 'wholeCluster' },
    { section: `${at('(2)')}, 3.1.3.1 (1)`, id: 'move-groups-away', on: 'group-hosts', do: { kind: 'group.move', placement: 'off-runbook' }, when: 'partOfCluster' },
    { section: `${at('(2)–(3)')}, 3.1.3.1 (3), (4)`, id: 'server-shutdown', on: 'all', do: { kind: 'server.shutdown' }, when: 'partOfCluster' },
    { section: at('(4)'), id: 'kernel-updated', gate: section === '6' ? 'kernelDuringDowngrade' : 'kernelDuringUpdate', when: 'kernelUpdate' },
    { section: at('(5)'), id: 'kernel-reboot', on: 'all', do: { kind: 'node.reboot' }, when: 'kernelUpdate' },
    packageStep,
    { section: at('(8)'), id: 'enable-services', on: 'all', do: { kind: 'service.enable', services: 'autoStart.start' } },
    { section: at('(3)–(8)'), id: 'all-updated', barrier: ALL_DONE },
    { section: at('(9)'), id: 'reboot', on: 'all', do: { kind: 'node.reboot' } },
    { section: at('(9)'), id: 'cluster-healthy', on: 'one', do: { kind: 'cluster.wait-healthy' } },
    VERIFY,
    { section: at('(10)'), id: 'clear-java-cache', notice: 'javaCache' },
  ];
}

/** 3.1.2: the whole cluster stops for the update. */
export const UPDATE: ProcedureDefinition = {
  name: 'clusterpro/update',
  section: '3.1.2',
  title: 'すでに運用中のCLUSTERPROにアップデートを適用する場合 (update with a full stop)',
  packageAction: 'upgrade',
  replicator: 'allow',
  stopsCluster: true,
  needsNormalCluster: false,
  steps: fullStop('3.1.2', { section: '3.1.2 (6), (7)', id: 'upgrade', on: 'all', do: { kind: 'package.upgrade' } }, []),
};

/** 6: back to an earlier version, as 3.1.2 with rpm -U --force. */
export const DOWNGRADE: ProcedureDefinition = {
  name: 'clusterpro/downgrade',
  section: '6',
  title: 'すでに運用中のCLUSTERPROを以前のバージョンに戻す場合 (downgrade)',
  packageAction: 'downgrade',
  replicator: 'allow',
  stopsCluster: true,
  needsNormalCluster: false,
  steps: fullStop(
    '6',
    { section: '6 (6), (7)', id: 'downgrade', on: 'all', do: { kind: 'package.downgrade', force: true } },
    [{ section: '6', id: 'older-version-supports-kernel', gate: 'downgradeKernel' }],
  ),
};

/** 3.1.3.1–3.1.3.2 (and 3.1.3.4–3.1.3.5 for server1): one batch of servers, its groups elsewhere. */
const UPDATE_ONE_BATCH: ManualStep[] = [
  { section: '3.1.3.1 (1)', id: 'move-groups-away', on: 'group-hosts', do: { kind: 'group.move', placement: 'away-from-batch' } },
  { section: '3.1.3.1 (2), 3.1.3.4 (1)', id: 'disable-services', on: 'batch', do: { kind: 'service.disable', services: 'autoStart.stop' } },
  { section: '3.1.3.1 (2), 3.1.3.4 (1)', id: 'disabled', barrier: ALL_DONE },
  { section: '3.1.3.1 (3), (4), 3.1.3.4 (2), (3)', id: 'server-shutdown', on: 'batch', do: { kind: 'server.shutdown' } },
  { section: '3.1.3.1 (5), 3.1.3.4 (4)', id: 'kernel-updated', gate: 'kernelDuringUpdate', when: 'kernelUpdate' },
  { section: '3.1.3.1 (6), 3.1.3.4 (5)', id: 'kernel-reboot', on: 'batch', do: { kind: 'node.reboot' }, when: 'kernelUpdate' },
  { section: '3.1.3.1 (7), (8), 3.1.3.4 (6), (7)', id: 'upgrade', on: 'batch', do: { kind: 'package.upgrade' } },
  { section: '3.1.3.1 (9), 3.1.3.4 (8)', id: 'enable-services', on: 'batch', do: { kind: 'service.enable', services: 'autoStart.start' } },
  { section: '3.1.3.1 (3)–(9), 3.1.3.4 (2)–(8)', id: 'updated', barrier: ALL_DONE },
  { section: '3.1.3.1 (10), (11), 3.1.3.4 (9), (10)', id: 'reboot', on: 'batch', do: { kind: 'node.reboot' } },
  { section: '3.1.3.1 (11), 3.1.3.4 (10)', id: 'server-online', on: 'batch', do: { kind: 'cluster.wait-healthy' } },
  { section: '3.1.3.2, 3.1.3.5', id: 'mirrors-green', on: 'batch', do: { kind: 'mirror.wait-green' }, when: 'replicator' },
  { section: '3.1.3.2 (2), 3.1.3.5 (2)', id: 'mirrors-recovered', barrier: ALL_DONE, when: 'replicator' },
];

/** 3.1.3.3: once the first batch is updated, every group runs there. */
const GROUPS_ONTO_UPDATED: ManualStep[] = [
  { section: '3.1.3.3 (1)', id: 'move-groups-to-updated', on: 'group-hosts', do: { kind: 'group.move', placement: 'onto-updated' } },
  { section: '3.1.3.3 (2)', id: 'clear-java-cache', notice: 'javaCache' },
  { section: '3.1.3.3 (3)', id: 'groups-healthy', on: 'one', do: { kind: 'cluster.wait-healthy' } },
  { section: '3.1.3.3 (3)', id: 'applications-verified', gate: 'applications', when: 'applicationsGate' },
];

/** 3.1.3: one server (or batch) at a time; the groups keep running on the others. */
export const ROLLING_UPDATE: ProcedureDefinition = {
  name: 'clusterpro/rolling-update',
  section: '3.1.3',
  title: 'すでに運用中のCLUSTERPROにローリングアップデートを適用する場合 (rolling update)',
  packageAction: 'upgrade',
  replicator: 'acknowledge',
  stopsCluster: false,
  needsNormalCluster: true,
  steps: [
    { section: '3.1.3.1–3.1.3.5', eachBatch: UPDATE_ONE_BATCH, afterFirstBatch: GROUPS_ONTO_UPDATED },
    { section: '3.1.3.6 (1)', id: 'move-groups-back', on: 'group-hosts', do: { kind: 'group.move', placement: 'back-home' }, when: 'restoreGroups' },
    { section: '3.1.3.6 (2)', id: 'groups-back-healthy', on: 'one', do: { kind: 'cluster.wait-healthy' }, when: 'restoreGroups' },
    VERIFY,
  ],
};

/** 3.1.4: the daemon suspended, the other services restarted around the package; nothing reboots. */
export const NONSTOP_UPDATE: ProcedureDefinition = {
  name: 'clusterpro/nonstop-update',
  section: '3.1.4',
  title: 'すでに運用中のCLUSTERPROに無停止アップデートを適用する場合 (non-stop update)',
  packageAction: 'upgrade',
  replicator: 'refuse',
  stopsCluster: false,
  needsNormalCluster: true,
  steps: [
    { section: '3.1.4 (1)', id: 'servers-normal', on: 'one', do: { kind: 'cluster.wait-healthy' } },
    { section: '3.1.4 (2)', id: 'suspend', on: 'one', do: { kind: 'cluster.suspend' } },
    { section: '3.1.4 (3)', id: 'stop-services', on: 'all', do: { kind: 'service.stop', services: 'nonstop.stop' } },
    { section: '3.1.4 (3)', id: 'all-stopped', barrier: ALL_DONE },
    { section: '3.1.4 (4), (5)', id: 'upgrade', on: 'all', do: { kind: 'package.upgrade' } },
    { section: '3.1.4 (6)', id: 'start-services', on: 'all', do: { kind: 'service.start', services: 'nonstop.start' } },
    { section: '3.1.4 (4)–(6)', id: 'all-updated', barrier: ALL_DONE },
    { section: '3.1.4 (7)', id: 'resume', on: 'one', do: { kind: 'cluster.resume' } },
    VERIFY,
    { section: '3.1.4 (8)', id: 'clear-java-cache', notice: 'javaCache' },
    { section: '3.1.4', id: 'kernel-after-update', notice: 'kernelAfterNonstop' },
  ],
};

export const CLUSTERPRO_PROCEDURES: readonly ProcedureDefinition[] = [INSTALL, UPDATE, ROLLING_UPDATE, NONSTOP_UPDATE, DOWNGRADE];
