// The Solaris Cluster driver: the exact argv of each action in the 3.2+ and 3.1 forms
// (REFERENCE.md), names checked against the cluster before anything runs, and state read
// from the tools' output (test/fixtures/solaris).
import { describe, expect, it } from 'vitest';
import { SolarisClusterDriver } from '../../agent/drivers/cluster/solaris/solaris-cluster-driver.js';
import type { ClusterAction } from '../../shared/domain/cluster.js';
import { readFixture } from '../support/fixture.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';

const fixture = (name: string): string => readFixture(`solaris/${name}`);

/** A cluster that answers the status commands from the fixtures and every action with success. */
function clusterExecutor(): ScriptedExecutor {
  return new ScriptedExecutor([
    { match: 'clnode status', answer: { stdout: fixture('clnode-status.txt') } },
    { match: 'clresourcegroup status', answer: { stdout: fixture('clresourcegroup-status.txt') } },
    { match: 'clresource status', answer: { stdout: fixture('clresource-status.txt') } },
    { match: 'clresource show -v', answer: { stdout: fixture('clresource-show.txt') } },
    { match: () => true, answer: {} },
  ]);
}

const STATUS_COMMANDS = new Set(['clnode status', 'clresourcegroup status', 'clresource status']);
const actions = (executor: ScriptedExecutor): string[][] => executor.argvs.filter((argv) => !STATUS_COMMANDS.has(argv.join(' ')));

