// Each CLUSTERPRO procedure compiles into the manual's sequence (SPEC §5.2): the six services
// in stop order then reverse, lead-node steps, barriers where the manual says "confirm every
// server finished", gates, and step counts for 2 and 4 servers.
import { describe, expect, it } from 'vitest';
import type { ClusterFacts } from '../../coordinator/plan/cluster-facts.js';
import type { NodeTask, Plan, Stage } from '../../coordinator/plan/plan.js';
import { BUILT_IN_PROCEDURES } from '../../coordinator/procedures/registry.js';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { isLockstepError } from '../../shared/errors.js';
import { clusterproFacts, clusterproPackage, clusterproRunbook, RPM_PATH } from '../support/clusterpro-facts.js';

const STOP = [...CLUSTERPRO_2X_SERVICES];
const START = [...STOP].reverse();

function compile(procedure: string, count: number, params: Record<string, unknown> = {}, facts: ClusterFacts = clusterproFacts(count), acknowledge?: string[]): Plan {
  const built = BUILT_IN_PROCEDURES.get(procedure);
  if (built === undefined) throw new Error(`${procedure} is not registered`);
  return built.compile(clusterproRunbook(procedure, count, params, acknowledge ? { acknowledge } : {}), facts);
}

/** `type id` per stage, and `node: step step …` per lane for task stages. */
function outline(plan: Plan): string[] {
  return plan.stages.map((stage) => `${stage.type} ${stage.id}${stage.type === 'tasks' ? ` | ${lanes(stage)}` : ''}`);
}

function lanes(stage: Extract<Stage, { type: 'tasks' }>): string {
  return Object.entries(stage.lanes)
    .map(([node, tasks]) => `${node}: ${tasks.map((task) => task.stepId).join(' ')}`)
    .join(' | ');
}

function tasks(plan: Plan): Array<NodeTask & { node: string }> {
  return plan.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.entries(stage.lanes).flatMap(([node, list]) => list.map((task) => ({ ...task, node }))) : []));
}

