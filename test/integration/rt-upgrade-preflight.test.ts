// `solaris-cluster/rt-upgrade` from the registry to a pinned plan, against three agents on
// Solaris nodes (the real AgentService, journal, path guard and drivers, over executors that
// answer the tools' output from test/fixtures/solaris): the preflight reads the cluster's
// nodes, the resources of the type and the new RTR from the package on every node, and the
// plan says which Tunable it chose and why; what the preflight cannot read, or the RTR
// forbids, is refused. Then the engine's step for leaving and rejoining the cluster: a
// journaled reboot, done when the node answers with a new boot id.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentService } from '../../agent/agent-service.js';
import { gatherFacts } from '../../coordinator/engine/gather-facts.js';
import type { RunAgent, RunAgents } from '../../coordinator/engine/run-agents.js';
import { performStep, prepareDispatch } from '../../coordinator/engine/step-actions.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { compileSubmission } from '../../coordinator/procedures/compile-runbook.js';
import { BUILT_IN_PROCEDURES } from '../../coordinator/procedures/registry.js';
import type { Runbook } from '../../coordinator/runbook/runbook-schema.js';
import { readFixture } from '../support/fixture.js';
import { inProcessSolarisAgent, type InProcessAgent } from '../support/in-process-agent.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { writeSvr4PackageDir } from '../support/svr4-package-dir.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['phys-schost-1', 'phys-schost-2', 'phys-schost-3'];
const RT_UPGRADE = 'solaris-cluster/rt-upgrade';
const fixture = (name: string): string => readFixture(`solaris/${name}`);
const rtr = (upgradeFrom: string): string => `Resource_type = "app";\nVendor_id = LAB;\nRT_version = "2.0";\n\n#$upgrade\n${upgradeFrom}\n`;

function solarisNode(clnodeStatus = fixture('clnode-status.txt').replace('Offline', 'Online ')): ScriptedExecutor {
  return new ScriptedExecutor([
    { match: 'uname -s', answer: { stdout: 'SunOS\n' } },
    { match: 'uname -r', answer: { stdout: '5.10\n' } },
    { match: 'cat /etc/cluster/release', answer: { stdout: 'Sun Cluster 3.2u3 for Solaris 10 sparc\n' } },
    { match: 'clnode status', answer: { stdout: clnodeStatus } },
    { match: 'clresourcegroup status', answer: { stdout: fixture('clresourcegroup-status.txt') } },
    { match: 'clresource status', answer: { stdout: fixture('clresource-status.txt') } },
    { match: 'clresource show -v', answer: { stdout: fixture('clresource-show.txt') } },
    { match: /^pkginfo -l/, answer: { stdout: fixture('pkginfo-l.txt') } },
  ]);
}

/** An in-process agent as the engine holds a node's client. */
const runAgent = (service: AgentService): RunAgent => Object.assign(Object.create(service) as AgentService, { answers: async () => true });