describe('SolarisClusterDriver.act, Solaris Cluster 3.2+', () => {
  it.each<[ClusterAction, string[]]>([
    [{ kind: 'register-type', resourceType: 'LAB.app', rtrPath: '/opt/LABapp/etc/LAB.app' }, ['clresourcetype', 'register', '-f', '/opt/LABapp/etc/LAB.app', 'LAB.app']],
    [{ kind: 'set-type-version', resource: 'app-rs1', typeVersion: '2.0' }, ['clresource', 'set', '-p', 'Type_version=2.0', 'app-rs1']],
    [{ kind: 'unmonitor', resource: 'app-rs1' }, ['clresource', 'unmonitor', 'app-rs1']],
    [{ kind: 'monitor', resource: 'app-rs2' }, ['clresource', 'monitor', 'app-rs2']],
    [{ kind: 'disable-resource', resource: 'app-rs1' }, ['clresource', 'disable', 'app-rs1']],
    [{ kind: 'enable-resource', resource: 'app-rs1' }, ['clresource', 'enable', 'app-rs1']],
    [{ kind: 'rg-offline', resourceGroup: 'app-rg1' }, ['clresourcegroup', 'offline', 'app-rg1']],
    [{ kind: 'rg-online', resourceGroup: 'app-rg1' }, ['clresourcegroup', 'online', 'app-rg1']],
    [{ kind: 'rg-unmanage', resourceGroup: 'app-rg2' }, ['clresourcegroup', 'unmanage', 'app-rg2']],
    [{ kind: 'rg-manage', resourceGroup: 'app-rg2' }, ['clresourcegroup', 'manage', 'app-rg2']],
    [{ kind: 'evacuate', node: 'phys-schost-2' }, ['clnode', 'evacuate', 'phys-schost-2']],
  ])('%o runs %o', async (action, argv) => {
    const executor = clusterExecutor();
    const result = await new SolarisClusterDriver({ executor, release: '3.2' }).act(action);
    expect(actions(executor)).toEqual([argv]);
    expect(result.ok).toBe(true);
  });

  it.each<[ClusterAction, RegExp]>([
    [{ kind: 'disable-resource', resource: 'app-rs9' }, /no resource "app-rs9" \(it has: app-rs1, app-rs2\); nothing was run/],
    [{ kind: 'rg-offline', resourceGroup: 'db-rg' }, /no resource group "db-rg" \(it has: app-rg1, app-rg2\)/],
    [{ kind: 'evacuate', node: 'phys-schost-9' }, /no node "phys-schost-9" \(it has: phys-schost-1, phys-schost-2, phys-schost-3\)/],
  ])('refuses %o naming what the cluster does not have, running nothing', async (action, message) => {
    const executor = clusterExecutor();
    await expect(new SolarisClusterDriver({ executor, release: '3.2' }).act(action)).rejects.toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', message: expect.stringMatching(message) }));
    expect(actions(executor)).toEqual([]);
  });

  it('reports a failed command with its exit code and message, not as success', async () => {
    const executor = new ScriptedExecutor([
      { match: 'clresource status', answer: { stdout: fixture('clresource-status.txt') } },
      { match: /^clresource disable/, answer: { exitCode: 1, stderr: 'clresource:  (C748634) Resource "app-rs1" depends on "app-rs2".\n' } },
    ]);
    const result = await new SolarisClusterDriver({ executor, release: '3.2' }).act({ kind: 'disable-resource', resource: 'app-rs1' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/exited with 1.*depends on/);
  });

  it('refuses CLUSTERPRO actions and points leaving/rejoining the cluster to the reboot operation', async () => {
    const driver = new SolarisClusterDriver({ executor: clusterExecutor(), release: '3.2' });
    await expect(driver.act({ kind: 'move-group', group: 'failover1' })).rejects.toThrow(/not supported by the solaris-cluster driver: it is a CLUSTERPRO action/);
    await expect(driver.act({ kind: 'boot-noncluster' })).rejects.toThrow(/reboot -- -x/);
  });
});

describe('SolarisClusterDriver.act, Sun Cluster 3.1', () => {
  it.each<[ClusterAction, string[]]>([
    [{ kind: 'register-type', resourceType: 'LAB.app', rtrPath: '/opt/LABapp/etc/LAB.app' }, ['scrgadm', '-a', '-t', 'LAB.app', '-f', '/opt/LABapp/etc/LAB.app']],
    [{ kind: 'set-type-version', resource: 'rac_udlm', typeVersion: '2.0' }, ['scrgadm', '-c', '-j', 'rac_udlm', '-y', 'Type_version=2.0']],
    [{ kind: 'unmonitor', resource: 'rac_udlm' }, ['scswitch', '-M', '-n', '-j', 'rac_udlm']],
    [{ kind: 'monitor', resource: 'rac_udlm' }, ['scswitch', '-M', '-e', '-j', 'rac_udlm']],
    [{ kind: 'disable-resource', resource: 'rac_udlm' }, ['scswitch', '-n', '-j', 'rac_udlm']],
    [{ kind: 'enable-resource', resource: 'rac_udlm' }, ['scswitch', '-e', '-j', 'rac_udlm']],
    [{ kind: 'rg-offline', resourceGroup: 'rac-framework-rg' }, ['scswitch', '-F', '-g', 'rac-framework-rg']],
    [{ kind: 'rg-online', resourceGroup: 'rac-framework-rg' }, ['scswitch', '-Z', '-g', 'rac-framework-rg']],
    [{ kind: 'rg-unmanage', resourceGroup: 'rac-framework-rg' }, ['scswitch', '-u', '-g', 'rac-framework-rg']],
    [{ kind: 'rg-manage', resourceGroup: 'rac-framework-rg' }, ['scswitch', '-o', '-g', 'rac-framework-rg']],
    [{ kind: 'evacuate', node: 'phys-schost-1' }, ['scswitch', '-S', '-h', 'phys-schost-1']],
  ])('%o runs %o', async (action, argv) => {
    const executor = sc31Executor();
    await new SolarisClusterDriver({ executor, release: '3.1' }).act(action);
    expect(executor.argvs.filter((each) => each[0] !== 'scstat')).toEqual([argv]);
  });

  it('refuses a resource the cluster does not have, read from scstat -g; nothing runs', async () => {
    const executor = sc31Executor();
    await expect(new SolarisClusterDriver({ executor, release: '3.1' }).act({ kind: 'disable-resource', resource: 'app-rs9' })).rejects.toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', message: expect.stringMatching(/no resource "app-rs9" \(it has: rac_framework, rac_udlm, rac_cvm\)/) }),
    );
    expect(executor.argvs).toEqual([['scstat', '-g']]);
  });
});

