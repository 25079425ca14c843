// The availability proof of CLUSTERPRO plans (availability-proof.test.ts) is the proof of
// Solaris Cluster plans too: from the cluster as the Solaris preflight reads it (clnode status
// and clresourcegroup status through the agent's driver: where each resource group is online,
// and its Nodelist), a plan that can leave a resource group with no node is refused naming the
// stage, the resource group and the nodes; every row of table 3-1 that
// solaris-cluster/rt-upgrade compiles passes it, its offline steps listed as planned downtime.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SolarisClusterDriver } from '../../agent/drivers/cluster/solaris/solaris-cluster-driver.js';
import type { ClusterFacts, NodeFacts } from '../../coordinator/plan/cluster-facts.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { compileSubmission, readSubmission } from '../../coordinator/procedures/compile-runbook.js';
import { BUILT_IN_PROCEDURES } from '../../coordinator/procedures/registry.js';
import { RT_CHANGE_ROWS, RT_CHANGES, type RtChange } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import type { Runbook } from '../../coordinator/runbook/runbook-schema.js';
import { LockstepError } from '../../shared/errors.js';
import { readFixture } from '../support/fixture.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';

const NODES = ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'];
const TLS = { ca: 'ca.pem', cert: 'coordinator.pem', key: 'coordinator.key' };
const PACKAGE = '/srv/updates/LABapp';
const fixture = (name: string): string => readFixture(`solaris/${name}`);

/**
 * The cluster as the rt-upgrade preflight reads it, every node Online: app-rg1 online on
 * phys-schost-1, app-rg2 on phys-schost-2, each with the node list the fixture prints —
 * unless `twoNodeRg1` (`oneNodeRg1`), where app-rg1's Nodelist is phys-schost-1, phys-schost-2
 * (phys-schost-1) only; `rg1Offline`: app-rg1 is offline everywhere.
 */
async function solarisFacts(options: { twoNodeRg1?: boolean; oneNodeRg1?: boolean; rg1Offline?: boolean } = {}): Promise<ClusterFacts> {
  let groups = fixture('clresourcegroup-status.txt');
  if (options.rg1Offline === true) groups = groups.replace(/^(app-rg1 +phys-schost-1 +No +)Online/m, '$1Offline');
  if (options.twoNodeRg1 === true || options.oneNodeRg1 === true) groups = groups.replace(/^ +phys-schost-3 +No +Offline\n/m, '');
  if (options.oneNodeRg1 === true) groups = groups.replace(/^ +phys-schost-2 +No +Offline\n/m, '');
  const executor = new ScriptedExecutor([
    { match: 'clnode status', answer: { stdout: fixture('clnode-status.txt').replace('Offline', 'Online ') } },
    { match: 'clresourcegroup status', answer: { stdout: groups } },
  ]);
  const cluster = await new SolarisClusterDriver({ executor, release: '3.2' }).status();
  const node = (name: string, index: number): NodeFacts => ({
    name,
    address: `10.0.0.${index + 1}:7451`,
    reachable: true,
    error: '',
    hostname: name,
    agentVersion: '0.1.0',
    machine: 'sun4u',
    bootId: 'boot-1',
    packageDigests: { [PACKAGE]: { sha256: 'ab'.repeat(32) } },
  });
  return {
    nodes: NODES.map(node),
    cluster,
    mirrors: [],
    solaris: {
      resources: [
        { name: 'app-rs1', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg1', dependsOn: [], enabled: true, monitored: true, onlineOn: ['phys-schost-1'] },
        { name: 'app-rs2', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg2', dependsOn: ['app-rs1'], enabled: true, monitored: true, onlineOn: ['phys-schost-2'] },
      ],
      resourcesError: '',
      rtrText: Object.fromEntries(NODES.map((name) => [name, rtr('ANYTIME')])),
      rtrUnread: {},
    },
  };
}

function rtr(tunable: string): string {
  return `Resource_type = "app";\nVendor_id = LAB;\nRT_version = "2.0";\n\n#$upgrade\n#$upgrade_from "1.0" ${tunable}\n`;
}

function custom(steps: unknown[], extra: Record<string, unknown> = {}): string {
  return stringify({ cluster: 'sc1', nodes: NODES.map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })), procedure: 'custom', tls: TLS, steps, ...extra });
}

function compileCustom(yaml: string, facts: ClusterFacts): Plan {
  return compileSubmission(readSubmission(yaml, '/etc/lockstep/sc.yaml'), facts);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LockstepError);
    expect((error as LockstepError).code).toBe('LOCKSTEP_E_AVAILABILITY_PROOF');
    return (error as LockstepError).message;
  }
  throw new Error('the plan was accepted');
}

