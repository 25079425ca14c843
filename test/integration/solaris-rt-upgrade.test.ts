// Issue 13 end to end: `solaris-cluster/rt-upgrade` as an operator runs it, every row of table
// 3-1 (seed 004) on its own 3-node simulated Solaris cluster — `lockstep lab up --product
// solaris-cluster --detach` (one real agent process per SunOS node, mTLS), a real coordinator
// process, and `lockstep apply LAB/runbook.yaml --wait --yes` through the built CLI. Asserted on
// what the simulated cluster recorded: cluster.json (every resource migrated, enabled,
// monitored, its group online; no violation of the cluster's rules) and history.jsonl (one
// pkgadd per node, and the changing commands in the order of the seed's row, taken from
// coordinator/procedures/solaris/rt-change-rows.ts), and on cluster.json sampled as the run
// goes (one node out of the cluster at a time; both groups always served, except where the
// row itself takes the resources down). Then what `plan` must refuse or wrap:
// a stricter RTR Tunable, AT_CREATION, a malformed RTR directive, a runbook naming a row
// whose procedure the simulated cluster would reject, and a custom runbook on the same nodes
// that the availability proof (the one CLUSTERPRO plans pass) refuses.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { RT_CHANGE_ROWS, RT_CHANGES, type RtChange, type RtStep } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import { readClusterState, readHistory, type HistoryEntry } from '../../lab/state/lab-state.js';
import { writeAdminFile } from '../../agent/drivers/package/svr4-driver.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { lockstepCli, startLab, type CliResult, type TestLab } from '../support/lab-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['server1', 'server2', 'server3'];
const RTR_IN_PACKAGE = join('packages', 'LABapp', 'root', 'opt', 'LABapp', 'etc', 'LAB.app');

interface SolarisLab {
  lab: TestLab;
  coordinator: CoordinatorProcess;
  cli(...args: string[]): Promise<CliResult>;
}

const started: SolarisLab[] = [];

afterEach(async () => {
  for (const each of started.splice(0)) {
    await each.coordinator.stop();
    await each.lab.down();
  }
}, 60_000);

/** A 3-node Solaris lab for `change` (and --rtr-tunable, --sc-version), with its own coordinator process. */
async function solarisLab(change: RtChange, rtrTunable?: string, scVersion?: '3.1'): Promise<SolarisLab> {
  const extraArgs = ['--product', 'solaris-cluster', '--rt-change', change, ...(rtrTunable === undefined ? [] : ['--rtr-tunable', rtrTunable]), ...(scVersion === undefined ? [] : ['--sc-version', scVersion])];
  const lab = await startLab({ nodes: 3, extraArgs });
  const coordinator = await CoordinatorProcess.start(lab.dir).catch(async (error: unknown) => {
    await lab.down();
    throw error;
  });
  const each: SolarisLab = { lab, coordinator, cli: (...args) => lockstepCli(['--coordinator', coordinator.address, ...args]) };
  started.push(each);
  return each;
}

/** Commands that leave a node as it was (the agent's probes, the preflight's and the steps' status reads). */
function isRead(entry: HistoryEntry): boolean {
  const [program, sub] = entry.argv;
  if (['uname', 'cat', 'pkginfo', 'scstat', 'scha_resource_get'].includes(program ?? '')) return true;
  if (['clnode', 'clresourcegroup', 'clresource', 'clresourcetype'].includes(program ?? '')) return sub === 'status' || sub === 'show' || sub === 'list';
  return false;
}

/**
 * What a changing command does, as the name of a step of table 3-1 (rt-change-rows.ts): the
 * rolling steps are named per node ("evacuate server1"), since the seed takes one node at a time.
 */
