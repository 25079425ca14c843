// The simulated Solaris Cluster node (issue 13) answers the agent's real drivers: every
// assertion goes through SolarisClusterDriver and Svr4Driver over the SimExecutor, on a lab
// on disk laid out as `lockstep lab up --product solaris-cluster` lays it out. Each refusal
// of the real cluster is refused here, and one row of table 3-1 is done by hand in the seed's
// order.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SolarisClusterDriver, type ScResource } from '../../agent/drivers/cluster/solaris/solaris-cluster-driver.js';
import { Svr4Driver, writeAdminFile } from '../../agent/drivers/package/svr4-driver.js';
import { RT_CHANGE_ROWS, RT_CHANGES } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import { switchPower } from '../../lab/lab-power.js';
import { bootNode } from '../../lab/node/sim-boot.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { SimFacts } from '../../lab/node/sim-facts.js';
import {
  initialSolarisCluster,
  LAB_RTR_PATH,
  SOLARIS_RT_CHANGES,
  solarisNodeFields,
  writeLabPackage,
  type SolarisRtChange,
} from '../../lab/solaris/lab-solaris.js';
import type { ScRelease } from '../../lab/solaris/sc-node-facts.js';
import { readClusterState, readHistory, readNodeState, writeClusterState, writeNodeState } from '../../lab/state/lab-state.js';
import { parseRtr, rtrTunableFor } from '../../shared/solaris-rtr.js';
import type { Tunable } from '../../shared/domain/solaris.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['server1', 'server2', 'server3'];

let temp: ReturnType<typeof makeTempDir>;
let lab: string;
let packagePath: string;
let admin: string;
let clock: number;

function writeSolarisLab(change: SolarisRtChange, rtrTunable?: Tunable, scRelease?: ScRelease): void {
  const row = SOLARIS_RT_CHANGES[change];
  packagePath = writeLabPackage(join(lab, 'packages'), { change, rtrTunable: rtrTunable ?? row.tunable });
  writeClusterState(lab, initialSolarisCluster('lab-sc', NODES, scRelease));
  for (const [index, name] of NODES.entries()) {
    const dir = join(lab, 'nodes', name);
    writeNodeState(lab, {
      name,
      ...solarisNodeFields(),
      bootId: `boot-${name}-0`,
      power: 'up',
      rebootDelayMs: 0,
      bootCount: 1,
      bootTime: 0,
      rpmDbPath: join(dir, 'rpmdb'),
      faults: [],
      listen: `127.0.0.1:${17_000 + index}`,
      packageDir: join(lab, 'packages'),
      hooksDir: join(dir, 'hooks'),
    });
  }
}

/** Power-offs apply at once (no agent process to exit); the node boots with bootNode, as the supervisor's restart does. */
function sim(node: string): SimExecutor {
  return new SimExecutor({ labDir: lab, node, now: () => clock, exitProcess: (powerOff) => powerOff() });
}

const cluster = (node = 'server1'): SolarisClusterDriver => new SolarisClusterDriver({ executor: sim(node), release: '3.2' });
const packages = (node: string): Svr4Driver => new Svr4Driver({ executor: sim(node), adminFile: admin });
const run = (node: string, ...argv: string[]) => sim(node).run({ argv, timeoutMs: 5_000 });

function summary(resources: ScResource[]): Array<[string, string, boolean, boolean, string[]]> {
  return resources.map((resource) => [resource.name, resource.typeVersion, resource.enabledEverywhere, resource.monitoredEverywhere, resource.onlineOn]);
}

/** The cluster as lab up lays it out, read through `driver`: every node in, both groups online at home, LAB.app 1.0 resources, app-rs2 depending on app-rs1. */
async function expectLaidOutCluster(driver: SolarisClusterDriver): Promise<void> {
  const status = await driver.status();
  expect(status.servers.map((server) => [server.name, server.state])).toEqual(NODES.map((node) => [node, 'online']));
  expect(status.groups.map((group) => [group.name, group.state, group.currentServer])).toEqual([
    ['app-rg1', 'online', 'server1'],
    ['app-rg2', 'online', 'server2'],
  ]);
  const resources = await driver.resources('LAB.app');
  expect(summary(resources)).toEqual([
    ['app-rs1', '1.0', true, true, ['server1']],
    ['app-rs2', '1.0', true, true, ['server2']],
  ]);
  expect(resources.map((resource) => [resource.type, resource.dependsOn])).toEqual([
    ['LAB.app:1.0', []],
    ['LAB.app:1.0', ['app-rs1']],
  ]);
}