/** A Sun Cluster 3.1 node, answering scstat from the manuals' samples and scha_resource_get per resource. */
function sc31Executor(): ScriptedExecutor {
  const property: Record<string, Record<string, string>> = {
    rac_framework: { TYPE: 'SUNW.rac_framework', TYPE_VERSION: '3.1', ON_OFF_SWITCH: 'ENABLED', MONITORED_SWITCH: 'ENABLED', RESOURCE_DEPENDENCIES: '' },
    rac_udlm: { TYPE: 'SUNW.rac_udlm:3.1', TYPE_VERSION: '3.1', ON_OFF_SWITCH: 'ENABLED', MONITORED_SWITCH: 'DISABLED', RESOURCE_DEPENDENCIES: 'rac_framework\n' },
    rac_cvm: { TYPE: 'SUNW.rac_cvm', TYPE_VERSION: '3.1', ON_OFF_SWITCH: 'DISABLED', MONITORED_SWITCH: 'DISABLED', RESOURCE_DEPENDENCIES: 'rac_framework\n' },
  };
  return new ScriptedExecutor([
    { match: 'scstat -g', answer: { stdout: fixture('scstat-g-sc31-rac.txt') } },
    { match: 'scstat -n', answer: { stdout: fixture('scstat-p-sc31.txt') } },
    {
      match: (argv) => argv[0] === 'scha_resource_get',
      answer: ({ argv }) => ({ stdout: `${property[argv[4] as string]?.[argv[2] as string] ?? ''}\n` }),
    },
    { match: () => true, answer: {} },
  ]);
}

describe('SolarisClusterDriver state, Sun Cluster 3.1 (scstat, scha_resource_get)', () => {
  it('reads nodes with scstat -n and groups with scstat -g, a multi-word "Online faulted" as online', async () => {
    const status = await new SolarisClusterDriver({ executor: sc31Executor(), release: '3.1' }).status();
    expect(status.servers.map((server) => [server.name, server.state])).toEqual(['phys-schost-1', 'phys-schost-2', 'phys-schost-3', 'phys-schost-4'].map((name) => [name, 'online']));
    expect(status.groups).toEqual([{ name: 'rac-framework-rg', state: 'online', stateText: 'Online faulted', currentServer: 'node1', nodeList: ['node1', 'node2'] }]);
  });

  it('lists the resources of a type with scha_resource_get: Type_version, the cluster-wide switches, dependencies, where online', async () => {
    const executor = sc31Executor();
    const resources = await new SolarisClusterDriver({ executor, release: '3.1' }).resourcesOfType('SUNW.rac_udlm');
    expect(resources).toEqual([
      { name: 'rac_udlm', type: 'SUNW.rac_udlm:3.1', typeVersion: '3.1', group: 'rac-framework-rg', dependsOn: ['rac_framework'], enabled: true, monitored: false, onlineOn: ['node2'] },
    ]);
    // The other resources' types are read, nothing more of them.
    expect(executor.argvs.filter((argv) => argv[0] === 'scha_resource_get' && argv[4] !== 'rac_udlm').map((argv) => argv[2])).toEqual(['TYPE', 'TYPE']);
    expect(executor.argvs).toContainEqual(['scha_resource_get', '-O', 'TYPE_VERSION', '-R', 'rac_udlm', '-G', 'rac-framework-rg']);
  });

  it('refuses a switch that is neither ENABLED nor DISABLED, naming the resource', async () => {
    const executor = new ScriptedExecutor([
      { match: 'scstat -g', answer: { stdout: fixture('scstat-g-sc31-rac.txt') } },
      { match: (argv) => argv[2] === 'TYPE', answer: { stdout: 'SUNW.rac_udlm\n' } },
      { match: (argv) => argv[2] === 'ON_OFF_SWITCH', answer: { stdout: 'MAYBE\n' } },
      { match: () => true, answer: { stdout: '1\n' } },
    ]);
    await expect(new SolarisClusterDriver({ executor, release: '3.1' }).resources('SUNW.rac_udlm')).rejects.toThrow(/ON_OFF_SWITCH -R rac_framework printed "MAYBE", expected ENABLED or DISABLED/);
  });
});