/** solaris-cluster/rt-upgrade through the registry and compileSubmission, as `lockstep plan` compiles it. */
function rtUpgrade(change: RtChange, facts: ClusterFacts): Plan {
  const runbook = {
    cluster: 'sc1',
    procedure: 'solaris-cluster/rt-upgrade',
    nodes: NODES.map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })),
    params: { type: 'LAB.app', package: PACKAGE, pkg: 'LABapp', rtr: '/opt/LABapp/etc/LAB.app', change },
  } as unknown as Runbook;
  const procedure = BUILT_IN_PROCEDURES.get(runbook.procedure);
  if (procedure === undefined) throw new Error(`${runbook.procedure} is not registered`);
  return compileSubmission({ runbook, tls: TLS, facts: procedure.facts(runbook) }, facts);
}

const EVACUATE_LEAVE_REJOIN = (rolling: string[], batch: number): unknown[] => [
  { id: 'evacuate', kind: 'node.evacuate', on: { rolling, batch } },
  { id: 'leave', kind: 'node.leave-cluster', on: { rolling, batch } },
  { id: 'rejoin', kind: 'node.rejoin-cluster', on: { rolling, batch } },
];

describe('the availability proof refuses Solaris Cluster plans that leave a resource group without a node', () => {
  it('reads each resource group\'s Nodelist from clresourcegroup status, in its order', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    expect(facts.cluster?.groups.map(({ name, currentServer, nodeList }) => [name, currentServer, nodeList])).toEqual([
      ['app-rg1', 'phys-schost-1', ['phys-schost-1', 'phys-schost-2']],
      ['app-rg2', 'phys-schost-2', ['phys-schost-2', 'phys-schost-3', 'phys-schost-1']],
    ]);
  });

  it('taking both nodes of a 2-node resource group out of the cluster in one stage: refused naming the stage, app-rg1 and both nodes', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    const message = refusal(() => compileCustom(custom(EVACUATE_LEAVE_REJOIN(['phys-schost-1', 'phys-schost-2'], 2)), facts));
    expect(message).toMatch(
      /stage evacuate@phys-schost-1\+phys-schost-2: resource group app-rg1 has no other node in the cluster to go to when phys-schost-1 is evacuated \(step evacuate on phys-schost-1\); staying: phys-schost-3 \(its node list is phys-schost-1, phys-schost-2\)/,
    );
    // app-rg2 may run on phys-schost-3, which stays: not refused.
    expect(message).not.toMatch(/app-rg2/);
  });

  it('the same nodes without evacuating first: refused as a failover with nowhere to go', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    const leaveBoth = [{ id: 'leave', kind: 'node.leave-cluster', on: { rolling: ['phys-schost-1', 'phys-schost-2'], batch: 2 } }];
    expect(refusal(() => compileCustom(custom(leaveBoth), facts))).toMatch(
      /stage leave@phys-schost-1\+phys-schost-2: resource group app-rg1 \(on phys-schost-1\) would have no server to run on: phys-schost-1, phys-schost-2 leave the cluster in this stage \(step leave\); staying: phys-schost-3 \(its node list is phys-schost-1, phys-schost-2\)/,
    );
  });

  it('one node at a time, evacuated first: accepted on the same cluster', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    const plan = compileCustom(custom(EVACUATE_LEAVE_REJOIN(NODES, 1)), facts);
    expect(plan.warnings.filter((warning) => warning.startsWith('planned downtime'))).toEqual([]);
  });

  it('a node that stays out of the cluster (no rejoin) counts as out for the stages after it', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    const steps = [
      { id: 'leave-1', kind: 'node.leave-cluster', on: { node: 'phys-schost-1' } },
      { id: 'b', kind: 'barrier' },
      { id: 'leave-2', kind: 'node.leave-cluster', on: { node: 'phys-schost-2' } },
    ];
    expect(refusal(() => compileCustom(custom(steps), facts))).toMatch(/stage leave-2: resource group app-rg1 \(on phys-schost-2\) would have no server to run on: phys-schost-2 leaves the cluster in this stage \(step leave-2\)/);
  });

  // Found by the property test (availability-proof-property.test.ts): the lanes of a stage run in any order.
  it('a node leaving while the other node of the resource group is evacuated in the same stage: refused, the failover may be evacuated again', async () => {
    const facts = await solarisFacts({ twoNodeRg1: true });
    const steps = [
      { id: 'leave', kind: 'node.leave-cluster', on: { node: 'phys-schost-1' } },
      { id: 'evacuate', kind: 'node.evacuate', on: { node: 'phys-schost-2' } },
    ];
    expect(refusal(() => compileCustom(custom(steps), facts))).toMatch(
      /resource group app-rg1 \(on phys-schost-1\) would have no server to run on: phys-schost-1 leaves the cluster in this stage \(step leave\); staying: phys-schost-3 \(its node list is phys-schost-1, phys-schost-2\) \(phys-schost-2 evacuated in this stage\)/,
    );
  });

  it('a resource group brought online and its node evacuated in the same stage: refused when it has no other node', async () => {
    const facts = await solarisFacts({ oneNodeRg1: true, rg1Offline: true });
    expect(facts.cluster?.groups[0]).toMatchObject({ name: 'app-rg1', currentServer: null, nodeList: ['phys-schost-1'] });
    const steps = [
      { id: 'online', kind: 'rg.online', on: { node: 'phys-schost-1' }, with: { resourceGroup: 'app-rg1' } },
      { id: 'evacuate', kind: 'node.evacuate', on: { node: 'phys-schost-1' } },
    ];
    expect(refusal(() => compileCustom(custom(steps), facts))).toMatch(
      /stage online: resource group app-rg1 has no other node in the cluster to go to when phys-schost-1 is evacuated \(step evacuate on phys-schost-1\); staying: phys-schost-2, phys-schost-3 \(its node list is phys-schost-1\)/,
    );
  });

  it('taking a resource group offline: refused unless the downtime is planned, then listed from step to step', async () => {
    const facts = await solarisFacts();
    const steps = [
      { id: 'offline', kind: 'rg.offline', on: 'one', with: { resourceGroup: 'app-rg1' } },
      { id: 'b', kind: 'barrier' },
      { id: 'online', kind: 'rg.online', on: 'one', with: { resourceGroup: 'app-rg1' } },
    ];
    expect(refusal(() => compileCustom(custom(steps), facts))).toMatch(/stage offline: resource group app-rg1 is taken offline \(step offline on phys-schost-1\) and would run on no server/);
    expect(compileCustom(custom(steps, { downtime: 'planned' }), facts).warnings).toContain('planned downtime: resource group app-rg1 runs on no server from step offline to step online');
  });
});