describe(`${RT_UPGRADE}: preflight through the agents, then compile`, () => {
  let temp: ReturnType<typeof makeTempDir>;
  let agents: Map<string, InProcessAgent>;
  let pool: RunAgents;
  let packages: string;

  const writePackage = (upgradeFrom: string): void => {
    writeSvr4PackageDir(packages, { reloc: { 'LABapp/etc/LAB.app': rtr(upgradeFrom), 'LABapp/bin/app_start': '#!/bin/sh\n' } });
  };

  const runbook = (params: Record<string, unknown>, nodes: readonly string[] = NODES): Runbook =>
    ({
      cluster: 'sc1',
      procedure: RT_UPGRADE,
      nodes: nodes.map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })),
      params: { type: 'LAB.app', package: join(packages, 'LABapp'), pkg: 'LABapp', rtr: '/opt/LABapp/etc/LAB.app', ...params },
    }) as unknown as Runbook;

  const plan = async (params: Record<string, unknown>, nodes: readonly string[] = NODES): Promise<Plan> => {
    const book = runbook(params, nodes);
    const procedure = BUILT_IN_PROCEDURES.get(RT_UPGRADE);
    if (procedure === undefined) throw new Error(`${RT_UPGRADE} is not registered`);
    const request = procedure.facts(book);
    const facts = await gatherFacts(pool, book.nodes, request);
    return compileSubmission({ runbook: book, tls: { ca: '', cert: '', key: '' }, facts: request }, facts);
  };

  const startAgents = async (nodes: readonly string[], clnodeStatus?: string): Promise<void> => {
    for (const agent of agents.values()) agent.close();
    agents = new Map();
    for (const node of nodes) {
      const dir = join(temp.dir, node);
      mkdirSync(dir, { mode: 0o700, recursive: true });
      agents.set(node, await inProcessSolarisAgent({ executor: solarisNode(clnodeStatus), dir, packageDirs: [packages], node }));
    }
    const clients = new Map(nodes.map((node) => [node, runAgent((agents.get(node) as InProcessAgent).service)]));
    pool = {
      client: (node) => clients.get(node) as RunAgent,
      reconnect: (node) => clients.get(node) as RunAgent,
      serves: () => true,
      setDeadline: () => undefined,
      close: () => undefined,
    };
  };

  beforeEach(async () => {
    temp = makeTempDir('lockstep-rt-upgrade-');
    packages = join(temp.dir, 'packages');
    writePackage('#$upgrade_from "1.0" ANYTIME');
    agents = new Map();
    await startAgents(NODES);
  });

  afterEach(() => {
    for (const agent of agents.values()) agent.close();
    temp.remove();
  });

  it('is registered, and pins the package tree every node read into its pkgadd tasks', async () => {
    const compiled = await plan({ change: 'rtr-only' });
    expect(compiled.procedure).toBe(RT_UPGRADE);
    const digest = (await (agents.get('phys-schost-1') as InProcessAgent).service.inspectPackageFile(join(packages, 'LABapp'))).sha256;
    const installs = compiled.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : [])).filter((task) => task.kind === 'package.install');
    expect(installs).toHaveLength(3);
    for (const task of installs) expect(task.params).toMatchObject({ package: join(packages, 'LABapp'), sha256: digest });
    expect(compiled.warnings).toContain('app-rs1 (Type_version 1.0): ANYTIME, because /opt/LABapp/etc/LAB.app line 6: #$upgrade_from "1.0" ANYTIME agrees with the row\'s ANYTIME');
  });

  it('wraps the migration in the stricter Tunable the RTR demands, and says why', async () => {
    writePackage('#$upgrade_from "1.0" WHEN_DISABLED');
    const compiled = await plan({ change: 'rtr-only' });
    expect(compiled.warnings).toContain('app-rs1 (Type_version 1.0): WHEN_DISABLED, because /opt/LABapp/etc/LAB.app line 6: #$upgrade_from "1.0" WHEN_DISABLED is stricter than the row\'s ANYTIME');
    const kinds = compiled.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat().map((task) => task.kind) : []));
    expect(kinds.indexOf('resource.disable')).toBeLessThan(kinds.indexOf('resource.migrate'));
    expect(kinds.indexOf('resource.enable')).toBeGreaterThan(kinds.indexOf('resource.migrate'));
  });

  it('refuses AT_CREATION, explaining that the resources must be re-created', async () => {
    writePackage('#$upgrade_from "1.0" AT_CREATION');
    await expect(plan({ change: 'rtr-only' })).rejects.toMatchObject({ code: 'LOCKSTEP_E_PREFLIGHT', message: expect.stringMatching(/AT_CREATION.*(delete|re-creat)/s) });
  });

  it('refuses an RTR a node cannot read, naming the node and why', async () => {
    await expect(plan({ change: 'rtr-only', rtr: '/opt/LABapp/etc/LAB.missing' })).rejects.toMatchObject({
      code: 'LOCKSTEP_E_PREFLIGHT',
      message: expect.stringMatching(/could not be read from the package on phys-schost-1 \(installed_path: the package .* does not install \/opt\/LABapp\/etc\/LAB\.missing/),
    });
  });

  it('states the availability proof: every online group keeps a node, apart from the row\'s planned unavailability', async () => {
    expect((await plan({ change: 'new-property-not-needed' })).warnings).toContain('availability: resource groups app-rg1, app-rg2 keep an online node at every step');
    expect((await plan({ change: 'update-stop-incompatible' })).warnings.at(-1)).toBe('availability: resource groups app-rg1, app-rg2 keep an online node at every step, except the planned unavailability above');
  });

  it('refuses a rolling row on a one-node cluster: the evacuated group would have nowhere to go (the availability proof every plan passes)', async () => {
    const oneNode = fixture('clnode-status.txt').replace(/phys-schost-[23].*\n/g, '');
    await startAgents(['phys-schost-1'], oneNode);
    await expect(plan({ change: 'new-property-not-needed' }, ['phys-schost-1'])).rejects.toMatchObject({
      code: 'LOCKSTEP_E_AVAILABILITY_PROOF',
      message: expect.stringContaining('group app-rg1 has no other node in the cluster to go to when phys-schost-1 is evacuated'),
    });
    // The rows that roll no node pass: their groups never leave.
    expect((await plan({ change: 'rtr-only' }, ['phys-schost-1'])).procedure).toBe(RT_UPGRADE);
  });

  it('refuses a runbook that leaves out a node of the cluster', async () => {
    await expect(plan({ change: 'rtr-only' }, ['phys-schost-1', 'phys-schost-2'])).rejects.toMatchObject({
      code: 'LOCKSTEP_E_PREFLIGHT',
      message: expect.stringContaining("the cluster's node(s) phys-schost-3 are not in the runbook"),
    });
  });

  it('refuses a resource the cluster does not have', async () => {
    await expect(plan({ change: 'rtr-only', resources: ['app-rs9'] })).rejects.toMatchObject({ code: 'LOCKSTEP_E_PREFLIGHT', message: expect.stringContaining('no resource app-rs9 of type LAB.app') });
  });
});