function taskCount(plan: Plan): number {
  return tasks(plan).length;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('clusterpro/update (3.1.2)', () => {
  it('follows the manual: disable, confirm, clpstdn on the lead, back up, rpm -U, enable in reverse, confirm, reboot', () => {
    const plan = compile('clusterpro/update', 2);
    expect(outline(plan)).toEqual([
      'tasks disable-services | server1: disable-services | server2: disable-services',
      'barrier all-disabled',
      'tasks cluster-shutdown | server1: cluster-shutdown',
      // (2)-(3): the shutdown step ends when every server is back; then (6)-(8) on each server,
      // confirmed on every server before (9).
      'tasks upgrade | server1: upgrade enable-services | server2: upgrade enable-services',
      'barrier all-updated',
      'tasks reboot | server1: reboot | server2: reboot',
      'tasks cluster-healthy | server1: cluster-healthy',
      'tasks verify | server1: verify | server2: verify',
      'notice clear-java-cache',
    ]);
    const byId = (id: string): NodeTask | undefined => tasks(plan).find((task) => task.stepId === id);
    expect(byId('disable-services')?.params.services).toEqual(STOP);
    expect(byId('enable-services')?.params.services).toEqual(START);
    expect(byId('cluster-shutdown')?.kind).toBe('cluster.shutdown');
    expect(byId('upgrade')).toMatchObject({ kind: 'package.upgrade', params: { package: RPM_PATH }, description: `rpm -U ${RPM_PATH}` });
    expect(byId('verify')?.params).toMatchObject({ name: 'clusterpro', version: '2.1.3-1' });
    expect(plan.stages.find((stage) => stage.id === 'all-disabled')).toMatchObject({ message: expect.stringContaining('CPRO-XL050-06 3.1.2 (1): 「上記の手順をすべてのサーバで実行したことを確認してください。') });
    expect(plan.stages.at(-1)).toMatchObject({ message: expect.stringContaining('Javaのキャッシュをクリア') });
  });

  it('with kernelUpdate: a gate at (4) and a reboot at (5), before rpm -U', () => {
    const ids = outline(compile('clusterpro/update', 2, { kernelUpdate: true })).map((line) => line.split(' |')[0]);
    expect(ids.slice(3, 6)).toEqual(['gate kernel-updated', 'tasks kernel-reboot', 'barrier all-updated']);
  });

  it('leads from the first server that is online, in the runbook’s order', () => {
    const facts = clusterproFacts(3);
    const cluster = facts.cluster as NonNullable<ClusterFacts['cluster']>;
    cluster.servers[0] = { ...(cluster.servers[0] as (typeof cluster.servers)[number]), state: 'offline', stateText: 'Offline' };
    const plan = compile('clusterpro/update', 3, {}, facts);
    expect(plan.lead).toBe('server2');
    expect(tasks(plan).filter((task) => task.stepId === 'cluster-shutdown').map((task) => task.node)).toEqual(['server2']);
  });
});

describe('clusterpro/rolling-update (3.1.3)', () => {
  it('2 servers: server2 (no groups) first, the groups onto it, a safe point, then server1', () => {
    const plan = compile('clusterpro/rolling-update', 2);
    expect(outline(plan)).toEqual([
      'tasks disable-services@server2 | server2: disable-services',
      'barrier disabled@server2',
      'tasks server-shutdown@server2 | server2: server-shutdown upgrade enable-services',
      'barrier updated@server2',
      'tasks reboot@server2 | server2: reboot server-online',
      'tasks move-groups-to-updated | server1: move-groups-to-updated:failover1',
      'notice clear-java-cache',
      'tasks groups-healthy | server1: groups-healthy',
      'safe-point safe-point@server1',
      'tasks disable-services@server1 | server1: disable-services',
      'barrier disabled@server1',
      'tasks server-shutdown@server1 | server1: server-shutdown upgrade enable-services',
      'barrier updated@server1',
      'tasks reboot@server1 | server1: reboot server-online',
      'tasks verify | server1: verify | server2: verify',
    ]);
    expect(tasks(plan).find((task) => task.stepId === 'move-groups-to-updated:failover1')?.params).toMatchObject({ group: 'failover1', to: 'server2' });
    expect(tasks(plan).filter((task) => task.kind === 'service.disable').every((task) => task.params.services?.join() === STOP.join())).toBe(true);
    expect(tasks(plan).filter((task) => task.kind === 'service.enable').every((task) => task.params.services?.join() === START.join())).toBe(true);
    expect(plan.warnings).toEqual([]);
  });

  it('with Replicator: waits for every mirror GREEN after each server (3.1.3.2, 3.1.3.5), recovering by hand when auto recovery is off', () => {
    const facts = clusterproFacts(2, { replicator: true });
    const plan = compile('clusterpro/rolling-update', 2, { mirrorAutoRecovery: false }, facts, ['replicator-double-resync']);
    const waits = tasks(plan).filter((task) => task.kind === 'mirror.wait-green');
    expect(waits.map((task) => `${task.node} ${task.stepId} recover=${task.params.recover}`)).toEqual(['server2 mirrors-green recover=true', 'server1 mirrors-green recover=true']);
    expect(outline(plan)).toContain('barrier mirrors-recovered@server2');
    expect(plan.warnings).toHaveLength(1);
    expect(compile('clusterpro/rolling-update', 2, {}, facts, ['replicator-double-resync']).stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : [])).find((task) => task.kind === 'mirror.wait-green')?.params.recover).toBe(false);
  });

  it('the given order, optional kernel gates, the applications gate and moving the groups back (3.1.3.6)', () => {
    const plan = compile('clusterpro/rolling-update', 2, { order: ['server1', 'server2'], kernelUpdate: true, applicationsGate: true, restoreGroups: true });
    const ids = outline(plan).map((line) => line.split(' |')[0]);
    expect(ids).toEqual([
      'tasks move-groups-away@server1',
      'tasks disable-services@server1',
      'barrier disabled@server1',
      'tasks server-shutdown@server1',
      'gate kernel-updated@server1',
      'tasks kernel-reboot@server1',
      'barrier updated@server1',
      'tasks reboot@server1',
      'tasks move-groups-to-updated',
      'notice clear-java-cache',
      'tasks groups-healthy',
      'gate applications-verified',
      'safe-point safe-point@server2',
      'tasks disable-services@server2',
      'barrier disabled@server2',
      'tasks server-shutdown@server2',
      'gate kernel-updated@server2',
      'tasks kernel-reboot@server2',
      'barrier updated@server2',
      'tasks reboot@server2',
      'tasks groups-back-healthy',
      'tasks verify',
    ]);
    // server1 hosts failover1: it moves to server2 first (3.1.3.1 (1)) and onto the updated server1
    // after it (3.1.3.3 (1)) — already where it started, so 3.1.3.6 has nothing to move.
    const moves = tasks(plan).filter((task) => task.kind === 'group.move').map((task) => `${task.node}: ${task.params.group} → ${task.params.to}`);
    expect(moves).toEqual(['server1: failover1 → server2', 'server2: failover1 → server1']);
  });

  it('4 servers in batches of 2: both of a batch go down together, never more', () => {
    const plan = compile('clusterpro/rolling-update', 4, { batch: 2 });
    const shutdowns = plan.stages.filter((stage) => stage.type === 'tasks' && Object.values(stage.lanes).flat().some((task) => task.kind === 'server.shutdown'));
    expect(shutdowns.map((stage) => (stage.type === 'tasks' ? Object.keys(stage.lanes) : []))).toEqual([
      ['server4', 'server1'],
      ['server2', 'server3'],
    ]);
    expect(tasks(plan).filter((task) => task.kind === 'package.upgrade')).toHaveLength(4);
  });

  it('refuses params it does not know or cannot follow, naming params.X', () => {
    const config = (params: Record<string, unknown>): unknown => thrown(() => compile('clusterpro/rolling-update', 2, params));
    expect(config({ order: ['server2', 'server9'] })).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', field: 'params.order', message: expect.stringContaining('unknown server9; missing server1') });
    expect(config({ batch: 2 })).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', field: 'params.batch' });
    expect(config({ package: 'relative.rpm' })).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', field: 'params.package' });
    expect(config({ kernelUpdate: 'yes' })).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', field: 'params.kernelUpdate' });
    expect(thrown(() => compile('clusterpro/update', 2, { order: ['server1', 'server2'] }))).toMatchObject({ field: 'params.order', message: expect.stringContaining('does not take order') });
    const noBundle = thrown(() => BUILT_IN_PROCEDURES.get('clusterpro/update')?.facts({ ...clusterproRunbook('clusterpro/update', 2), bundle: undefined }));
    expect(isLockstepError(noBundle, 'LOCKSTEP_E_CONFIG')).toBe(true);
  });
});