describe('solaris-cluster/rt-upgrade passes the same proof', () => {
  it.each(RT_CHANGES.map((change) => [change]))('%s: accepted on the 3-node cluster, and with app-rg1 on 2 nodes only', async (change) => {
    for (const facts of [await solarisFacts(), await solarisFacts({ twoNodeRg1: true })]) {
      const plan = rtUpgrade(change, facts);
      const offline = RT_CHANGE_ROWS[change].steps.some((step) => step.step === 'offline' || step.step === 'unmanage');
      const downtime = plan.warnings.filter((warning) => warning.startsWith('planned downtime'));
      expect(downtime).toHaveLength(offline ? 2 : 0);
      expect(plan.warnings.at(-1)).toMatch(/^availability: resource groups app-rg1, app-rg2 keep an online node at every step/);
    }
  });

  it('lists table 3-1\'s offline steps as planned downtime per resource group, from step to step, once', async () => {
    const facts = await solarisFacts();
    // Dependents first: app-rs2 (in app-rg2) depends on app-rs1, so app-rg2 is taken offline first.
    expect(rtUpgrade('update-stop-incompatible', facts).warnings.filter((warning) => warning.startsWith('planned downtime'))).toEqual([
      'planned downtime: resource group app-rg2 runs on no server from step offline-1 to step online-1',
      'planned downtime: resource group app-rg1 runs on no server from step offline-2 to step online-2',
    ]);
    expect(rtUpgrade('fini-incompatible', facts).warnings.filter((warning) => warning.startsWith('planned downtime'))).toEqual([
      'planned downtime: resource group app-rg2 runs on no server from step rg-offline-1 to step rg-online-1',
      'planned downtime: resource group app-rg1 runs on no server from step rg-offline-2 to step rg-online-2',
    ]);
  });

  it('a rolling row when app-rg1 can run on phys-schost-1 only: refused at its evacuation, naming the stage, the resource group and the node', async () => {
    const facts = await solarisFacts({ oneNodeRg1: true });
    const message = refusal(() => rtUpgrade('rtr-unchanged', facts));
    expect(message).toMatch(/stage rolling:phys-schost-1: resource group app-rg1 has no other node in the cluster to go to when phys-schost-1 is evacuated \(step evacuate on phys-schost-1\); staying: phys-schost-2, phys-schost-3 \(its node list is phys-schost-1\)/);
    expect(message).toContain('solaris-cluster/rt-upgrade: the plan can leave the cluster without a service (nothing was started)');
  });
});

