// The agent on a Solaris node (SPEC §5.3, issue 13): the platform read through the executor
// (uname -s, uname -r, /etc/cluster/release), the SVR4 and Solaris Cluster drivers composed
// for it, packages taken from package directories copied under the path guard, leaving and
// rejoining the cluster as journaled reboots, evacuation of the node itself, and the two
// reads the rt-upgrade preflight makes (the resources of a type, the RTR inside the package).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ExecRequest } from '../../agent/exec/executor.js';
import type { NodeFacts } from '../../agent/node-facts.js';
import { OpJournal } from '../../agent/op-journal.js';
import { clusterReleaseOf, detectPlatform } from '../../agent/platform.js';
import type { OpContext, Operation } from '../../shared/domain/operation.js';
import { silentLogger } from '../../shared/logger.js';
import { readFixture } from '../support/fixture.js';
import { inProcessAgent, inProcessSolarisAgent, type InProcessAgent } from '../support/in-process-agent.js';
import { ScriptedExecutor, type ScriptRule } from '../support/scripted-executor.js';
import { writeSvr4PackageDir } from '../support/svr4-package-dir.js';
import { makeTempDir } from '../support/temp-dir.js';

const fixture = (name: string): string => readFixture(`solaris/${name}`);
const RELEASE_32 = 'Sun Cluster 3.2u3 for Solaris 10 sparc\nCopyright 2009 Sun Microsystems, Inc.\n';
const RTR = 'RESOURCE_TYPE = "app";\nVENDOR_ID = LAB;\nRT_VERSION = "2.0";\n#$upgrade\n#$upgrade_from "1.0" WHEN_DISABLED\n';

function solarisNode(release = RELEASE_32, more: ScriptRule[] = []): ScriptedExecutor {
  return new ScriptedExecutor([
    // A test's own answers come first: the first matching rule answers.
    ...more,
    { match: 'uname -s', answer: { stdout: 'SunOS\n' } },
    { match: 'uname -r', answer: { stdout: '5.10\n' } },
    { match: 'cat /etc/cluster/release', answer: { stdout: release } },
    { match: 'clnode status', answer: { stdout: fixture('clnode-status.txt') } },
    { match: 'clresourcegroup status', answer: { stdout: fixture('clresourcegroup-status.txt') } },
    { match: 'clresource status', answer: { stdout: fixture('clresource-status.txt') } },
    { match: 'clresource show -v', answer: { stdout: fixture('clresource-show.txt') } },
    { match: () => true, answer: {} },
  ]);
}

const FACTS = (os: 'linux' | 'solaris'): NodeFacts => ({
  hostname: async () => 'phys-schost-1',
  machine: async () => 'sun4u',
  kernelRelease: async () => 'unused',
  bootId: async () => 'boot-0',
  uptimeSeconds: async () => 1,
  os: () => os,
});

let step = 0;
const op = (): OpContext => ({ opId: `sc-run/step-${++step}/phys-schost-1/1`, runId: 'sc-run', epoch: 1 });
const isReboot = (request: ExecRequest): boolean => request.argv[0] === 'reboot';

describe('platform detection', () => {
  it('asks a Solaris node uname -s, uname -r and its cluster release, through the executor', async () => {
    const executor = solarisNode();
    const platform = await detectPlatform(executor, FACTS('solaris'), silentLogger());
    expect(platform).toEqual({ os: 'solaris', kernelRelease: '5.10', clusterRelease: '3.2', releaseLine: 'Sun Cluster 3.2u3 for Solaris 10 sparc' });
    expect(executor.argvs).toEqual([['uname', '-s'], ['uname', '-r'], ['cat', '/etc/cluster/release']]);
  });

  it('runs nothing on a Linux node', async () => {
    const executor = solarisNode();
    expect(await detectPlatform(executor, FACTS('linux'), silentLogger())).toEqual({ os: 'linux' });
    expect(executor.argvs).toEqual([]);
  });

  it('refuses to guess when a node said to be Solaris is not SunOS', async () => {
    const executor = new ScriptedExecutor([{ match: 'uname -s', answer: { stdout: 'Linux\n' } }]);
    await expect(detectPlatform(executor, FACTS('solaris'), silentLogger())).rejects.toMatchObject({ code: 'LOCKSTEP_E_CONFIG', message: expect.stringContaining('not SunOS') });
  });

  it.each([
    ['Sun Cluster 3.1u4 for Solaris 9 sparc', '3.1'],
    ['Sun Cluster 3.2u3 for Solaris 10 sparc', '3.2'],
    ['Oracle Solaris Cluster 4.3 for Solaris 11 sparc', '3.2'],
    ['Sun Cluster 3.0 for Solaris 8', '3.1'],
    ['garbage', undefined],
  ])('reads %j as release %s', (line, release) => {
    expect(clusterReleaseOf(line)).toBe(release);
  });
});