describe('clusterpro/nonstop-update (3.1.4)', () => {
  it('checks, suspends on the lead, stops four services, confirm, rpm -U, starts them in reverse, confirm, resumes', () => {
    const plan = compile('clusterpro/nonstop-update', 2);
    expect(outline(plan)).toEqual([
      'tasks servers-normal | server1: servers-normal suspend',
      'tasks stop-services | server1: stop-services | server2: stop-services',
      'barrier all-stopped',
      'tasks upgrade | server1: upgrade start-services | server2: upgrade start-services',
      'barrier all-updated',
      'tasks resume | server1: resume',
      'tasks verify | server1: verify | server2: verify',
      'notice clear-java-cache',
      'notice kernel-after-update',
    ]);
    const services = (id: string): string[] | undefined => tasks(plan).find((task) => task.stepId === id)?.params.services;
    expect(services('stop-services')).toEqual(['clusterpro_alertsync', 'clusterpro_webmgr', 'clusterpro_trn', 'clusterpro_evt']);
    expect(services('start-services')).toEqual(['clusterpro_evt', 'clusterpro_trn', 'clusterpro_webmgr', 'clusterpro_alertsync']);
    expect(tasks(plan).some((task) => task.kind === 'node.reboot' || task.kind === 'server.shutdown')).toBe(false);
  });
});

