// `lockstep lab up|down` as an operator (and the tests outside the project) use it: the CLI
// runs as a real process, the agents are real processes over the simulated node, and
// everything is checked through the SPEC §9 files and the agent's gRPC API over mTLS.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { OpContext } from '../../shared/domain/operation.js';
import { createLab } from '../../lab/lab-create.js';
import { readEmulatedRpm } from '../../lab/state/emulated-rpm-file.js';
import { readClusterState, readHistory, readNodeState, withLabLock, writeNodeState, type Fault } from '../../lab/state/lab-state.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial, type TlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import { freePortBase, lockstepCli, type CliResult } from '../support/lab-harness.js';
import { haveTools } from '../support/require-tool.js';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = join(REPO, 'dist/coordinator/cli/main.js');
const AGENT = join(REPO, 'dist/agent/main.js');
const realRpm = haveTools('rpm', 'rpmbuild');

const lockstep = (...args: string[]): Promise<CliResult> => lockstepCli(args, { timeoutMs: 90_000 });

interface RunningLab {
  root: string;
  portBase: number;
  up: CliResult;
  clients: Map<string, AgentClient>;
  client(node: string): AgentClient;
}

/**
 * The coordinator's view of one node: its certificate, the node's name checked, and the
 * reconnect backoff capped at 500 ms as the coordinator caps it while a reboot is awaited
 * (SPEC §4.3) — grpc-js's default would add seconds to every reboot measured here.
 */
function nodeClient(material: TlsMaterial, address: string, node: string): AgentClient {
  return new AgentClient(address, clientCredentials(material, { expectedServerName: node }), {
    deadlineMs: 10_000,
    channelOptions: { ...agentChannelOptions(node), 'grpc.initial_reconnect_backoff_ms': 100, 'grpc.max_reconnect_backoff_ms': 500 },
  });
}

async function labUp(root: string, nodes: number, ...extra: string[]): Promise<RunningLab> {
  const portBase = await freePortBase(nodes);
  const up = await lockstep('lab', 'up', '--dir', root, '--nodes', String(nodes), '--port-base', String(portBase), '--detach', ...extra);
  const clients = new Map<string, AgentClient>();
  if (up.code === 0) {
    const material = await loadTlsMaterial({ ca: join(root, 'pki/ca.pem'), cert: join(root, 'pki/coordinator.pem'), key: join(root, 'pki/coordinator.key') });
    for (let index = 0; index < nodes; index += 1) {
      const name = `server${index + 1}`;
      clients.set(name, nodeClient(material, `127.0.0.1:${portBase + index}`, name));
    }
  }
  return {
    root,
    portBase,
    up,
    clients,
    client: (node) => {
      const client = clients.get(node);
      if (client === undefined) throw new Error(`lab up failed (exit ${up.code}): ${up.stderr}`);
      return client;
    },
  };
}

async function labDown(lab: RunningLab | undefined): Promise<CliResult | undefined> {
  if (lab === undefined) return undefined;
  for (const client of lab.clients.values()) client.close();
  return lockstep('lab', 'down', '--dir', lab.root);
}

let opCounter = 0;
const op = (node: string): OpContext => ({ opId: `lab-test/step-${++opCounter}/${node}/1`, runId: 'lab-test', epoch: 1 });

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

/** Reboots a node through the agent and resolves with the new boot id once the node answers with it. */
async function rebootAndWait(client: AgentClient, node: string): Promise<{ before: string; after: string; roundTripMs: number }> {
  const before = (await client.nodeInfo()).bootId;
  const started = performance.now();
  await client.reboot(op(node));
  const after = await until(`${node} to come back with a new boot id`, 20_000, async () => {
    const bootId = (await client.nodeInfo()).bootId;
    return bootId !== before ? bootId : undefined;
  });
  return { before, after, roundTripMs: performance.now() - started };
}

async function setFaults(root: string, node: string, faults: Array<Partial<Fault> & Pick<Fault, 'match' | 'mode'>>): Promise<void> {
  await withLabLock(root, () => {
    const state = readNodeState(root, node);
    state.faults = faults.map((fault) => ({ delayMs: 0, exitCode: 1, stderr: 'simulated failure\n', ...fault }));
    writeNodeState(root, state);
  });
}

const temp = makeTempDir('lockstep-lab-test-');
let plain: RunningLab | undefined;
let replicated: RunningLab | undefined;