beforeEach(async () => {
  temp = makeTempDir('lockstep-sc-lab-');
  lab = temp.dir;
  admin = await writeAdminFile(temp.dir);
  clock = Date.UTC(2026, 11, 1, 1, 0, 0);
});

afterEach(() => temp.remove());

describe("the lab's rows of table 3-1", () => {
  it('agree with the coordinator’s table: the Tunable, and how the package handles the methods', () => {
    const packaging: Record<string, string> = {
      'rtr-only': '新しい RTR ファイルを配布するだけです。',
      'new-path': '更新されたメソッドを古いメソッドとは異なったパスに配置します。',
      'monitor-in-place': '以前のバージョンのモニターを上書きするだけです。',
      'methods-in-place': '以前のバージョンのメソッドを上書きします。',
    };
    expect(Object.keys(SOLARIS_RT_CHANGES)).toEqual([...RT_CHANGES]);
    for (const change of RT_CHANGES) {
      expect(SOLARIS_RT_CHANGES[change].tunable, change).toBe(RT_CHANGE_ROWS[change].tunable);
      expect(packaging[SOLARIS_RT_CHANGES[change].replaces], change).toBe(RT_CHANGE_ROWS[change].seedPackaging);
    }
  });

  it("the package's RTR carries the row's #$upgrade_from line, or --rtr-tunable's", () => {
    writeSolarisLab('update-stop-incompatible');
    const rtr = parseRtr(readClusterRtr(), LAB_RTR_PATH);
    expect(rtr).toMatchObject({ vendorId: 'LAB', resourceType: 'app', rtVersion: '2.0', upgradeAware: true });
    expect(rtrTunableFor(rtr, '1.0').tunable).toBe('WHEN_OFFLINE');
    temp.remove();
    temp = makeTempDir('lockstep-sc-lab-');
    lab = temp.dir;
    writeSolarisLab('rtr-only', 'WHEN_DISABLED');
    expect(rtrTunableFor(parseRtr(readClusterRtr(), LAB_RTR_PATH), '1.0').tunable).toBe('WHEN_DISABLED');
  });
});

/** The RTR file inside the package directory, where pkgadd installs it from. */
function readClusterRtr(): string {
  return readFileSync(join(packagePath, 'root', LAB_RTR_PATH), 'utf8');
}

describe('a SunOS node of the lab', () => {
  beforeEach(() => writeSolarisLab('update-stop-incompatible'));

  it('answers uname, the cluster release and its facts as SunOS 5.10', async () => {
    expect((await run('server1', 'uname', '-s')).stdout).toBe('SunOS\n');
    expect((await run('server1', 'uname', '-r')).stdout).toBe('5.10\n');
    expect((await run('server1', 'cat', '/etc/cluster/release')).stdout.split('\n')[0]).toBe('Sun Cluster 3.2u3 for Solaris 10 sparc');
    expect((await run('server1', 'rpm', '-q', 'clusterpro')).exitCode).toBe(127);
    const facts = new SimFacts(lab, 'server1');
    expect([facts.os(), await facts.kernelRelease(), await facts.machine()]).toEqual(['solaris', '5.10', 'sun4u']);
  });

  it('reads the cluster through the driver: LAB.app 1.0 resources, enabled, monitored, online; app-rs2 depends on app-rs1', async () => {
    await expectLaidOutCluster(cluster());
  });

  it('reads the installed package and the update’s package directory through the Svr4Driver', async () => {
    expect(await packages('server2').query('LABapp')).toMatchObject({ installed: true, name: 'LABapp', version: '1.0' });
    expect(await packages('server2').inspectFile(packagePath)).toMatchObject({ installed: false, name: 'LABapp', version: '2.0' });
    expect(await packages('server2').query('SUNWnosuch')).toMatchObject({ installed: false });
  });
});