describe('clusterpro/downgrade (6) and clusterpro/install (3.1.1)', () => {
  it('6: the kernel gate first, then 3.1.2’s sequence with rpm -U --force, verifying the older version', () => {
    const facts = clusterproFacts(2, { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') });
    const plan = compile('clusterpro/downgrade', 2, { package: '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm' }, facts);
    expect(plan.stages[0]).toMatchObject({ type: 'gate', id: 'older-version-supports-kernel', message: expect.stringContaining('CPRO-XL050-06 6: 「ダウングレード先のCLUSTERPROのバージョンで動作確認している') });
    const downgrade = tasks(plan).find((task) => task.stepId === 'downgrade');
    expect(downgrade).toMatchObject({ kind: 'package.downgrade', params: { force: true }, description: 'rpm -U --force /srv/updates/clusterpro-2.0.0-1.x86_64.rpm' });
    expect(tasks(plan).find((task) => task.stepId === 'verify')?.params.version).toBe('2.0.0-1');
    // The rest is 3.1.2's sequence: the same stages, the same ids (the package stage is named for its step).
    const stageIds = (each: Plan): string[] => each.stages.map((stage) => `${stage.type} ${stage.id === 'downgrade' ? 'upgrade' : stage.id}`);
    expect(stageIds(plan).slice(1)).toEqual(stageIds(compile('clusterpro/update', 2)));
  });

  it('6 on part of the cluster (a rollback of the servers a run changed): no clpstdn; their groups move to the others, then each leaves with clpdown', () => {
    const cluster = clusterproFacts(3, { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') });
    // The runbook names server1 and server2; server3, not named, must never be powered off.
    const facts = { ...cluster, nodes: cluster.nodes.filter((node) => node.name !== 'server3') };
    const plan = compile('clusterpro/downgrade', 2, { package: '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm' }, facts);
    expect(tasks(plan).filter((task) => task.kind === 'cluster.shutdown')).toEqual([]);
    expect(outline(plan).slice(0, 6)).toEqual([
      'gate older-version-supports-kernel',
      'tasks disable-services | server1: disable-services | server2: disable-services',
      'barrier all-disabled',
      'tasks move-groups-away | server1: move-groups-away:failover1 | server2: move-groups-away:failover2',
      'tasks server-shutdown | server1: server-shutdown downgrade enable-services | server2: server-shutdown downgrade enable-services',
      'barrier all-updated',
    ]);
    expect(tasks(plan).filter((task) => task.kind === 'group.move').map((task) => task.params)).toEqual([
      expect.objectContaining({ group: 'failover1', to: 'server3' }),
      expect.objectContaining({ group: 'failover2', to: 'server3' }),
    ]);
  });

  it('6 on part of the cluster whose servers are all out of it (a run cancelled mid-batch): the lead is a named server that answers', () => {
    const cluster = clusterproFacts(3, { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') });
    const servers = (cluster.cluster?.servers ?? []).map((server) => (server.name === 'server2' ? { ...server, state: 'offline' as const, stateText: 'Offline' } : server));
    const facts = { ...cluster, nodes: cluster.nodes.filter((node) => node.name === 'server2'), cluster: { ...(cluster.cluster as NonNullable<ClusterFacts['cluster']>), servers } };
    const runbook = clusterproRunbook('clusterpro/downgrade', 3, { package: '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm' });
    const plan = (BUILT_IN_PROCEDURES.get('clusterpro/downgrade') as NonNullable<ReturnType<typeof BUILT_IN_PROCEDURES.get>>).compile({ ...runbook, nodes: runbook.nodes.filter((node) => node.name === 'server2') }, facts);
    expect(plan.lead).toBe('server2');
    expect(tasks(plan).filter((task) => task.kind === 'server.shutdown').map((task) => task.node)).toEqual(['server2']);
    // The whole cluster named, none of it online: still refused, clpstdn needs a server in the cluster.
    const allOffline = { ...cluster, cluster: { ...(cluster.cluster as NonNullable<ClusterFacts['cluster']>), servers: servers.map((server) => ({ ...server, state: 'offline' as const })) } };
    expect(thrown(() => compile('clusterpro/downgrade', 3, { package: '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm' }, allOffline))).toMatchObject({ message: expect.stringContaining('no node is both reachable and online') });
  });

  it('3.1.1: rpm -i on every server, confirm, reboot, verify, then the licence gate', () => {
    const plan = compile('clusterpro/install', 2, { kernelUpdate: true }, clusterproFacts(2, { installed: undefined }));
    expect(outline(plan)).toEqual([
      'gate kernel-updated',
      'tasks install | server1: install | server2: install',
      'barrier installed',
      'tasks reboot | server1: reboot verify | server2: reboot verify',
      'gate register-licences',
    ]);
  });
});

describe('step counts for 2 and 4 servers', () => {
  const rolling = { facts: (count: number) => clusterproFacts(count) };
  const downgradeFacts = (count: number): ClusterFacts => clusterproFacts(count, { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') });
  it.each([
    ['clusterpro/install', 2, 6, 4, (count: number) => clusterproFacts(count, { installed: undefined })],
    ['clusterpro/install', 4, 12, 4, (count: number) => clusterproFacts(count, { installed: undefined })],
    ['clusterpro/update', 2, 12, 9, rolling.facts],
    ['clusterpro/update', 4, 22, 9, rolling.facts],
    ['clusterpro/downgrade', 2, 12, 10, downgradeFacts],
    ['clusterpro/downgrade', 4, 22, 10, downgradeFacts],
    ['clusterpro/nonstop-update', 2, 11, 9, rolling.facts],
    ['clusterpro/nonstop-update', 4, 19, 9, rolling.facts],
    ['clusterpro/rolling-update', 2, 16, 15, rolling.facts],
    ['clusterpro/rolling-update', 4, 32, 27, rolling.facts],
  ] as const)('%s on %i servers: %i tasks in %i stages (docs/procedures.md)', (procedure, count, expected, stages, facts) => {
    const plan = compile(procedure, count, {}, facts(count));
    expect(taskCount(plan)).toBe(expected);
    expect(plan.stages).toHaveLength(stages);
  });
});

describe('planned downtime (issue 16): only the procedures that stop the cluster by design declare it', () => {
  const planned = (plan: Plan): string[] => [...new Set(tasks(plan).filter((task) => task.params.plannedDowntime === true).map((task) => task.kind))].sort();

  it('3.1.2 and 6 mark clpstdn and the reboots, and say so in the task description', () => {
    const downgrade = clusterproFacts(2, { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') });
    const plans = {
      'clusterpro/update': compile('clusterpro/update', 2),
      'clusterpro/downgrade': compile('clusterpro/downgrade', 2, { package: '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm' }, downgrade),
    };
    for (const [procedure, plan] of Object.entries(plans)) {
      expect(planned(plan), procedure).toEqual(['cluster.shutdown', 'node.reboot']);
      expect(tasks(plan).find((task) => task.kind === 'cluster.shutdown')?.description).toBe('shut the whole cluster down (clpstdn) (planned downtime)');
    }
  });

  it('3.1.1 marks its reboot; the rolling and non-stop updates mark nothing: the agent vetoes what would break availability', () => {
    expect(planned(compile('clusterpro/install', 2, {}, clusterproFacts(2, { installed: undefined })))).toEqual(['node.reboot']);
    expect(planned(compile('clusterpro/rolling-update', 2))).toEqual([]);
    expect(planned(compile('clusterpro/nonstop-update', 2))).toEqual([]);
  });
});