describe('an agent on a Solaris node', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let agent: InProcessAgent;
  let executor: ScriptedExecutor;
  let packages: string;

  const start = async (release = RELEASE_32, more: ScriptRule[] = []): Promise<void> => {
    executor = solarisNode(release, more);
    agent = await inProcessSolarisAgent({ executor, dir: temp.dir, packageDirs: [packages] });
  };

  beforeEach(async () => {
    temp = makeTempDir('lockstep-solaris-agent-');
    packages = join(temp.dir, 'packages');
    writeSvr4PackageDir(packages, { reloc: { 'LABapp/etc/LAB.app': RTR, 'LABapp/bin/app_start': '#!/bin/sh\nexit 0\n' } });
    await start();
  });

  afterEach(() => {
    agent.close();
    temp.remove();
  });

  it('reports SunOS 5.10 with the svr4 and solaris-cluster drivers', async () => {
    const info = await agent.service.nodeInfo();
    expect(info).toMatchObject({ os: 'solaris', kernelRelease: '5.10', hostname: 'phys-schost-1' });
    expect(info.drivers).toEqual([
      { role: 'package', name: 'svr4' },
      { role: 'service', name: 'sysv' },
      { role: 'cluster', name: 'solaris-cluster' },
    ]);
  });

  it('uses the 3.1 commands on a Sun Cluster 3.1 node, reading its state with scstat, never a cl* command', async () => {
    agent.close();
    const scstat = [' Resources: app-rg1           app-rs1', '     Group: app-rg1           phys-schost-1  Online', '  Resource: app-rs1           phys-schost-1  Online    Online', ''].join('\n');
    await start('Sun Cluster 3.1u4 for Solaris 9 sparc\n', [
      { match: 'scstat -g', answer: { stdout: scstat } },
      { match: 'scstat -n', answer: { stdout: fixture('scstat-p-sc31.txt') } },
      { match: /^cl/, answer: { exitCode: 127, stderr: 'command not found\n' } },
    ]);
    const operation = await agent.service.clusterAction(op(), { kind: 'disable-resource', resource: 'app-rs1' });
    expect(operation.state).toBe('SUCCEEDED');
    expect(executor.argvs.at(-1)).toEqual(['scswitch', '-n', '-j', 'app-rs1']);
    expect(executor.argvs).toContainEqual(['scstat', '-g']);
    expect(executor.argvs.filter((argv) => argv[0]?.startsWith('cl'))).toEqual([]);
  });

  it('leaves the cluster with `reboot -- -x` once per op id, and rejoins with `reboot`', async () => {
    const context = op();
    const first = await agent.service.clusterAction(context, { kind: 'boot-noncluster' });
    const again = await agent.service.clusterAction(context, { kind: 'boot-noncluster' });
    expect([first.state, again.state]).toEqual(['RUNNING', 'RUNNING']);
    await waitFor(() => executor.requests.some(isReboot));
    await agent.service.clusterAction(op(), { kind: 'rejoin' });
    await waitFor(() => executor.requests.filter(isReboot).length === 2);
    expect(executor.requests.filter(isReboot).map((request) => request.argv)).toEqual([['reboot', '--', '-x'], ['reboot']]);
    // The node came back under a new boot id: the journal marks both as done.
    agent.close();
    const journal = new OpJournal(join(temp.dir, 'journal.sqlite'), 'boot-1');
    try {
      expect(journal.recoverAfterStart().rebootsCompleted).toHaveLength(2);
      expect(journal.get(context.opId)).toMatchObject({ state: 'SUCCEEDED' });
    } finally {
      journal.close();
    }
    await start();
  });

  it('evacuates itself, naming itself; another node is refused before anything runs', async () => {
    const operation = await agent.service.clusterAction(op(), { kind: 'evacuate' });
    expect(operation.state).toBe('SUCCEEDED');
    expect(executor.argvs.at(-1)).toEqual(['clnode', 'evacuate', 'phys-schost-1']);
    const before = executor.argvs.length;
    await expect(agent.service.clusterAction(op(), { kind: 'evacuate', node: 'phys-schost-2' })).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'node' });
    expect(executor.argvs.length).toBe(before);
  });

  it('refuses to evacuate when its groups would have no other node to go to', async () => {
    agent.close();
    const alone = fixture('clnode-status.txt').replace(/(phys-schost-2\s+)Online/, '$1Offline');
    await start(RELEASE_32, [{ match: 'clnode status', answer: { stdout: alone } }]);
    await expect(agent.service.clusterAction(op(), { kind: 'evacuate' })).rejects.toMatchObject({
      code: 'LOCKSTEP_E_AVAILABILITY_VETO',
      message: expect.stringContaining('group app-rg1 (on phys-schost-1) would have no online server to fail over to'),
    });
    expect(executor.argvs.filter((argv) => argv[1] === 'evacuate')).toEqual([]);
  });

  it('names a resource group the cluster does not have', async () => {
    const operation = await agent.service.clusterAction(op(), { kind: 'rg-offline', resourceGroup: 'no-such-rg' });
    expect(operation).toMatchObject({ state: 'FAILED', result: { message: expect.stringContaining('no resource group "no-such-rg"') } });
  });

  it('lists the resources of a type with Type_version, group and dependencies', async () => {
    const resources = await agent.service.clusterResources('LAB.app');
    expect(resources.map(({ name, typeVersion, group, dependsOn }) => ({ name, typeVersion, group, dependsOn }))).toEqual([
      { name: 'app-rs1', typeVersion: '1.0', group: 'app-rg1', dependsOn: [] },
      { name: 'app-rs2', typeVersion: '1.0', group: 'app-rg2', dependsOn: ['app-rs1'] },
    ]);
    await expect(agent.service.clusterResources('-v')).rejects.toMatchObject({ field: 'resource_type' });
  });

  it('installs a package directory from its staged copy, pinned by the digest of its tree', async () => {
    const path = join(packages, 'LABapp');
    let staged = '';
    agent.close();
    await start(RELEASE_32, [
      {
        match: ['pkginfo', '-l', '-d', /\/staging\/[0-9a-f]+$/, 'LABapp'],
        answer: (request) => {
          staged = request.argv[3] as string;
          return { stdout: fixture('pkginfo-l.txt') };
        },
      },
      { match: 'pkginfo -l LABapp', answer: { stdout: fixture('pkginfo-l.txt') } },
    ]);
    const inspected = await agent.service.inspectPackageFile(path);
    expect(inspected.package).toMatchObject({ name: 'LABapp', version: '2.0' });
    expect(inspected.sha256).toMatch(/^[0-9a-f]{64}$/);
    const operation = await agent.service.applyPackage(op(), { action: 'install', path, expectedSha256: inspected.sha256 });
    expect(operation.state).toBe('SUCCEEDED');
    const pkgadd = executor.argvs.find((argv) => argv[0] === 'pkgadd');
    expect(pkgadd).toEqual(['pkgadd', '-n', '-a', join(temp.dir, 'pkgadd.admin'), '-d', staged, 'LABapp']);
    expect(staged.startsWith(join(temp.dir, 'staging'))).toBe(true);
    await expect(agent.service.applyPackage(op(), { action: 'install', path, expectedSha256: 'a'.repeat(64) })).rejects.toMatchObject({ code: 'LOCKSTEP_E_DIGEST_MISMATCH' });
  });

  it('installs a datastream (.pkg) from its staged copy, naming the package the datastream holds', async () => {
    writeFileSync(join(packages, 'LABapp.pkg'), '# PaCkAgE DaTaStReAm\nLABapp 1 512\n# end of header\n');
    agent.close();
    await start(RELEASE_32, [
      { match: ['pkginfo', '-l', '-d', /\/staging\/[0-9a-f]+\/LABapp\.pkg$/], answer: { stdout: fixture('pkginfo-l.txt') } },
      { match: 'pkginfo -l LABapp', answer: { stdout: fixture('pkginfo-l.txt') } },
    ]);
    const operation = await agent.service.applyPackage(op(), { action: 'install', path: join(packages, 'LABapp.pkg') });
    expect(operation.state).toBe('SUCCEEDED');
    expect(executor.argvs.find((argv) => argv[0] === 'pkgadd')).toEqual(['pkgadd', '-n', '-a', join(temp.dir, 'pkgadd.admin'), '-d', expect.stringMatching(/\/staging\/[0-9a-f]+\/LABapp\.pkg$/), 'LABapp']);
  });

  it('reads the RTR the package installs, from reloc/ below BASEDIR or from root/', async () => {
    const read = await agent.service.readPackageFile(join(packages, 'LABapp'), '/opt/LABapp/etc/LAB.app');
    expect(read).toMatchObject({ text: RTR, path: join(packages, 'LABapp', 'reloc', 'LABapp', 'etc', 'LAB.app') });
    writeSvr4PackageDir(join(temp.dir, 'packages'), { pkg: 'LABroot', root: { 'etc/cluster/LAB.app': RTR } });
    expect((await agent.service.readPackageFile(join(packages, 'LABroot'), '/etc/cluster/LAB.app')).text).toBe(RTR);
    writeSvr4PackageDir(join(temp.dir, 'packages'), { pkg: 'LABslash', basedir: '/', reloc: { 'opt/LABslash/LAB.app': RTR } });
    expect((await agent.service.readPackageFile(join(packages, 'LABslash'), '/opt/LABslash/LAB.app')).path).toBe(join(packages, 'LABslash', 'reloc', 'opt', 'LABslash', 'LAB.app'));
    await expect(agent.service.readPackageFile(join(packages, 'LABapp'), '/opt/LABapp/etc/missing')).rejects.toMatchObject({ code: 'LOCKSTEP_E_NOT_FOUND', field: 'installed_path' });
    await expect(agent.service.readPackageFile(join(packages, 'LABapp'), '/opt/LABapp/../../etc/shadow')).rejects.toMatchObject({ field: 'installed_path' });
    await expect(agent.service.readPackageFile('/etc', '/opt/x')).rejects.toMatchObject({ field: 'package_path' });
  });
});

describe('an agent on a Linux node', () => {
  it('refuses the Solaris actions and calls with a message saying where they belong', async () => {
    const temp = makeTempDir('lockstep-linux-agent-');
    const executor = new ScriptedExecutor(() => ({}));
    const agent = inProcessAgent({ executor, dir: temp.dir });
    try {
      const operation: Operation = await agent.service.clusterAction(op(), { kind: 'boot-noncluster' });
      expect(operation).toMatchObject({ state: 'FAILED', result: { message: expect.stringContaining('Solaris Cluster action') } });
      // Only the availability veto's read of the cluster ran: nothing that reboots.
      expect(executor.argvs).toEqual([['clpstat']]);
      await expect(agent.service.clusterResources('LAB.app')).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNSUPPORTED' });
      await expect(agent.service.readPackageFile(join(temp.dir, 'LABapp'), '/opt/LABapp/etc/LAB.app')).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNSUPPORTED' });
    } finally {
      agent.close();
      temp.remove();
    }
  });
});

/** Waits for something the agent does a moment after answering (the reboot), by polling its effect. */
async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}