function stepOf(entry: HistoryEntry, rolling: boolean): string {
  const line = entry.argv.join(' ');
  const rules: Array<[RegExp, string]> = [
    [/^clresource unmonitor /, 'unmonitor'],
    [/^clresource monitor /, 'monitor'],
    [/^clresource disable /, 'disable'],
    [/^clresource enable /, 'enable'],
    [/^clresource set -p Type_version=/, 'migrate'],
    [/^clresourcetype register /, 'register'],
    [/^clresourcegroup offline /, 'offline'],
    [/^clresourcegroup online /, 'online'],
    [/^clresourcegroup unmanage /, 'unmanage'],
    [/^clresourcegroup manage /, 'manage'],
    [/^clnode evacuate /, 'evacuate'],
    // Sun Cluster 3.1's forms of the same steps (REFERENCE.md).
    [/^scswitch -M -n -j /, 'unmonitor'],
    [/^scswitch -M -e -j /, 'monitor'],
    [/^scswitch -n -j /, 'disable'],
    [/^scswitch -e -j /, 'enable'],
    [/^scrgadm -c -j \S+ -y Type_version=/, 'migrate'],
    [/^scrgadm -a -t /, 'register'],
    [/^scswitch -F -g /, 'offline'],
    [/^scswitch -Z -g /, 'online'],
    [/^scswitch -u -g /, 'unmanage'],
    [/^scswitch -o -g /, 'manage'],
    [/^scswitch -S -h /, 'evacuate'],
    [/^reboot -- -x$/, 'leave-cluster'],
    [/^reboot$/, 'rejoin-cluster'],
    [/^pkgrm /, 'pkgrm'],
    [/^pkgadd /, 'pkgadd'],
  ];
  const step = rules.find(([pattern]) => pattern.test(line))?.[1] ?? `unexpected: ${line}`;
  return rolling && ['evacuate', 'leave-cluster', 'rejoin-cluster', 'pkgrm', 'pkgadd'].includes(step) ? `${step} ${entry.node}` : step;
}

/** The seed's row as the commands a node runs for each step, in order (a group is taken offline before it is unmanaged, managed before it goes online). */
function expectedSteps(steps: readonly RtStep[]): string[] {
  return steps.flatMap((step): string[] => {
    switch (step) {
      case 'pkgadd-all':
        return ['pkgadd'];
      case 'unmanage':
        return ['offline', 'unmanage'];
      case 'manage':
        return ['manage', 'online'];
      case 'rolling-pkgrm-pkgadd':
        return NODES.flatMap((node) => ['evacuate', 'leave-cluster', 'pkgrm', 'pkgadd', 'rejoin-cluster'].map((each) => `${each} ${node}`));
      case 'rolling-pkgadd':
        return NODES.flatMap((node) => ['evacuate', 'leave-cluster', 'pkgadd', 'rejoin-cluster'].map((each) => `${each} ${node}`));
      default:
        return [step];
    }
  });
}

/** The changing commands as steps, consecutive repeats (one per resource, group or node) folded into one. */
function observedSteps(history: HistoryEntry[], rolling: boolean): string[] {
  const steps = history.filter((entry) => !isRead(entry)).map((entry) => stepOf(entry, rolling));
  return steps.filter((step, index) => steps[index - 1] !== step);
}

const changes = (history: HistoryEntry[], program: string): string[] => history.filter((entry) => entry.argv[0] === program).map((entry) => `${entry.node} exit ${entry.exit}`);

interface ScSample {
  t: number;
  /** Servers not in the cluster (noncluster or down). */
  out: string[];
  /** Groups as "NAME STATE on NODE (NODE's server state)". */
  groups: string[];
  /** Groups online on a node that is in the cluster. */
  serving: number;
}

