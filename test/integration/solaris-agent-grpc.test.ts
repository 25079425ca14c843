// An agent on a Solaris node through its real gRPC API over mTLS, started by startAgent as
// lockstep-agent starts one: the platform detected through the executor at start, GetNodeInfo
// saying so, the reads of the rt-upgrade preflight (GetClusterStatus with each resource
// group's node list, GetClusterResources, ReadPackageFile) and their refusals crossing the
// wire with the field named.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeFacts } from '../../agent/node-facts.js';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { readFixture } from '../support/fixture.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { writeSvr4PackageDir } from '../support/svr4-package-dir.js';
import { makeTempDir } from '../support/temp-dir.js';

const fixture = (name: string): string => readFixture(`solaris/${name}`);
const RTR = 'Resource_type = "app";\nVendor_id = LAB;\nRT_version = "2.0";\n#$upgrade\n#$upgrade_from "1.0" WHEN_OFFLINE\n';

const FACTS: NodeFacts = {
  hostname: async () => 'server1',
  machine: async () => 'sun4u',
  kernelRelease: async () => 'unused',
  bootId: async () => 'boot-0',
  uptimeSeconds: async () => 5,
  os: () => 'solaris',
};

let temp: ReturnType<typeof makeTempDir>;
let harness: TestAgent;
let executor: ScriptedExecutor;
let packages: string;

beforeAll(async () => {
  temp = makeTempDir('lockstep-solaris-grpc-');
  packages = join(temp.dir, 'packages');
  mkdirSync(packages);
  writeSvr4PackageDir(packages, { reloc: { 'LABapp/etc/LAB.app': RTR } });
  executor = new ScriptedExecutor([
    { match: 'uname -s', answer: { stdout: 'SunOS\n' } },
    { match: 'uname -r', answer: { stdout: '5.10\n' } },
    { match: 'cat /etc/cluster/release', answer: { stdout: 'Sun Cluster 3.2u3 for Solaris 10 sparc\n' } },
    { match: 'clresource show -v', answer: { stdout: fixture('clresource-show.txt') } },
    { match: 'clresource status', answer: { stdout: fixture('clresource-status.txt') } },
    { match: 'clnode status', answer: { stdout: fixture('clnode-status.txt') } },
    { match: 'clresourcegroup status', answer: { stdout: fixture('clresourcegroup-status.txt') } },
  ]);
  const pki = await makePki(join(temp.dir, 'pki'), ['server1']);
  harness = await startTestAgent({ root: temp.dir, pki, packageDirs: [packages], environment: { executor, facts: FACTS } });
}, 60_000);

afterAll(async () => {
  await harness?.stop();
  temp?.remove();
});

describe('an agent on a Solaris node, over gRPC', () => {
  it('detected its platform at start through the executor and reports it', async () => {
    expect(executor.argvs.slice(0, 3)).toEqual([['uname', '-s'], ['uname', '-r'], ['cat', '/etc/cluster/release']]);
    const info = await harness.client.nodeInfo();
    expect(info).toMatchObject({ os: 'solaris', kernelRelease: '5.10' });
    expect(info.drivers.map((driver) => driver.name)).toEqual(['svr4', 'sysv', 'solaris-cluster']);
  });

  it('reads the cluster (GetClusterStatus): each resource group with where it is online and its node list, for the availability proof', async () => {
    const status = await harness.client.clusterStatus();
    expect(status.groups.map(({ name, currentServer, nodeList }) => ({ name, currentServer, nodeList }))).toEqual([
      { name: 'app-rg1', currentServer: 'phys-schost-1', nodeList: ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'] },
      { name: 'app-rg2', currentServer: 'phys-schost-2', nodeList: ['phys-schost-2', 'phys-schost-3', 'phys-schost-1'] },
    ]);
  });

  it('lists the resources of a type (GetClusterResources)', async () => {
    const resources = await harness.client.clusterResources('LAB.app');
    expect(resources).toEqual([
      expect.objectContaining({ name: 'app-rs1', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg1', dependsOn: [] }),
      expect.objectContaining({ name: 'app-rs2', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg2', dependsOn: ['app-rs1'] }),
    ]);
    await expect(harness.client.clusterResources('LAB app')).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'resource_type' });
  });

  it('reads the RTR from inside the package (ReadPackageFile), and refuses a path outside the package directories', async () => {
    const read = await harness.client.readPackageFile(join(packages, 'LABapp'), '/opt/LABapp/etc/LAB.app');
    expect(read).toMatchObject({ text: RTR, path: join(packages, 'LABapp', 'reloc', 'LABapp', 'etc', 'LAB.app') });
    expect(read.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(harness.client.readPackageFile('/etc', '/opt/LABapp/etc/LAB.app')).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'package_path' });
    await expect(harness.client.readPackageFile(join(packages, 'LABapp'), 'etc/LAB.app')).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'installed_path' });
  });
});