describe('leaving and rejoining the cluster, as the engine runs them', () => {
  it('sends the op once, then waits until the node answers with a new boot id', async () => {
    const temp = makeTempDir('lockstep-sc-boot-');
    let boots = 0;
    const executor = new ScriptedExecutor([
      {
        match: /^reboot/,
        answer: () => {
          boots += 1;
          return {};
        },
      },
      { match: () => true, answer: (request) => solarisNode().run(request) },
    ]);
    const agent = await inProcessSolarisAgent({ executor, dir: temp.dir, bootId: () => `boot-${boots}` });
    try {
      const client = runAgent(agent.service);
      for (const [kind, argv] of [
        ['node.leave-cluster', ['reboot', '--', '-x']],
        ['node.rejoin-cluster', ['reboot']],
      ] as const) {
        const recorded = await prepareDispatch(kind, 'phys-schost-1', ['phys-schost-1'], () => client, { timeoutMs: 60_000 });
        const outcome = await performStep(kind, {
          agent: client,
          agentFor: () => client,
          op: { opId: `boot-run/${kind}/phys-schost-1/1`, runId: 'boot-run', epoch: 1 },
          params: { timeoutMs: 60_000 },
          recorded,
          deadline: Date.now() + 60_000,
          sleep: () => new Promise((resolve) => setImmediate(resolve)),
        });
        expect(outcome).toMatchObject({ ok: true, message: expect.stringContaining(`boot id boot-${boots}`) });
        expect(executor.argvs.filter((each) => each[0] === 'reboot').at(-1)).toEqual(argv);
      }
      expect(boots).toBe(2);
    } finally {
      agent.close();
      temp.remove();
    }
  });

  it('fails the step at once when the reboot command fails on the node, instead of waiting for a boot that will not come', async () => {
    const temp = makeTempDir('lockstep-sc-boot-fail-');
    const executor = new ScriptedExecutor([
      { match: /^reboot/, answer: { exitCode: 1, stderr: 'reboot: permission denied\n' } },
      { match: () => true, answer: (request) => solarisNode().run(request) },
    ]);
    const agent = await inProcessSolarisAgent({ executor, dir: temp.dir });
    try {
      const client = runAgent(agent.service);
      const recorded = await prepareDispatch('node.leave-cluster', 'phys-schost-1', ['phys-schost-1'], () => client, { timeoutMs: 60_000 });
      const outcome = await performStep('node.leave-cluster', {
        agent: client,
        agentFor: () => client,
        op: { opId: 'boot-fail/leave/phys-schost-1/1', runId: 'boot-fail', epoch: 1 },
        params: { timeoutMs: 600_000 },
        recorded,
        deadline: Date.now() + 600_000,
        sleep: () => new Promise((resolve) => setImmediate(resolve)),
      });
      expect(outcome).toMatchObject({ ok: false, message: expect.stringContaining('the reboot command failed on the node'), outputTail: expect.stringContaining('permission denied') });
    } finally {
      agent.close();
      temp.remove();
    }
  });
});
