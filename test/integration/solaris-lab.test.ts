// `lockstep lab up --product solaris-cluster` (issue 13) as an operator runs it: the CLI as a
// real process, one real agent process per simulated SunOS node, checked over the agent's
// gRPC API with mTLS and through the lab's files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { readClusterState, readNodeState } from '../../lab/state/lab-state.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import { parsePkginfoFile } from '../../lab/solaris/svr4-package-dir.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['server1', 'server2', 'server3'];

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
const SOLARIS = ['--product', 'solaris-cluster'];

let lab: TestLab | undefined;
const clients = new Map<string, AgentClient>();

beforeAll(async () => {
  lab = await startLab({ nodes: 3, extraArgs: [...SOLARIS, '--rt-change', 'update-stop-incompatible', '--rtr-tunable', 'WHEN_DISABLED'] });
  const material = await loadTlsMaterial({ ca: join(lab.dir, 'pki/ca.pem'), cert: join(lab.dir, 'pki/coordinator.pem'), key: join(lab.dir, 'pki/coordinator.key') });
  for (const node of NODES) {
    const listen = readNodeState(lab.dir, node).listen;
    clients.set(node, new AgentClient(listen, clientCredentials(material, { expectedServerName: node }), { deadlineMs: 10_000, channelOptions: agentChannelOptions(node) }));
  }
}, 120_000);

afterAll(async () => {
  for (const client of clients.values()) client.close();
  await lab?.down();
}, 60_000);

describe('lab up --product solaris-cluster', () => {
  it('starts one agent per SunOS node, each answering over mTLS', async () => {
    for (const node of NODES) {
      const info = await (clients.get(node) as AgentClient).nodeInfo();
      expect([info.hostname, info.os, info.kernelRelease, info.platform], node).toEqual([node, 'solaris', '5.10', 'sun4u']);
    }
  });

  it('lays out LAB.app 1.0 registered, app-rg1/app-rg2 online with app-rs2 depending on app-rs1, LABapp 1.0 installed everywhere', () => {
    const dir = (lab as TestLab).dir;
    const cluster = readClusterState(dir);
    expect(cluster.product).toBe('solaris-cluster');
    expect(Object.entries(cluster.servers).map(([name, server]) => [name, server.state])).toEqual(NODES.map((node) => [node, 'online']));
    expect(cluster.resourceTypes?.map((type) => type.name)).toEqual(['LAB.app:1.0']);
    expect(cluster.resourceGroups?.map((group) => [group.name, group.state, group.node])).toEqual([
      ['app-rg1', 'online', 'server1'],
      ['app-rg2', 'online', 'server2'],
    ]);
    expect(cluster.resources?.map((resource) => [resource.name, resource.type, resource.typeVersion, resource.enabled, resource.monitored, resource.dependsOn])).toEqual([
      ['app-rs1', 'LAB.app:1.0', '1.0', true, true, []],
      ['app-rs2', 'LAB.app:1.0', '1.0', true, true, ['app-rs1']],
    ]);
    expect(cluster.violations).toEqual([]);
    for (const node of NODES) expect(readNodeState(dir, node).svr4Packages?.LABapp?.version).toBe('1.0');
  });

  it('writes the LABapp 2.0 package directory with the RTR carrying --rtr-tunable, and the rt-upgrade runbook', () => {
    const dir = (lab as TestLab).dir;
    const pkg = join(dir, 'packages', 'LABapp');
    expect(parsePkginfoFile(readFileSync(join(pkg, 'pkginfo'), 'utf8'))).toMatchObject({ PKG: 'LABapp', VERSION: '2.0', ARCH: 'sparc', LAB_RT: 'LAB.app', LAB_METHODS: 'new-path' });
    expect(readFileSync(join(pkg, 'pkgmap'), 'utf8')).toMatch(/^1 f rtr \/opt\/LABapp\/etc\/LAB\.app 0444 root bin \d+ \d+ \d+$/m);
    const rtr = readFileSync(join(pkg, 'root/opt/LABapp/etc/LAB.app'), 'utf8');
    expect(rtr).toContain('RT_VERSION = "2.0";');
    expect(rtr.split('\n')).toContain('#$upgrade_from "1.0" WHEN_DISABLED');
    const runbook = parseYaml(readFileSync(join(dir, 'runbook.yaml'), 'utf8')) as Record<string, unknown>;
    expect(runbook).toMatchObject({
      procedure: 'solaris-cluster/rt-upgrade',
      params: { type: 'LAB.app', package: pkg, pkg: 'LABapp', rtr: '/opt/LABapp/etc/LAB.app', change: 'update-stop-incompatible' },
      nodes: NODES.map((name) => ({ name })),
    });
  });

  it('lab power off and on: the node leaves the cluster, its group moves, and the supervisor boots it back into the cluster', async () => {
    const dir = (lab as TestLab).dir;
    const client = clients.get('server1') as AgentClient;
    const before = (await client.nodeInfo()).bootId;
    const off = await lockstepCli(['lab', 'power', '--dir', dir, 'server1', 'off']);
    expect([off.code, off.stdout]).toEqual([0, expect.stringContaining('app-rg1 on server2')]);
    expect(readClusterState(dir).servers.server1?.state).toBe('down');
    expect((await lockstepCli(['lab', 'power', '--dir', dir, 'server1', 'on'])).code).toBe(0);
    const after = await until('server1 to answer with a new boot id', 60_000, async () => {
      const info = await client.nodeInfo();
      return info.bootId === before ? undefined : info.bootId;
    });
    expect(after).not.toBe(before);
    expect(readClusterState(dir).servers.server1?.state).toBe('online');
  }, 90_000);

  it('refuses bad flags with exit 2, naming the flag, and creates nothing', async () => {
    const temp = makeTempDir('lockstep-sc-bad-');
    try {
      const fresh = join(temp.dir, 'never');
      for (const [flag, args] of [
        ['--product', ['--product', 'hp-serviceguard']],
        ['--rt-change', [...SOLARIS]],
        ['--rt-change', [...SOLARIS, '--rt-change', 'rewrite-everything']],
        ['--rtr-tunable', [...SOLARIS, '--rt-change', 'new-monitor', '--rtr-tunable', 'SOMETIMES']],
        ['--rtr-tunable', [...SOLARIS, '--rt-change', 'rtr-unchanged', '--rtr-tunable', 'ANYTIME']],
        ['--rt-change', ['--rt-change', 'new-monitor']],
        ['--replicator', [...SOLARIS, '--rt-change', 'new-monitor', '--replicator']],
        ['--platform', [...SOLARIS, '--rt-change', 'new-monitor', '--platform', 'x86_64']],
        ['--sc-version', [...SOLARIS, '--rt-change', 'new-monitor', '--sc-version', '3.0']],
        ['--sc-version', ['--sc-version', '3.1']],
      ] as const) {
        const result = await lockstepCli(['lab', 'up', '--dir', fresh, '--nodes', '2', ...args]);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr, args.join(' ')).toContain(flag);
      }
      expect(existsSync(fresh)).toBe(false);
    } finally {
      temp.remove();
    }
  });
});