describe('SolarisClusterDriver state', () => {
  it('maps nodes to servers and resource groups to groups with the node they are online on and their node list, in its order', async () => {
    const status = await new SolarisClusterDriver({ executor: clusterExecutor(), release: '3.2' }).status();
    expect(status.servers.map((server) => [server.name, server.state])).toEqual([
      ['phys-schost-1', 'online'],
      ['phys-schost-2', 'online'],
      ['phys-schost-3', 'offline'],
    ]);
    expect(status.groups).toEqual([
      { name: 'app-rg1', state: 'online', stateText: 'Online', currentServer: 'phys-schost-1', nodeList: ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'] },
      { name: 'app-rg2', state: 'online', stateText: 'Online', currentServer: 'phys-schost-2', nodeList: ['phys-schost-2', 'phys-schost-3', 'phys-schost-1'] },
    ]);
    expect(status.stopped).toBe(false);
  });

  it('reports an unmanaged group as neither online nor offline, with no current server', async () => {
    const executor = new ScriptedExecutor([
      { match: 'clnode status', answer: { stdout: fixture('clnode-status.txt') } },
      { match: 'clresourcegroup status', answer: { stdout: fixture('clresourcegroup-status-unmanaged.txt') } },
    ]);
    const [unmanaged, erroring] = (await new SolarisClusterDriver({ executor, release: '3.2' }).status()).groups;
    expect(unmanaged).toMatchObject({ name: 'app-rg1', state: 'other', stateText: 'Unmanaged', currentServer: null });
    expect(erroring).toMatchObject({ state: 'online-pending', currentServer: null });
  });

  it('lists the resources of a type with Type_version, enabled, monitored and where they are online', async () => {
    const resources = await new SolarisClusterDriver({ executor: clusterExecutor(), release: '3.2' }).resources('LAB.app');
    expect(resources.map(({ name, typeVersion, group, enabledEverywhere, monitoredEverywhere, onlineOn }) => ({ name, typeVersion, group, enabledEverywhere, monitoredEverywhere, onlineOn }))).toEqual([
      { name: 'app-rs1', typeVersion: '1.0', group: 'app-rg1', enabledEverywhere: true, monitoredEverywhere: true, onlineOn: ['phys-schost-1'] },
      { name: 'app-rs2', typeVersion: '1.0', group: 'app-rg2', enabledEverywhere: false, monitoredEverywhere: false, onlineOn: ['phys-schost-2'] },
    ]);
    expect(await new SolarisClusterDriver({ executor: clusterExecutor(), release: '3.2' }).resources('SUNW.nfs')).toEqual([]);
  });
});

describe('SolarisClusterDriver commands', () => {
  it('are looked up in /usr/cluster/bin, where Solaris Cluster installs them, with a timeout; by name, no shell', async () => {
    const executor = clusterExecutor();
    await new SolarisClusterDriver({ executor, release: '3.2', timeoutMs: 30_000 }).act({ kind: 'monitor', resource: 'app-rs1' });
    expect(executor.requests.map((request) => [request.argv[0], request.env?.PATH?.split(':')[0], request.timeoutMs])).toEqual([
      ['clresource', '/usr/cluster/bin', 30_000],
      ['clresource', '/usr/cluster/bin', 30_000],
    ]);
  });
});