beforeAll(async () => {
  if (!existsSync(CLI) || !existsSync(AGENT)) throw new Error(`${CLI} or ${AGENT} is missing: run "npm run build" before this test`);
  // Both labs come up side by side: most of the wait is agents starting.
  [plain, replicated] = await Promise.all([labUp(join(temp.dir, 'plain'), 3), labUp(join(temp.dir, 'replicated'), 2, '--replicator')]);
});

afterAll(async () => {
  await Promise.all([labDown(plain), labDown(replicated)]);
  temp.remove();
});

describe('lab up --detach', () => {
  it('returns once every agent answers, printing the runbook and one line per node', () => {
    const lab = plain as RunningLab;
    expect(lab.up.stderr).toBe('');
    expect(lab.up.code).toBe(0);
    expect(lab.up.stdout).toContain(join(lab.root, 'runbook.yaml'));
    for (const [index, name] of ['server1', 'server2', 'server3'].entries()) {
      expect(lab.up.stdout).toMatch(new RegExp(`^${name} 127\\.0\\.0\\.1:${lab.portBase + index}\\b`, 'm'));
    }
  });

  it('lays the lab out as SPEC §9 says', () => {
    const { root } = plain as RunningLab;
    for (const file of ['cluster.json', 'history.jsonl', 'runbook.yaml', 'pki/ca.pem', 'pki/ca.key', 'pki/coordinator.pem', 'pki/coordinator.key']) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
    for (const name of ['server1', 'server2', 'server3']) {
      expect(existsSync(join(root, 'nodes', name, 'node.json'))).toBe(true);
      expect(statSync(join(root, 'pki/agents', `${name}.key`)).mode & 0o777).toBe(0o600);
      expect(existsSync(join(root, 'pki/agents', `${name}.pem`))).toBe(true);
    }
    const cluster = JSON.parse(readFileSync(join(root, 'cluster.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(cluster)).toEqual(expect.arrayContaining(['servers', 'groups', 'mirrors', 'suspended']));
    const state = readClusterState(root);
    expect(state.servers).toEqual({ server1: { state: 'online' }, server2: { state: 'online' }, server3: { state: 'online' } });
    expect(Object.values(state.groups).map((group) => group.current)).toEqual(['server1', 'server2']);
    expect(state.mirrors).toEqual({});
    expect(state.suspended).toBe(false);
    const node = readNodeState(root, 'server1');
    expect(node).toMatchObject({ machine: 'x86_64', platform: 'x86_64', power: 'up', serviceManager: 'sysv', listen: `127.0.0.1:${(plain as RunningLab).portBase}` });
    expect(Object.keys(node.services)).toEqual(['clusterpro_alertsync', 'clusterpro_webmgr', 'clusterpro', 'clusterpro_md', 'clusterpro_trn', 'clusterpro_evt']);
  });

  it('writes a runbook for a rolling update of the lab, servers without groups first', () => {
    const lab = plain as RunningLab;
    const runbook = parseYaml(readFileSync(join(lab.root, 'runbook.yaml'), 'utf8')) as Record<string, unknown>;
    expect(runbook).toMatchObject({
      procedure: 'clusterpro/rolling-update',
      bundle: 'CPRO-XL050-06',
      nodes: [1, 2, 3].map((n) => ({ name: `server${n}`, address: `127.0.0.1:${lab.portBase + n - 1}` })),
      params: { package: join(lab.root, 'packages/clusterpro-2.1.3-1.x86_64.rpm'), order: ['server3', 'server1', 'server2'] },
      tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
    });
    expect(typeof runbook.cluster).toBe('string');
    expect(runbook).not.toHaveProperty('acknowledge');
    expect(existsSync(join(lab.root, 'packages/clusterpro-2.1.3-1.x86_64.rpm'))).toBe(true);
  });

  it('with --replicator: one GREEN mirror per group and the acknowledgement the rolling update asks for', () => {
    const { root } = replicated as RunningLab;
    expect((replicated as RunningLab).up.code).toBe(0);
    expect(readClusterState(root).mirrors).toEqual({ md1: { server1: 'GREEN', server2: 'GREEN' } });
    const runbook = parseYaml(readFileSync(join(root, 'runbook.yaml'), 'utf8')) as Record<string, unknown>;
    expect(runbook.acknowledge).toEqual(['replicator-double-resync']);
  });

  it('refuses bad input with exit 2, naming the flag, and creates nothing', async () => {
    const notEmpty = await lockstep('lab', 'up', '--dir', (plain as RunningLab).root, '--nodes', '2');
    expect(notEmpty.code).toBe(2);
    expect(notEmpty.stderr).toContain('--dir');
    const fresh = join(temp.dir, 'never');
    for (const [flag, args] of [
      ['--nodes', ['--nodes', '0']],
      ['--nodes', ['--nodes', 'three']],
      ['--platform', ['--nodes', '2', '--platform', 'sparc']],
      ['--version', ['--nodes', '2', '--version', '2.0.0']],
      ['--port-base', ['--nodes', '2', '--port-base', '65535']],
      ['--failover-ms', ['--nodes', '2', '--failover-ms', 'soon']],
      ['--resync-mb-per-sec', ['--nodes', '2', '--resync-mb-per-sec', '0']],
    ] as const) {
      const result = await lockstep('lab', 'up', '--dir', fresh, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(flag);
    }
    expect(existsSync(fresh)).toBe(false);
  });
});

describe('createLab, per platform (no agents)', () => {
  it.skipIf(!realRpm)('VMware ESX 3.5: the vendor file name and Summary (manual 2.1.5, 2.1.10), an i686 node', async () => {
    const root = join(temp.dir, 'vmware');
    const lab = await createLab({ dir: root, nodes: 2, platform: 'vmware', version: '2.0.2-1' });
    expect(lab.targetPackage).toBe(join(root, 'packages/clusterpro-2.1.3-1.vmware.i386.rpm'));
    const { stdout } = await run('rpm', ['-qp', '--qf', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH} %{SUMMARY}', lab.targetPackage]);
    expect(stdout).toBe('clusterpro-2.1.3-1.i386 CLUSTERPRO X 2.1 for Linux(i386/vmware)');
    const installed = await run('rpm', ['-q', '--dbpath', join(root, 'nodes/server2/rpmdb'), '--qf', '%{VERSION}-%{RELEASE} %{SUMMARY}', 'clusterpro']);
    expect(installed.stdout).toBe('2.0.2-1 CLUSTERPRO X 2.0 for Linux(i386/vmware)');
    expect(readNodeState(root, 'server1')).toMatchObject({ machine: 'i686', platform: 'vmware', rpm: 'real' });
  });

  it('without rpm: emulated package files and the installed package in node.json', async () => {
    const root = join(temp.dir, 'emulated');
    const lab = await createLab({ dir: root, nodes: 1, platform: 'ppc64', version: '2.1.0-1', rpm: 'emulated' });
    expect(readEmulatedRpm(lab.targetPackage)).toMatchObject({ name: 'clusterpro', version: '2.1.3', release: '1', arch: 'ppc64', summary: 'CLUSTERPRO X 2.1 for Linux(ppc64)' });
    const node = readNodeState(root, 'server1');
    expect(node.rpm).toBe('emulated');
    expect(node.packages.clusterpro).toMatchObject({ version: '2.1.0', release: '1', arch: 'ppc64', summary: 'CLUSTERPRO X 2.1 for Linux(ppc64)' });
    // A one-server lab still has a group, on its only server.
    expect(readClusterState(root).groups).toMatchObject({ failover1: { current: 'server1' } });
  });
});

describe('the nodes, through the agent API over mTLS', () => {
  it.skipIf(!realRpm)('run the real rpm against their own database: 2.0.0-1 with the product Summary', async () => {
    expect(readNodeState((plain as RunningLab).root, 'server1').rpm).toBe('real');
    const info = await (plain as RunningLab).client('server1').queryPackage('clusterpro');
    expect(info).toMatchObject({ installed: true, name: 'clusterpro', version: '2.0.0', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' });
  });

  it('upgrade to 2.1.3-1 with rpm -U, one line in history.jsonl', async () => {
    const lab = plain as RunningLab;
    const path = join(lab.root, 'packages/clusterpro-2.1.3-1.x86_64.rpm');
    const operation = await lab.client('server3').applyPackage(op('server3'), { action: 'upgrade', path });
    expect(operation.state, operation.result.message).toBe('SUCCEEDED');
    expect(operation.result.packageChange?.after).toMatchObject({ version: '2.1.3', release: '1', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' });
    const upgrades = readHistory(lab.root).filter((line) => line.node === 'server3' && line.argv[0] === 'rpm' && line.argv.includes('-U'));
    expect(upgrades).toHaveLength(1);
    expect(upgrades[0]).toMatchObject({ exit: 0 });
    // rpm reads the agent's checked copy, under the package's own name (docs/security.md §2).
    expect(upgrades[0]?.argv.at(-1)).toMatch(/\/staging\/[0-9a-f]{24}\/clusterpro-2\.1\.3-1\.x86_64\.rpm$/);
  });

  it('reboot: a new boot id; the disabled service stays stopped, the enabled ones run', async () => {
    const lab = plain as RunningLab;
    const client = lab.client('server3');
    const disabled = await client.controlService(op('server3'), 'clusterpro_alertsync', 'disable');
    expect(disabled.operation?.state).toBe('SUCCEEDED');
    const reboot = await rebootAndWait(client, 'server3');
    console.info(`reboot round trip (rebootDelayMs 1500): ${Math.round(reboot.roundTripMs)} ms`);
    expect(reboot.after).not.toBe(reboot.before);
    expect((await client.controlService(undefined, 'clusterpro_alertsync', 'status')).status).toMatchObject({ enabled: false, running: false });
    for (const service of ['clusterpro', 'clusterpro_evt']) {
      expect((await client.controlService(undefined, service, 'status')).status, service).toMatchObject({ enabled: true, running: true });
    }
    expect(readNodeState(lab.root, 'server3').power).toBe('up');
  });

  it('clpgrp -m moves a group, and cluster.json shows it', async () => {
    const lab = plain as RunningLab;
    const operation = await lab.client('server1').clusterAction(op('server1'), { kind: 'move-group', group: 'failover1', server: 'server3' });
    expect(operation.state, operation.result.message).toBe('SUCCEEDED');
    expect(readClusterState(lab.root).groups.failover1).toMatchObject({ current: 'server3', state: 'online' });
  });

  it('fault knobs: fail makes the upgrade FAILED with the message; slow delays it', async () => {
    const lab = plain as RunningLab;
    const path = join(lab.root, 'packages/clusterpro-2.1.3-1.x86_64.rpm');
    const client = lab.client('server1');
    await setFaults(lab.root, 'server1', [{ match: ['rpm', '-U'], mode: 'fail', exitCode: 2, stderr: 'error: simulated disk full\n', times: 1 }]);
    const failed = await client.applyPackage(op('server1'), { action: 'upgrade', path });
    expect(failed.state).toBe('FAILED');
    expect(`${failed.result.message}\n${failed.result.commands.map((command) => command.outputTail).join('\n')}`).toContain('simulated disk full');
    await setFaults(lab.root, 'server1', [{ match: ['rpm', '-U'], mode: 'slow', delayMs: 1_000, times: 1 }]);
    const started = performance.now();
    const slow = await client.applyPackage(op('server1'), { action: 'upgrade', path });
    expect(slow.state, slow.result.message).toBe('SUCCEEDED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(1_000);
  });

  it('with --replicator: a rebooted server’s mirror goes RED, then GREEN again', async () => {
    const lab = replicated as RunningLab;
    const colours: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const colour = readClusterState(lab.root).mirrors.md1?.server2;
        if (colour !== undefined && colours.at(-1) !== colour) colours.push(colour);
        await new Promise((done) => setTimeout(done, 25));
      }
    })();
    await rebootAndWait(lab.client('server2'), 'server2');
    await until('md1 to be GREEN on both servers again', 15_000, async () => {
      const md1 = readClusterState(lab.root).mirrors.md1;
      return md1?.server1 === 'GREEN' && md1.server2 === 'GREEN' ? true : undefined;
    });
    sampling = false;
    await sampler;
    expect(colours[0]).toBe('GREEN');
    expect(colours).toContain('RED');
    expect(colours.indexOf('RED')).toBeGreaterThan(0);
  });

  it('with --replicator: clpdown of the server running a group — clpstat shows it Online Pending for the failover time, then Online on the next server', async () => {
    const lab = replicated as RunningLab;
    const bootId = (await lab.client('server1').nodeInfo()).bootId;
    const stopped = await lab.client('server1').clusterAction(op('server1'), { kind: 'stop-server' });
    expect(stopped.state, stopped.result.message).toBe('SUCCEEDED');
    // server1 powers off once it has answered: its failover starts then.
    const failover = await until('server1 to leave the cluster', 10_000, async () => readClusterState(lab.root).failovers.failover1);
    const clpdown = readHistory(lab.root).findLast((line) => line.node === 'server1' && line.argv[0] === 'clpdown');
    // The lab's default failover time, counted from after clpdown ran (cluster.json's clock).
    expect(failover.from).toBe('server1');
    expect(failover.due - (clpdown?.t ?? Infinity)).toBeGreaterThanOrEqual(3_000 - 1);
    const pending = (await lab.client('server2').clusterStatus()).groups.find((group) => group.name === 'failover1');
    // Unless the machine was so slow that the failover ended already: then it is online on server2.
    if (pending?.state !== 'online') expect(pending).toMatchObject({ state: 'online-pending', stateText: 'Online Pending', currentServer: 'server2' });
    const online = await until('failover1 to be online on server2', 15_000, async () => {
      const group = (await lab.client('server2').clusterStatus()).groups.find((each) => each.name === 'failover1');
      return group?.state === 'online' ? group : undefined;
    });
    expect(online.currentServer).toBe('server2');
    expect(readClusterState(lab.root).failovers).toEqual({});
    // The lab as the next test expects it: server1 back, md1 GREEN on both.
    await until('server1 to come back', 20_000, async () => ((await lab.client('server1').nodeInfo()).bootId !== bootId ? true : undefined));
    await until('md1 to be GREEN on both servers again', 15_000, async () => {
      const md1 = readClusterState(lab.root).mirrors.md1;
      return md1?.server1 === 'GREEN' && md1.server2 === 'GREEN' ? true : undefined;
    });
  });
});

describe('the supervisor', () => {
  it('restarts an agent killed with SIGKILL at once, without rebooting its node', async () => {
    const lab = plain as RunningLab;
    const client = lab.client('server2');
    const bootId = (await client.nodeInfo()).bootId;
    const pidFile = join(lab.root, 'nodes/server2/agent.pid');
    const killed = Number(readFileSync(pidFile, 'utf8'));
    const started = performance.now();
    process.kill(killed, 'SIGKILL');
    await until('a new server2 agent', 10_000, async () => (Number(readFileSync(pidFile, 'utf8')) !== killed ? true : undefined));
    const info = await until('server2 to answer again', 10_000, () => client.nodeInfo());
    console.info(`agent SIGKILLed -> answering again: ${Math.round(performance.now() - started)} ms`);
    expect(info.bootId).toBe(bootId);
  });

  it('clpstdn: every node powers off, and the supervisor boots each again after its reboot delay', async () => {
    const lab = replicated as RunningLab;
    const before = await Promise.all(['server1', 'server2'].map(async (node) => (await lab.client(node).nodeInfo()).bootId));
    // The agent refuses clpstdn unless the plan declares the downtime (issue 16); a full stop declares it.
    const refused = await lab.client('server1').clusterAction(op('server1'), { kind: 'stop-cluster' }).catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: 'LOCKSTEP_E_AVAILABILITY_VETO' });
    const stop = await lab.client('server1').clusterAction({ ...op('server1'), plannedDowntime: true }, { kind: 'stop-cluster' });
    expect(stop.state, stop.result.message).toBe('SUCCEEDED');
    for (const [index, node] of ['server1', 'server2'].entries()) {
      await until(`${node} to boot again`, 20_000, async () => ((await lab.client(node).nodeInfo()).bootId !== before[index] ? true : undefined));
    }
    expect(Object.values(readClusterState(lab.root).servers).map((server) => server.state)).toEqual(['online', 'online']);
  });
});

describe('lab down', () => {
  it('stops the supervisor and every agent, and leaves the files', async () => {
    const lab = plain as RunningLab;
    const supervisorPid = Number(readFileSync(join(lab.root, 'supervisor.pid'), 'utf8'));
    const agentPids = ['server1', 'server2', 'server3'].map((name) => Number(readFileSync(join(lab.root, 'nodes', name, 'agent.pid'), 'utf8')));
    const down = await labDown(lab);
    plain = undefined;
    expect(down?.code, down?.stderr).toBe(0);
    for (const pid of [supervisorPid, ...agentPids]) expect(isRunning(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(join(lab.root, 'cluster.json'))).toBe(true);
    expect(existsSync(join(lab.root, 'supervisor.pid'))).toBe(false);
    const again = await lockstep('lab', 'down', '--dir', lab.root);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no lab supervisor was running');
  });
});

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie nobody has reaped yet has exited all the same.
  try {
    return !/\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
