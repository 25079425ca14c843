// Every row of table 3-1 (seed 004), done by hand through the agent's real drivers over the
// simulated Solaris node, in the order of the coordinator's rt-change-rows.ts: the lab accepts
// each correct procedure and ends with every resource migrated, enabled, monitored and online;
// and a procedure for the wrong row fails on the lab the way it would on a real cluster.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SolarisClusterDriver } from '../../agent/drivers/cluster/solaris/solaris-cluster-driver.js';
import { Svr4Driver, writeAdminFile } from '../../agent/drivers/package/svr4-driver.js';
import { RT_CHANGE_ROWS, RT_CHANGES, type RtStep } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import { bootNode } from '../../lab/node/sim-boot.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { initialSolarisCluster, LAB_RTR_PATH, SOLARIS_RT_CHANGES, solarisNodeFields, writeLabPackage, type SolarisRtChange } from '../../lab/solaris/lab-solaris.js';
import { readClusterState, readHistory, writeClusterState, writeNodeState } from '../../lab/state/lab-state.js';
import type { OperationResult } from '../../shared/domain/operation.js';
import type { Tunable } from '../../shared/domain/solaris.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['server1', 'server2', 'server3'];
const GROUPS = ['app-rg1', 'app-rg2'];
/** app-rs2 depends on app-rs1: disabled first, enabled last. */
const RESOURCES = ['app-rs1', 'app-rs2'];

let temp: ReturnType<typeof makeTempDir>;
let lab: string;
let packagePath: string;
let admin: string;

function writeLab(change: SolarisRtChange, rtrTunable?: Tunable): void {
  packagePath = writeLabPackage(join(lab, 'packages'), { change, rtrTunable: rtrTunable ?? SOLARIS_RT_CHANGES[change].tunable });
  writeClusterState(lab, initialSolarisCluster('lab-sc', NODES));
  for (const name of NODES) {
    const dir = join(lab, 'nodes', name);
    writeNodeState(lab, {
      name,
      ...solarisNodeFields(),
      bootId: `boot-${name}`,
      power: 'up',
      rebootDelayMs: 0,
      bootCount: 1,
      bootTime: 0,
      rpmDbPath: join(dir, 'rpmdb'),
      faults: [],
      listen: '127.0.0.1:0',
      packageDir: join(lab, 'packages'),
      hooksDir: join(dir, 'hooks'),
    });
  }
}

const sim = (node: string): SimExecutor => new SimExecutor({ labDir: lab, node, exitProcess: (powerOff) => powerOff() });
/** Cluster commands go to a node in the cluster: server3 hosts no group, server1 when server3 is out. */
const cluster = (via = 'server3'): SolarisClusterDriver => new SolarisClusterDriver({ executor: sim(via), release: '3.2' });
const packages = (node: string): Svr4Driver => new Svr4Driver({ executor: sim(node), adminFile: admin });

async function ok(result: Promise<OperationResult>, what: string): Promise<void> {
  const done = await result;
  expect(done.ok ? '' : done.message, what).toBe('');
}

async function rebootInto(node: string, argv: string[]): Promise<void> {
  expect((await sim(node).run({ argv, timeoutMs: 5_000 })).exitCode).toBe(0);
  await bootNode(lab, node, Date.now());
}

/** One node at a time: evacuate, leave the cluster, the package work, rejoin. */
async function rolling(withPkgrm: boolean): Promise<void> {
  for (const node of NODES) {
    const via = node === 'server3' ? 'server1' : 'server3';
    await ok(cluster(via).act({ kind: 'evacuate', node }), `evacuate ${node}`);
    await rebootInto(node, ['reboot', '--', '-x']);
    if (withPkgrm) await ok(packages(node).apply({ action: 'remove', name: 'LABapp' }), `pkgrm on ${node}`);
    await ok(packages(node).apply({ action: 'upgrade', path: packagePath }), `pkgadd on ${node}`);
    await rebootInto(node, ['reboot']);
  }
}