/** Samples cluster.json every 50 ms while a run goes on (it is replaced atomically: a read never sees half a file). */
function sampleScCluster(labDir: string): { stop(): ScSample[] } {
  const samples: ScSample[] = [];
  const take = (): void => {
    try {
      const cluster = readClusterState(labDir);
      const groups = cluster.resourceGroups ?? [];
      const serverState = (node: string | null | undefined): string => (node ? (cluster.servers[node]?.state ?? 'unknown') : 'none');
      samples.push({
        t: Date.now(),
        out: Object.entries(cluster.servers).filter(([, server]) => server.state !== 'online').map(([name]) => name),
        groups: groups.map((group) => `${group.name} ${group.state} on ${group.node ?? '-'} (${serverState(group.node)})`),
        serving: groups.filter((group) => group.state === 'online' && serverState(group.node) === 'online').length,
      });
    } catch {
      // The lab is gone: the samples end.
    }
  };
  take();
  const timer = setInterval(take, 50);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Applies LAB/runbook.yaml (--wait --yes); the result with its run id. */
async function applyLabRunbook(each: SolarisLab, runbook = each.lab.runbook): Promise<CliResult & { runId: string }> {
  const applied = await each.cli('apply', runbook, '--wait', '--yes');
  const runId = /^run (\S+) started/m.exec(applied.stdout)?.[1] ?? '';
  return { ...applied, runId };
}

describe('solaris-cluster/rt-upgrade: every row of table 3-1 on a 3-node simulated Solaris cluster', () => {
  for (const change of RT_CHANGES) {
    const row = RT_CHANGE_ROWS[change];
    it(`${change} (${row.tunable ?? 'nothing migrated'}): ${row.steps.map((step) => step.step).join(', ')}`, () => runRow(change), 120_000);
  }
});

describe('solaris-cluster/rt-upgrade on Sun Cluster 3.1 (lab up --sc-version 3.1: scstat, scrgadm, scswitch; no cl* commands)', () => {
  it('new-property-needed (WHEN_DISABLED, rolling pkgrm/pkgadd): the same steps in the same order, in the 3.1 forms', async () => {
    const history = await runRow('new-property-needed', '3.1');
    expect(history.filter((entry) => /^cl/.test(entry.argv[0] ?? ''))).toEqual([]);
    expect(history.filter((entry) => !isRead(entry)).map((entry) => entry.argv[0])).toContain('scswitch');
    expect(history.some((entry) => entry.argv.join(' ') === 'scstat -g')).toBe(true);
  }, 180_000);
});

/** Runs `change`'s runbook on a fresh lab and checks what every row must end with; the lab's history. */
async function runRow(change: RtChange, scVersion?: '3.1'): Promise<HistoryEntry[]> {
  const row = RT_CHANGE_ROWS[change];
  const each = await solarisLab(change, undefined, scVersion);
  const sampler = sampleScCluster(each.lab.dir);
  const applied = await applyLabRunbook(each);
  const samples = sampler.stop();
  const run = await each.coordinator.client.getRun(applied.runId);
  expect([applied.code, run.state], `${applied.stdout}${applied.stderr}${run.blocker?.message ?? ''}`).toEqual([0, 'succeeded']);

  const cluster = readClusterState(each.lab.dir);
  expect(cluster.violations).toEqual([]);
  expect(Object.values(cluster.servers).map((server) => server.state)).toEqual(['online', 'online', 'online']);
  const version = row.tunable === null ? '1.0' : '2.0';
  expect(cluster.resources?.map((resource) => [resource.name, resource.typeVersion, resource.enabled, resource.monitored])).toEqual([
    ['app-rs1', version, true, true],
    ['app-rs2', version, true, true],
  ]);
  expect(cluster.resourceGroups?.map((group) => [group.name, group.state])).toEqual([
    ['app-rg1', 'online'],
    ['app-rg2', 'online'],
  ]);
  expect(cluster.resourceTypes?.map((type) => type.name)).toEqual(row.tunable === null ? ['LAB.app:1.0'] : ['LAB.app:1.0', 'LAB.app:2.0']);

  const history = readHistory(each.lab.dir);
  expect(changes(history, 'pkgadd').sort()).toEqual(NODES.map((node) => `${node} exit 0`));
  expect(changes(history, 'pkgrm').sort()).toEqual(row.steps.some((step) => step.step === 'rolling-pkgrm-pkgadd') ? NODES.map((node) => `${node} exit 0`) : []);
  const rolling = row.steps.some((step) => step.step.startsWith('rolling-'));
  expect(observedSteps(history, rolling)).toEqual(expectedSteps(row.steps.map((step) => step.step)));

  // Availability as it ran: one node out of the cluster at a time (the rolling rows take
  // each out in turn), and unless the row itself takes the resources down (offline,
  // disable, unmanage: plan's planned unavailability) both groups always online on a node
  // in the cluster.
  expect(samples.length).toBeGreaterThan(1);
  expect(samples.filter((sample) => sample.out.length > 1)).toEqual([]);
  expect(new Set(samples.flatMap((sample) => sample.out))).toEqual(new Set(rolling ? NODES : []));
  const plannedDown = row.steps.some((step) => ['offline', 'disable', 'unmanage'].includes(step.step));
  if (!plannedDown) expect(samples.filter((sample) => sample.serving !== 2)).toEqual([]);
  expect(samples.at(-1)?.serving).toBe(2);
  return history;
}

describe('solaris-cluster/rt-upgrade: what plan wraps or refuses', () => {
  it('wraps an ANYTIME row in disable/enable when the RTR says WHEN_DISABLED, says why, and the run migrates between them', async () => {
    const each = await solarisLab('rtr-only', 'WHEN_DISABLED');
    const plan = await each.cli('plan', each.lab.runbook);
    expect(plan.code, plan.stderr).toBe(0);
    for (const resource of ['app-rs1', 'app-rs2']) {
      expect(plan.stdout).toContain(`${resource} (Type_version 1.0): WHEN_DISABLED, because /opt/LABapp/etc/LAB.app line 13: #$upgrade_from "1.0" WHEN_DISABLED is stricter than the row's ANYTIME`);
    }
    expect(plan.stdout).toMatch(/planned unavailability: resources app-rs2, app-rs1 stop serving from "disable"/);
    // The package step in the SVR4 words a Solaris node runs.
    expect(plan.stdout).toMatch(/package\.install +pkgadd -d \S+\/packages LABapp — 表 3-1/);
    // Steps the stricter Tunable adds are not cited as the table's.
    expect(plan.stdout).toMatch(/disable resource app-rs2 — added for WHEN_DISABLED, stricter than table 3-1's example for this row/);
    expect(plan.stdout).not.toMatch(/\brpm\b/);

    const applied = await applyLabRunbook(each);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(observedSteps(readHistory(each.lab.dir), false)).toEqual(['pkgadd', 'register', 'disable', 'migrate', 'enable']);
    // Dependents first: app-rs2 depends on app-rs1, so it is disabled before it and enabled after it.
    expect(readHistory(each.lab.dir).filter((entry) => /^(disable|enable)$/.test(entry.argv[1] ?? '')).map((entry) => entry.argv.slice(1).join(' '))).toEqual([
      'disable app-rs2',
      'disable app-rs1',
      'enable app-rs1',
      'enable app-rs2',
    ]);
    const cluster = readClusterState(each.lab.dir);
    expect(cluster.violations).toEqual([]);
    expect(cluster.resources?.map((resource) => [resource.typeVersion, resource.enabled, resource.monitored])).toEqual([
      ['2.0', true, true],
      ['2.0', true, true],
    ]);
  }, 120_000);

  it('refuses AT_CREATION with exit 2, explaining that the resources must be deleted and re-created; nothing ran', async () => {
    const each = await solarisLab('methods-new-path', 'AT_CREATION');
    const plan = await each.cli('plan', each.lab.runbook);
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stderr).toMatch(/AT_CREATION/);
    expect(plan.stderr).toContain('an existing resource cannot be migrated to the new type version; delete it and create it again with the new type');
    expect(plan.stderr).toMatch(/app-rs1|app-rs2/);
    const applied = await applyLabRunbook(each);
    expect(applied.code).toBe(2);
    expect(readHistory(each.lab.dir).filter((entry) => !isRead(entry))).toEqual([]);
  }, 120_000);

  it('refuses a malformed #$upgrade_from directive in the package RTR, naming the file and line', async () => {
    const each = await solarisLab('new-monitor');
    const rtrFile = join(each.lab.dir, RTR_IN_PACKAGE);
    const lines = readFileSync(rtrFile, 'utf8').split('\n');
    const at = lines.findIndex((line) => line.startsWith('#$upgrade_from'));
    expect(at).toBeGreaterThan(0);
    lines[at] = '#$upgrade_from 1.0 WHEN_UNMONITORED';
    writeFileSync(rtrFile, lines.join('\n'));
    const plan = await each.cli('plan', each.lab.runbook);
    expect(plan.code, plan.stdout).toBe(2);
    expect(plan.stderr).toContain(`/opt/LABapp/etc/LAB.app line ${at + 1}: "#$upgrade_from 1.0 WHEN_UNMONITORED" is not a valid directive; expected #$upgrade_from "VERSION" TUNABLE`);
    expect(readHistory(each.lab.dir).filter((entry) => !isRead(entry))).toEqual([]);
  }, 120_000);

  it('catches a runbook naming the wrong row: rtr-only on a WHEN_OFFLINE type is wrapped in offline/online, which the simulated cluster demands', async () => {
    // What rtr-only alone would do on this type (pkgadd everywhere, register, migrate), run on the
    // simulated nodes themselves: the cluster refuses to migrate a resource that is online.
    const bare = await solarisLab('update-stop-incompatible');
    const adminDir = makeTempDir('lockstep-sc-admin-');
    const admin = await writeAdminFile(adminDir.dir);
    const on = (node: string, ...argv: string[]) => new SimExecutor({ labDir: bare.lab.dir, node, exitProcess: () => undefined }).run({ argv, timeoutMs: 10_000 });
    try {
      for (const node of NODES) expect((await on(node, 'pkgadd', '-n', '-a', admin, '-d', join(bare.lab.dir, 'packages'), 'LABapp')).exitCode, node).toBe(0);
    } finally {
      adminDir.remove();
    }
    expect((await on('server1', 'clresourcetype', 'register', '-f', '/opt/LABapp/etc/LAB.app', 'LAB.app')).exitCode).toBe(0);
    const refused = await on('server1', 'clresource', 'set', '-p', 'Type_version=2.0', 'app-rs1');
    expect([refused.exitCode, refused.stderr]).toEqual([1, expect.stringContaining('Type_version of resource app-rs1 cannot be changed from 1.0 to 2.0 now: the new type allows it WHEN_OFFLINE')]);
    expect(readClusterState(bare.lab.dir).resources?.map((resource) => resource.typeVersion)).toEqual(['1.0', '1.0']);

    const each = await solarisLab('update-stop-incompatible');
    const runbook = join(each.lab.dir, 'wrong-row.yaml');
    writeFileSync(runbook, readFileSync(each.lab.runbook, 'utf8').replace('change: update-stop-incompatible', 'change: rtr-only'));
    const plan = await each.cli('plan', runbook);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`WHEN_OFFLINE, because /opt/LABapp/etc/LAB.app line 13: #$upgrade_from "1.0" WHEN_OFFLINE is stricter than the row's ANYTIME`);
    // The availability proof lists the offline groups as planned downtime, each from its offline step to its online step.
    expect(plan.stdout).toMatch(/WARNING: planned downtime: resource group app-rg\d runs on no server from step offline-1 to step online-1/);
    const applied = await applyLabRunbook(each, runbook);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    expect(observedSteps(readHistory(each.lab.dir), false)).toEqual(['pkgadd', 'register', 'offline', 'migrate', 'online']);
    const cluster = readClusterState(each.lab.dir);
    expect(cluster.violations).toEqual([]);
    expect(cluster.resources?.map((resource) => [resource.typeVersion, resource.enabled, resource.monitored])).toEqual([
      ['2.0', true, true],
      ['2.0', true, true],
    ]);
    expect(cluster.resourceGroups?.map((group) => group.state)).toEqual(['online', 'online']);
  }, 120_000);

  it('refuses, with exit 2 at plan and apply, a custom runbook that takes every node of the resource groups out at once; nothing ran', async () => {
    const each = await solarisLab('rtr-only');
    const lab = parse(readFileSync(each.lab.runbook, 'utf8')) as Record<string, unknown>;
    const runbook = join(each.lab.dir, 'all-out.yaml');
    const steps = [
      { id: 'leave', kind: 'node.leave-cluster', on: 'all' },
      { id: 'rejoin', kind: 'node.rejoin-cluster', on: 'all' },
    ];
    writeFileSync(runbook, stringify({ cluster: lab.cluster, nodes: lab.nodes, tls: lab.tls, procedure: 'custom', steps }));
    for (const command of ['plan', 'apply']) {
      const result = await each.cli(command, runbook, ...(command === 'apply' ? ['--wait', '--yes'] : []));
      expect(result.code, result.stdout + result.stderr).toBe(2);
      expect(result.stderr).toContain('the plan can leave the cluster without a service (nothing was started)');
      expect(result.stderr).toMatch(/stage leave: resource group app-rg1 \(on server1\) would have no server to run on: server1, server2, server3 leave the cluster in this stage \(step leave\); no server of the cluster stays in it/);
      expect(result.stderr).toMatch(/stage leave: resource group app-rg2 \(on server2\)/);
    }
    expect(readHistory(each.lab.dir).filter((entry) => !isRead(entry))).toEqual([]);
  }, 120_000);
});