describe('the refusals of the real cluster', () => {
  it('Type_version before the Tunable is satisfied (WHEN_OFFLINE, the group online): refused, nothing changes', async () => {
    writeSolarisLab('update-stop-incompatible');
    for (const node of NODES) expect(await packages(node).apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    expect(await cluster().act({ kind: 'register-type', rtrPath: LAB_RTR_PATH, resourceType: 'LAB.app' })).toMatchObject({ ok: true });
    const refused = await cluster().act({ kind: 'set-type-version', resource: 'app-rs1', typeVersion: '2.0' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain('WHEN_OFFLINE');
    expect(readClusterState(lab).resources?.find((resource) => resource.name === 'app-rs1')?.typeVersion).toBe('1.0');
  });

  it('register before the new RTR is on every node: refused naming the nodes without it', async () => {
    writeSolarisLab('methods-new-path');
    expect(await packages('server1').apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    const refused = await cluster().act({ kind: 'register-type', rtrPath: LAB_RTR_PATH, resourceType: 'LAB.app' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain('server2, server3');
    expect(readClusterState(lab).resourceTypes?.map((type) => type.name)).toEqual(['LAB.app:1.0']);
  });

  it('disable while an enabled resource depends on it: refused naming the dependent', async () => {
    writeSolarisLab('new-property-needed');
    const refused = await cluster().act({ kind: 'disable-resource', resource: 'app-rs1' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain('app-rs2');
    expect(await cluster().act({ kind: 'disable-resource', resource: 'app-rs2' })).toMatchObject({ ok: true });
    expect(await cluster().act({ kind: 'disable-resource', resource: 'app-rs1' })).toMatchObject({ ok: true });
    expect(summary(await cluster().resources()).map(([name, , enabled]) => [name, enabled])).toEqual([
      ['app-rs1', false],
      ['app-rs2', false],
    ]);
  });

  it('unmanage an online group: refused; offline first, then it is unmanaged', async () => {
    writeSolarisLab('fini-incompatible');
    const refused = await cluster().act({ kind: 'rg-unmanage', resourceGroup: 'app-rg1' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toContain('offline');
    expect(await cluster().act({ kind: 'rg-offline', resourceGroup: 'app-rg1' })).toMatchObject({ ok: true });
    expect(await cluster().act({ kind: 'rg-unmanage', resourceGroup: 'app-rg1' })).toMatchObject({ ok: true });
    expect((await cluster().groups())[0]?.nodes.map((node) => node.statusText)).toEqual(['Unmanaged', 'Unmanaged', 'Unmanaged']);
  });

  it('pkgadd over the methods in place where a resource of the type is online: a violation in cluster.json, and the command fails', async () => {
    writeSolarisLab('new-property-needed');
    const result = await packages('server1').apply({ action: 'upgrade', path: packagePath });
    expect(result.ok).toBe(false);
    expect(result.message).toContain('take the node out of the cluster first');
    expect(readClusterState(lab).violations).toEqual([expect.stringContaining('pkgadd LABapp on server1 replaced the methods of LAB.app in place while app-rs1 ran on it')]);
    expect(await packages('server1').query('LABapp')).toMatchObject({ version: '1.0' });
    // server3 runs no resource: the same pkgadd there is no violation.
    expect(await packages('server3').apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    expect(readClusterState(lab).violations).toHaveLength(1);
  });

  it('a resource the cluster does not have is an error naming it, before anything runs', async () => {
    writeSolarisLab('rtr-only');
    await expect(cluster().act({ kind: 'monitor', resource: 'app-rs9' })).rejects.toThrow(/no resource "app-rs9"/);
    const refused = await run('server1', 'clresource', 'enable', 'app-rs9');
    expect([refused.exitCode, refused.stderr]).toEqual([1, 'clresource: resource app-rs9 does not exist\n']);
  });
});

describe('commands with several operands', () => {
  it('act on each in turn: a refusal stops the command and keeps what came before; pkgrm of a package not installed fails', async () => {
    writeSolarisLab('new-monitor');
    const partial = await run('server3', 'clresource', 'unmonitor', 'app-rs1', 'app-rs9', 'app-rs2');
    expect([partial.exitCode, partial.stderr]).toEqual([1, 'clresource: resource app-rs9 does not exist\n']);
    expect(readClusterState(lab).resources?.map((resource) => resource.monitored)).toEqual([false, true]);
    expect((await run('server3', 'clresource', 'disable', 'app-rs2', 'app-rs1')).exitCode).toBe(0);
    expect(readClusterState(lab).resources?.map((resource) => resource.enabled)).toEqual([false, false]);
    const status = await run('server3', 'clresourcegroup', 'status', 'app-rg1', 'app-rg9');
    expect([status.exitCode, status.stderr]).toEqual([1, 'clresourcegroup: resource group app-rg9 does not exist\n']);
    expect((await run('server3', 'clresource', 'show', '-v', 'app-rs2')).stdout).toContain('app-rs2');
    const pkgrm = await run('server3', 'pkgrm', '-n', '-a', admin, 'SUNWnosuch');
    expect([pkgrm.exitCode, pkgrm.stderr]).toEqual([1, 'pkgrm: ERROR: no package associated with <SUNWnosuch>\n']);
  });
});

describe('a node out of the cluster and back (reboot -- -x, reboot)', () => {
  it('evacuates, boots noncluster where cl* refuses and pkgrm/pkgadd replace methods safely, then rejoins', async () => {
    writeSolarisLab('new-property-not-needed');
    expect(await cluster('server1').act({ kind: 'evacuate', node: 'server1' })).toMatchObject({ ok: true });
    expect((await cluster('server2').status()).groups.map((group) => group.currentServer)).toEqual(['server2', 'server2']);
    expect((await run('server1', 'reboot', '--', '-x')).exitCode).toBe(0);
    expect([readNodeState(lab, 'server1').power, readClusterState(lab).servers.server1?.state]).toEqual(['down', 'down']);
    expect((await bootNode(lab, 'server1', clock)).serverState).toBe('noncluster');
    expect((await cluster('server2').status()).servers.find((server) => server.name === 'server1')?.state).toBe('offline');
    const outside = await run('server1', 'clresource', 'status');
    expect([outside.exitCode, outside.stderr]).toEqual([1, 'clresource:  (C152734) This node is not in cluster mode.\n']);

    expect(await packages('server1').apply({ action: 'remove', name: 'LABapp' })).toMatchObject({ ok: true });
    expect(await packages('server1').apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true, packageChange: { after: { version: '2.0' } } });
    expect(readClusterState(lab).violations).toEqual([]);

    expect((await run('server1', 'reboot')).exitCode).toBe(0);
    expect((await bootNode(lab, 'server1', clock)).serverState).toBe('online');
    expect((await cluster('server1').status()).servers.map((server) => server.state)).toEqual(['online', 'online', 'online']);
    expect(readHistory(lab).filter((entry) => entry.node === 'server1' && ['reboot', 'pkgrm', 'pkgadd'].includes(entry.argv[0] as string)).map((entry) => entry.argv.join(' '))).toEqual([
      'reboot -- -x',
      `pkgrm -n -a ${admin} LABapp`,
      `pkgadd -n -a ${admin} -d ${join(lab, 'packages')} LABapp`,
      'reboot',
    ]);
  });
});

describe('files, the admin file and a power loss', () => {
  it('cat serves the RTR a package installed, once it is installed', async () => {
    writeSolarisLab('methods-new-path');
    expect((await run('server1', 'cat', LAB_RTR_PATH)).stdout).toContain('RT_VERSION = "1.0";');
    expect(await packages('server1').apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    expect((await run('server1', 'cat', LAB_RTR_PATH)).stdout).toContain('#$upgrade_from "1.0" ANYTIME');
    expect((await run('server1', 'cat', '/etc/passwd')).exitCode).toBe(2);
  });

  it('pkgadd without a readable admin file, or with one that does not overwrite, is refused and changes nothing', async () => {
    writeSolarisLab('rtr-only');
    const missing = await new Svr4Driver({ executor: sim('server3'), adminFile: join(lab, 'no-such.admin') }).apply({ action: 'upgrade', path: packagePath });
    expect([missing.ok, missing.message]).toEqual([false, expect.stringContaining('unable to open admin file')]);
    writeFileSync(join(lab, 'unique.admin'), 'mail=\ninstance=unique\n');
    const unique = await new Svr4Driver({ executor: sim('server3'), adminFile: join(lab, 'unique.admin') }).apply({ action: 'upgrade', path: packagePath });
    expect([unique.ok, unique.message]).toEqual([false, expect.stringContaining('instance=overwrite')]);
    expect(await packages('server3').query('LABapp')).toMatchObject({ version: '1.0' });
  });

  it('lab power off: the node leaves the cluster and its group goes to the next node; on and booted: it is back in the cluster', async () => {
    writeSolarisLab('rtr-only');
    expect(await switchPower(lab, 'server1', 'off', () => clock)).toContain('app-rg1 on server2');
    expect(readClusterState(lab).servers.server1?.state).toBe('down');
    expect((await cluster('server2').status()).groups.map((group) => group.currentServer)).toEqual(['server2', 'server2']);
    await switchPower(lab, 'server1', 'on', () => clock);
    expect((await bootNode(lab, 'server1', clock)).serverState).toBe('online');
  });
});

describe('fault knobs on a SunOS node', () => {
  it('a failing pkgadd fails the driver’s apply with the knob’s message and is one line of history; the next one runs', async () => {
    writeSolarisLab('methods-new-path');
    writeNodeState(lab, { ...readNodeState(lab, 'server2'), faults: [{ match: ['pkgadd'], mode: 'fail', delayMs: 0, exitCode: 1, stderr: 'pkgadd: ERROR: cpio read error\n', times: 1 }] });
    const failedOnce = await packages('server2').apply({ action: 'upgrade', path: packagePath });
    expect([failedOnce.ok, failedOnce.message]).toEqual([false, expect.stringContaining('cpio read error')]);
    expect(await packages('server2').apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    expect(readHistory(lab).filter((entry) => entry.argv[0] === 'pkgadd').map((entry) => entry.exit)).toEqual([1, 0]);
  });
});

describe('the 3.1 forms (scrgadm, scswitch)', () => {
  it('act on the same model', async () => {
    writeSolarisLab('new-monitor');
    const sc31 = new SolarisClusterDriver({ executor: sim('server1'), release: '3.1' });
    expect(await sc31.act({ kind: 'unmonitor', resource: 'app-rs1' })).toMatchObject({ ok: true, commands: [{ argv: ['scswitch', '-M', '-n', '-j', 'app-rs1'] }] });
    const refused = await sc31.act({ kind: 'disable-resource', resource: 'app-rs1' });
    expect([refused.ok, refused.message]).toEqual([false, expect.stringContaining('app-rs2')]);
    expect(summary(await cluster().resources()).map(([name, , , monitored]) => [name, monitored])).toEqual([
      ['app-rs1', false],
      ['app-rs2', true],
    ]);
  });
});

describe('a Sun Cluster 3.1 node (lab up --sc-version 3.1)', () => {
  beforeEach(() => writeSolarisLab('update-stop-incompatible', undefined, '3.1'));
  const sc31 = (node = 'server1'): SolarisClusterDriver => new SolarisClusterDriver({ executor: sim(node), release: '3.1' });

  it('says 3.1 in /etc/cluster/release and has no cl* commands, as a real 3.1 node has none', async () => {
    expect((await run('server1', 'cat', '/etc/cluster/release')).stdout.split('\n')[0]).toBe('Sun Cluster 3.1u4 for Solaris 10 sparc');
    for (const program of ['clnode', 'clresourcegroup', 'clrg', 'clresource', 'clrs', 'clresourcetype', 'clrt', '/usr/cluster/bin/clresource']) {
      const answer = await run('server1', program, 'status');
      expect([answer.exitCode, answer.stderr], program).toEqual([127, `${program}: command not found\n`]);
    }
  });

  it('is read through the 3.1 driver (scstat -n, scstat -g, scha_resource_get) as the 3.2 driver reads a 3.2 node', async () => {
    await expectLaidOutCluster(sc31());
    expect(readHistory(lab).map((entry) => entry.argv[0])).not.toContain('clresource');
  });

  it('acts with scswitch and shows the result through scstat: unmonitored, offline, a name it does not have', async () => {
    expect(await sc31().act({ kind: 'unmonitor', resource: 'app-rs1' })).toMatchObject({ ok: true });
    expect(await sc31().act({ kind: 'rg-offline', resourceGroup: 'app-rg2' })).toMatchObject({ ok: true });
    const [rs1, rs2] = await sc31().resources();
    expect([rs1?.monitoredEverywhere, rs1?.onlineOn, rs2?.onlineOn]).toEqual([false, ['server1'], []]);
    expect((await sc31().status()).groups.map((group) => group.state)).toEqual(['online', 'offline']);
    await expect(sc31().act({ kind: 'rg-online', resourceGroup: 'app-rg9' })).rejects.toThrow(/no resource group "app-rg9" \(it has: app-rg1, app-rg2\)/);
    const unknown = await run('server1', 'scha_resource_get', '-O', 'TYPE', '-R', 'app-rs9');
    expect([unknown.exitCode, unknown.stderr]).toEqual([1, 'scha_resource_get: resource app-rs9 does not exist\n']);
    expect((await run('server1', 'scha_resource_get', '-O', 'NO_SUCH_OPTAG', '-R', 'app-rs1')).exitCode).toBe(1);
    expect((await run('server1', 'scha_resource_get', '-O', 'type_version', '-R', 'app-rs1', '-G', 'app-rg1')).stdout).toBe('1.0\n');
  });
});

describe('a whole row by hand: update-stop-incompatible, in the seed’s order', () => {
  it('ends with every resource at 2.0, enabled, monitored and online, its group managed', async () => {
    writeSolarisLab('update-stop-incompatible');
    // 更新されたメソッドの pkgadd をすべてのノード上で実行します。(new path: no violation while serving)
    for (const node of NODES) expect(await packages(node).apply({ action: 'upgrade', path: packagePath })).toMatchObject({ ok: true });
    // 新しいリソースタイプを登録します。
    expect(await cluster('server2').act({ kind: 'register-type', rtrPath: LAB_RTR_PATH, resourceType: 'LAB.app' })).toMatchObject({ ok: true });
    // リソースをオフラインにします。/ リソースを移行します。/ リソースをオンラインにします。
    for (const group of ['app-rg1', 'app-rg2']) expect(await cluster().act({ kind: 'rg-offline', resourceGroup: group })).toMatchObject({ ok: true });
    for (const resource of ['app-rs1', 'app-rs2']) expect(await cluster().act({ kind: 'set-type-version', resource, typeVersion: '2.0' })).toMatchObject({ ok: true });
    for (const group of ['app-rg1', 'app-rg2']) expect(await cluster().act({ kind: 'rg-online', resourceGroup: group })).toMatchObject({ ok: true });

    const resources = await cluster().resources('LAB.app');
    expect(summary(resources)).toEqual([
      ['app-rs1', '2.0', true, true, ['server1']],
      ['app-rs2', '2.0', true, true, ['server2']],
    ]);
    expect(resources.map((resource) => resource.type)).toEqual(['LAB.app:2.0', 'LAB.app:2.0']);
    expect((await cluster().groups()).map((group) => group.nodes.some((node) => node.statusText === 'Online'))).toEqual([true, true]);
    expect(readClusterState(lab).violations).toEqual([]);
    for (const node of NODES) expect(await packages(node).query('LABapp')).toMatchObject({ version: '2.0' });

    const acts = readHistory(lab)
      .filter((entry) => ['pkgadd', 'clresourcetype', 'clresourcegroup', 'clresource'].includes(entry.argv[0] as string) && !['status', 'show'].includes(entry.argv[1] as string))
      .map((entry) => `${entry.node} ${entry.argv.filter((arg) => arg !== admin).join(' ')}`);
    const pkgadd = `pkgadd -n -a -d ${join(lab, 'packages')} LABapp`;
    expect(acts).toEqual([
      `server1 ${pkgadd}`,
      `server2 ${pkgadd}`,
      `server3 ${pkgadd}`,
      `server2 clresourcetype register -f ${LAB_RTR_PATH} LAB.app`,
      'server1 clresourcegroup offline app-rg1',
      'server1 clresourcegroup offline app-rg2',
      'server1 clresource set -p Type_version=2.0 app-rs1',
      'server1 clresource set -p Type_version=2.0 app-rs2',
      'server1 clresourcegroup online app-rg1',
      'server1 clresourcegroup online app-rg2',
    ]);
  });
});

describe('the rows lab up offers in --help (shared/domain/solaris.ts RT_CHANGES)', () => {
  it('are the rows the Solaris lab builds', async () => {
    const { RT_CHANGES } = await import('../../shared/domain/solaris.js');
    const { SOLARIS_RT_CHANGE_NAMES } = await import('../../lab/solaris/lab-solaris.js');
    expect([...RT_CHANGES]).toEqual(SOLARIS_RT_CHANGE_NAMES);
  });
});