async function doStep(step: RtStep): Promise<void> {
  const each = async (names: readonly string[], act: (name: string) => Parameters<SolarisClusterDriver['act']>[0]): Promise<void> => {
    for (const name of names) await ok(cluster().act(act(name)), `${step} ${name}`);
  };
  switch (step) {
    case 'unmonitor':
      return each(RESOURCES, (resource) => ({ kind: 'unmonitor', resource }));
    case 'monitor':
      return each(RESOURCES, (resource) => ({ kind: 'monitor', resource }));
    case 'disable':
      return each([...RESOURCES].reverse(), (resource) => ({ kind: 'disable-resource', resource }));
    case 'enable':
      return each(RESOURCES, (resource) => ({ kind: 'enable-resource', resource }));
    case 'offline':
      return each(GROUPS, (resourceGroup) => ({ kind: 'rg-offline', resourceGroup }));
    case 'online':
      return each(GROUPS, (resourceGroup) => ({ kind: 'rg-online', resourceGroup }));
    case 'unmanage':
      await each(GROUPS, (resourceGroup) => ({ kind: 'rg-offline', resourceGroup }));
      return each(GROUPS, (resourceGroup) => ({ kind: 'rg-unmanage', resourceGroup }));
    case 'manage':
      await each(GROUPS, (resourceGroup) => ({ kind: 'rg-manage', resourceGroup }));
      return each(GROUPS, (resourceGroup) => ({ kind: 'rg-online', resourceGroup }));
    case 'register':
      return ok(cluster().act({ kind: 'register-type', rtrPath: LAB_RTR_PATH, resourceType: 'LAB.app' }), 'register');
    case 'migrate':
      return each(RESOURCES, (resource) => ({ kind: 'set-type-version', resource, typeVersion: '2.0' }));
    case 'pkgadd-all':
      for (const node of NODES) await ok(packages(node).apply({ action: 'upgrade', path: packagePath }), `pkgadd on ${node}`);
      return;
    case 'rolling-pkgrm-pkgadd':
      return rolling(true);
    case 'rolling-pkgadd':
      return rolling(false);
  }
}

beforeEach(async () => {
  temp = makeTempDir('lockstep-sc-rows-');
  lab = temp.dir;
  admin = await writeAdminFile(temp.dir);
});

afterEach(() => temp.remove());

describe('each row of table 3-1, in the seed’s order, on a 3-node lab', () => {
  for (const change of RT_CHANGES) {
    it(change, async () => {
      writeLab(change);
      for (const { step } of RT_CHANGE_ROWS[change].steps) await doStep(step);
      const migrated = RT_CHANGE_ROWS[change].tunable !== null;
      const resources = await cluster().resources('LAB.app');
      expect(resources.map((resource) => [resource.name, resource.typeVersion, resource.enabledEverywhere, resource.monitoredEverywhere, resource.onlineOn.length])).toEqual(
        RESOURCES.map((name) => [name, migrated ? '2.0' : '1.0', true, true, 1]),
      );
      const state = readClusterState(lab);
      expect(state.violations).toEqual([]);
      expect(Object.values(state.servers).map((server) => server.state)).toEqual(['online', 'online', 'online']);
      expect(state.resourceGroups?.map((group) => group.state)).toEqual(['online', 'online']);
      for (const node of NODES) expect(await packages(node).query('LABapp'), node).toMatchObject({ version: '2.0' });
      // One pkgadd per node, whatever the row.
      expect(readHistory(lab).filter((entry) => entry.argv[0] === 'pkgadd' && entry.exit === 0).map((entry) => entry.node).sort()).toEqual(NODES);
    });
  }
});

describe('the wrong procedure fails on the lab as on a real cluster', () => {
  it('the ANYTIME steps against an RTR that demands WHEN_OFFLINE (--rtr-tunable): the migration is refused', async () => {
    writeLab('methods-new-path', 'WHEN_OFFLINE');
    await doStep('pkgadd-all');
    await doStep('register');
    const refused = await cluster().act({ kind: 'set-type-version', resource: 'app-rs1', typeVersion: '2.0' });
    expect([refused.ok, refused.message]).toEqual([false, expect.stringContaining('WHEN_OFFLINE')]);
  });

  it('pkgadd on every node at once of a package that overwrites the methods (new-property-not-needed asks for rolling): a violation on each node serving', async () => {
    writeLab('new-property-not-needed');
    for (const node of NODES) await packages(node).apply({ action: 'upgrade', path: packagePath });
    expect(readClusterState(lab).violations).toEqual([expect.stringContaining('on server1'), expect.stringContaining('on server2')]);
  });

  it('the WHEN_UNMONITORED steps for a WHEN_DISABLED row: the monitor is off but the resource runs, so the migration is refused', async () => {
    writeLab('new-property-needed');
    await doStep('unmonitor');
    await doStep('rolling-pkgrm-pkgadd');
    await doStep('register');
    const refused = await cluster().act({ kind: 'set-type-version', resource: 'app-rs2', typeVersion: '2.0' });
    expect([refused.ok, refused.message]).toEqual([false, expect.stringContaining('WHEN_DISABLED')]);
  });
});
