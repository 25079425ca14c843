// `solaris-cluster/rt-upgrade` run by the engine (createEngine, as the coordinator runs it)
// against three agents on Solaris nodes in this process — the real AgentService, journal,
// path guard, SVR4 and Solaris Cluster drivers — whose executors answer the tools' output from
// test/fixtures/solaris and keep the little state the run changes (the package installed or
// not, the boot id a reboot changes). Not the simulated cluster (the lab's, issue 13's other
// half, enforces the cluster's rules); this proves the wiring: the registry's preflight, the
// plan, and the argv each node ran, in the seed's order, one node at a time where it rolls.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { AgentService } from '../../agent/agent-service.js';
import type { ExecRequest } from '../../agent/exec/executor.js';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { ConnectAgents, RunAgent, RunAgents } from '../../coordinator/engine/run-agents.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import { silentLogger } from '../../shared/logger.js';
import { readFixture } from '../support/fixture.js';
import { inProcessSolarisAgent, type InProcessAgent } from '../support/in-process-agent.js';
import { waitFor } from '../support/processes.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { writeSvr4PackageDir } from '../support/svr4-package-dir.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'];
const fixture = (name: string): string => readFixture(`solaris/${name}`);
const RTR = 'Resource_type = "app";\nVendor_id = LAB;\nRT_version = "2.0";\n\n#$upgrade\n#$upgrade_from "1.0" WHEN_DISABLED\n';
const NOT_FOUND = 'ERROR: information for "LABapp" was not found\n';

/** Every command any node ran, as "NODE argv…", in the order they ran. */
const ran: string[] = [];

/** A Solaris node answering from the fixtures, with its package state and boot count. */
function solarisNode(node: string, boots: { count: number }): ScriptedExecutor {
  let installed = true;
  const record = (request: ExecRequest): void => void ran.push(`${node} ${request.argv.join(' ')}`);
  return new ScriptedExecutor((request) => {
    const line = request.argv.join(' ');
    record(request);
    if (line === 'uname -s') return { stdout: 'SunOS\n' };
    if (line === 'uname -r') return { stdout: '5.10\n' };
    if (line === 'cat /etc/cluster/release') return { stdout: 'Sun Cluster 3.2u3 for Solaris 10 sparc\n' };
    if (line === 'clnode status') return { stdout: fixture('clnode-status.txt').replace('Offline', 'Online ') };
    if (line === 'clresourcegroup status') return { stdout: fixture('clresourcegroup-status.txt') };
    if (line === 'clresource status') return { stdout: fixture('clresource-status.txt') };
    if (line === 'clresource show -v') return { stdout: fixture('clresource-show.txt') };
    if (line.startsWith('pkginfo -l -d ')) return { stdout: fixture('pkginfo-l.txt') };
    if (line === 'pkginfo -l LABapp') return installed ? { stdout: fixture('pkginfo-l.txt') } : { exitCode: 1, stderr: NOT_FOUND };
    if (request.argv[0] === 'pkgrm') installed = false;
    if (request.argv[0] === 'pkgadd') installed = true;
    if (request.argv[0] === 'reboot') boots.count += 1;
    return {};
  });
}

const runAgent = (service: AgentService): RunAgent => Object.assign(Object.create(service) as AgentService, { answers: async () => true });

let temp: ReturnType<typeof makeTempDir>;
let engine: Engine;
const agents: InProcessAgent[] = [];
let packages: string;

beforeAll(async () => {
  temp = makeTempDir('lockstep-rt-engine-');
  packages = join(temp.dir, 'packages');
  writeSvr4PackageDir(packages, { reloc: { 'LABapp/etc/LAB.app': RTR, 'LABapp/bin/app_start': '#!/bin/sh\n' } });
  const clients = new Map<string, RunAgent>();
  for (const node of NODES) {
    const dir = join(temp.dir, node);
    mkdirSync(dir, { mode: 0o700 });
    const boots = { count: 0 };
    const agent = await inProcessSolarisAgent({ executor: solarisNode(node, boots), dir, packageDirs: [packages], node, bootId: () => `boot-${node}-${boots.count}` });
    agents.push(agent);
    clients.set(node, runAgent(agent.service));
  }
  const pool: RunAgents = {
    client: (node) => clients.get(node) as RunAgent,
    reconnect: (node) => clients.get(node) as RunAgent,
    serves: () => true,
    setDeadline: () => undefined,
    close: () => undefined,
  };
  const connect: ConnectAgents = async () => pool;
  const pki = join(temp.dir, 'pki');
  mkdirSync(pki);
  for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(pki, name), '');
  engine = await createEngine({ store: new RunStore(join(temp.dir, 'runs.sqlite')), connect, credentialsDirs: [pki], logger: silentLogger(), sleep: () => new Promise((resolve) => setImmediate(resolve)) });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  for (const agent of agents) agent.close();
  temp?.remove();
});

function runbookYaml(change: string): string {
  const pki = join(temp.dir, 'pki');
  return stringify({
    cluster: 'sc1',
    procedure: 'solaris-cluster/rt-upgrade',
    nodes: NODES.map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })),
    tls: { ca: join(pki, 'ca.pem'), cert: join(pki, 'cert.pem'), key: join(pki, 'key.pem') },
    params: { type: 'LAB.app', package: join(packages, 'LABapp'), pkg: 'LABapp', rtr: '/opt/LABapp/etc/LAB.app', change },
  });
}

describe('solaris-cluster/rt-upgrade through the engine', () => {
  it('runs table 3-1\'s WHEN_DISABLED row: disable, then node by node evacuate, leave, pkgrm, pkgadd, rejoin; register, migrate, enable', async () => {
    const { runId } = await engine.submit({ runbookYaml: runbookYaml('new-property-needed'), runbookPath: join(temp.dir, 'runbook.yaml'), dryRun: false, autoApprove: false, requestedBy: 'test' });
    const run = await waitFor(
      `run ${runId} to end`,
      () => {
        const view: RunView = engine.getRun(runId as string);
        return ['succeeded', 'blocked', 'failed', 'cancelled'].includes(view.state) ? view : undefined;
      },
      60_000,
      20,
    );
    expect(run.state).toBe('succeeded');
    const actions = ran.filter((line) => !/ (uname|cat|pkginfo|clnode status|clresourcegroup status|clresource status|clresource show)\b/.test(line));
    const lead = 'phys-schost-1';
    const rolling = NODES.flatMap((node) => [
      `${node} clnode evacuate ${node}`,
      `${node} reboot -- -x`,
      `${node} pkgrm -n -a ${join(temp.dir, node, 'pkgadd.admin')} LABapp`,
      expect.stringMatching(new RegExp(`^${node} pkgadd -n -a ${join(temp.dir, node, 'pkgadd.admin')} -d ${join(temp.dir, node, 'staging')}/[0-9a-f]+ LABapp$`)),
      `${node} reboot`,
    ]);
    expect(actions).toEqual([
      // Dependents first: app-rs2 depends on app-rs1.
      `${lead} clresource disable app-rs2`,
      `${lead} clresource disable app-rs1`,
      ...rolling,
      `${lead} clresourcetype register -f /opt/LABapp/etc/LAB.app LAB.app`,
      `${lead} clresource set -p Type_version=2.0 app-rs2`,
      `${lead} clresource set -p Type_version=2.0 app-rs1`,
      `${lead} clresource enable app-rs1`,
      `${lead} clresource enable app-rs2`,
    ]);
  });
});
