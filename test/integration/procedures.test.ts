// The CLUSTERPRO X procedures of CPRO-XL050-06 run by the engine on labs, each asserted on
// history.jsonl in the order the manual demands (SPEC §5.2), every rpm -U exactly once per
// node, and for the rolling and non-stop updates the availability invariant on sampled
// cluster.json (test/support/availability.ts), with the lab's CLUSTERPRO-like failover time.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { readClusterState, readHistory, type HistoryEntry } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { availabilityViolations, sampleCluster } from '../support/availability.js';
import { startLab, type TestLab } from '../support/lab-harness.js';
import { labAgentClient } from '../support/lab-agents.js';
import { waitFor } from '../support/processes.js';

const STOP_ORDER = [...CLUSTERPRO_2X_SERVICES];
const START_ORDER = [...STOP_ORDER].reverse();

interface LabRun {
  lab: TestLab;
  engine: Engine;
  nodes: Array<{ name: string; address: string }>;
  /** The update's rpm (2.1.3-1) and the installed version's (2.0.0-1), side by side. */
  update: string;
  older: string;
}

async function openLab(nodes: number, replicator: boolean): Promise<LabRun> {
  const lab = await startLab({ nodes, replicator });
  const runbook = parseYaml(readFileSync(lab.runbook, 'utf8')) as { nodes: LabRun['nodes']; params: { package: string } };
  const engine = await createEngine({ dbFile: join(lab.dir, 'coordinator.sqlite'), logger: silentLogger(), credentialsDirs: [lab.dir] });
  const update = runbook.params.package;
  return { lab, engine, nodes: runbook.nodes, update, older: join(dirname(update), 'clusterpro-2.0.0-1.x86_64.rpm') };
}

async function closeLab(run: LabRun | undefined): Promise<void> {
  await run?.engine.close();
  await run?.lab.down();
}

/** Runs a procedure on the lab with every gate approved (apply --yes); returns the final run and the history it wrote. */
async function apply(run: LabRun, procedure: string, params: Record<string, unknown>, acknowledge?: string[]): Promise<{ view: RunView; history: HistoryEntry[] }> {
  const doc = {
    cluster: 'lab',
    nodes: run.nodes,
    procedure,
    bundle: 'CPRO-XL050-06',
    params,
    tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
    ...(acknowledge && { acknowledge }),
  };
  const path = join(run.lab.dir, `${procedure.replace('/', '-')}.yaml`);
  writeFileSync(path, stringify(doc));
  const started = performance.timeOrigin + performance.now();
  const { runId } = await run.engine.submit({ runbookYaml: stringify(doc), runbookPath: path, dryRun: false, autoApprove: true, requestedBy: 'test' });
  const view = await waitFor(`${procedure} to finish`, () => {
    const current = run.engine.getRun(runId as string);
    return ['succeeded', 'blocked', 'failed', 'cancelled'].includes(current.state) ? current : undefined;
  }, 90_000, 100);
  expect(view.blocker?.message ?? view.state).toBe('succeeded');
  return { view, history: readHistory(run.lab.dir).filter((entry) => entry.t >= started) };
}

const command = (entry: HistoryEntry): string => entry.argv.join(' ');
const on = (history: HistoryEntry[], node: string): HistoryEntry[] => history.filter((entry) => entry.node === node);
/** Index in `history` of the first entry on `node` (any node when undefined) whose command starts with `prefix`. */
const first = (history: HistoryEntry[], node: string | undefined, prefix: string): number =>
  history.findIndex((entry) => (node === undefined || entry.node === node) && command(entry).startsWith(prefix));
const last = (history: HistoryEntry[], node: string | undefined, prefix: string): number =>
  history.findLastIndex((entry) => (node === undefined || entry.node === node) && command(entry).startsWith(prefix));
const isReboot = (entry: HistoryEntry): boolean => entry.argv[0] === 'reboot' || command(entry).startsWith('shutdown -r');

/** The chkconfig --del / --add commands a node ran, in order. */
function chkconfig(history: HistoryEntry[], node: string, flag: '--del' | '--add'): string[] {
  return on(history, node)
    .filter((entry) => entry.argv[0] === 'chkconfig' && entry.argv[1] === flag)
    .map((entry) => entry.argv[2] as string);
}

function upgradesPerNode(history: HistoryEntry[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const entry of history) if (entry.argv[0] === 'rpm' && entry.argv[1] === '-U') counts[entry.node] = (counts[entry.node] ?? 0) + 1;
  return counts;
}

describe('2 servers with Replicator: rolling update (3.1.3), downgrade (6), full-stop update (3.1.2)', () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await openLab(2, true);
  }, 120_000);
  afterAll(() => closeLab(run));

  it('3.1.3: server2 first, then the groups onto it, then server1 — every group always running', async () => {
    const sampler = sampleCluster(run.lab.dir);
    const { view, history } = await apply(run, 'clusterpro/rolling-update', { package: run.update }, ['replicator-double-resync']);
    const samples = sampler.stop();
    expect(upgradesPerNode(history)).toEqual({ server1: 1, server2: 1 });
    for (const node of ['server1', 'server2']) {
      // 3.1.3.1 (2) / (9): the six services off in the manual's order, on again in reverse.
      expect(chkconfig(history, node, '--del')).toEqual(STOP_ORDER);
      expect(chkconfig(history, node, '--add')).toEqual(START_ORDER);
      expect(first(history, node, 'chkconfig --del clusterpro_evt')).toBeLessThan(first(history, node, 'clpdown'));
      expect(first(history, node, 'clpdown')).toBeLessThan(first(history, node, 'rpm -U'));
      expect(first(history, node, 'rpm -U')).toBeLessThan(first(history, node, 'chkconfig --add clusterpro_evt'));
      expect(last(history, node, 'chkconfig --add clusterpro_alertsync')).toBeLessThan(history.findLastIndex((entry) => entry.node === node && isReboot(entry)));
    }
    // 3.1.3.3 (1): after server2 is updated and its mirrors are GREEN, failover1 moves onto it; only then server1.
    const move = first(history, 'server1', 'clpgrp -m failover1 -a server2');
    expect(move).toBeGreaterThan(history.findLastIndex((entry) => entry.node === 'server2' && isReboot(entry)));
    expect(move).toBeGreaterThan(first(history, 'server2', 'clpmdstat'));
    expect(move).toBeLessThan(first(history, 'server1', 'chkconfig --del'));
    expect(view.steps.map((step) => `${step.id} on ${step.node}`)).toContain('mirrors-green on server1');
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
    expect(samples.length).toBeGreaterThan(20);
  }, 120_000);

  it('6: back to 2.0.0-1 with rpm -U --force after the kernel gate, as 3.1.2', async () => {
    const { view, history } = await apply(run, 'clusterpro/downgrade', { package: run.older });
    const downgrades = history.filter((entry) => entry.argv[0] === 'rpm' && entry.argv[1] === '-U');
    expect(downgrades.map((entry) => entry.node).sort()).toEqual(['server1', 'server2']);
    // rpm reads the agent's checked copy of the older package (docs/security.md §2).
    const stagedOlder = new RegExp(`/staging/[0-9a-f]{24}/${basename(run.older).replace(/\./g, '\\.')}$`);
    expect(downgrades.every((entry) => entry.argv.includes('--force') && stagedOlder.test(entry.argv.at(-1) ?? ''))).toBe(true);
    expect(view.steps.find((step) => step.id === 'older-version-supports-kernel')?.state).toBe('succeeded');
    expect(view.steps.filter((step) => step.id === 'verify').map((step) => step.message)).toEqual(['clusterpro 2.0.0-1', 'clusterpro 2.0.0-1']);
  }, 120_000);

  it('3.1.2: auto-start off everywhere, clpstdn once, rpm -U, auto-start on everywhere, then reboot', async () => {
    const { view, history } = await apply(run, 'clusterpro/update', { package: run.update });
    expect(upgradesPerNode(history)).toEqual({ server1: 1, server2: 1 });
    const shutdowns = history.filter((entry) => entry.argv[0] === 'clpstdn');
    // (2) on one server only: the lead, the first healthy node in the runbook's order.
    expect(shutdowns.map((entry) => entry.node)).toEqual(['server1']);
    const clpstdn = history.indexOf(shutdowns[0] as HistoryEntry);
    for (const node of ['server1', 'server2']) {
      expect(chkconfig(history, node, '--del')).toEqual(STOP_ORDER);
      expect(chkconfig(history, node, '--add')).toEqual(START_ORDER);
      // (1) confirmed on every server before (2); (3)–(8) on every server before (9).
      expect(last(history, node, 'chkconfig --del')).toBeLessThan(clpstdn);
      expect(first(history, node, 'rpm -U')).toBeGreaterThan(clpstdn);
    }
    const lastEnable = last(history, undefined, 'chkconfig --add');
    for (const node of ['server1', 'server2']) expect(history.findLastIndex((entry) => entry.node === node && isReboot(entry))).toBeGreaterThan(lastEnable);
    expect(view.steps.filter((step) => step.id === 'verify').every((step) => step.message === 'clusterpro 2.1.3-1')).toBe(true);
    // Issue 16: clpstdn stops the cluster by design; the agent let it through as planned downtime, and journaled so.
    const shutdownStep = view.steps.find((step) => step.id === 'cluster-shutdown') as RunView['steps'][number];
    const agent = await labAgentClient(run.lab.dir, shutdownStep.node, run.nodes.find((node) => node.name === shutdownStep.node)?.address as string);
    try {
      expect((await agent.getOperation(shutdownStep.opId)).result.message).toMatch(/planned downtime \(declared by the plan\)/);
    } finally {
      agent.close();
    }
  }, 120_000);
});

describe('3 servers: non-stop update (3.1.4), downgrade (6), rolling update (3.1.3)', () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await openLab(3, false);
  }, 120_000);
  afterAll(() => closeLab(run));

  it('3.1.4: suspend, stop four services, rpm -U, start them in reverse, resume — and no server goes down', async () => {
    const sampler = sampleCluster(run.lab.dir);
    const { history } = await apply(run, 'clusterpro/nonstop-update', { package: run.update });
    // No server leaves the cluster and no group stops (the suspended cluster keeps them running).
    expect(availabilityViolations(sampler.stop(), history, 0)).toEqual([]);
    const nodes = ['server1', 'server2', 'server3'];
    expect(upgradesPerNode(history)).toEqual({ server1: 1, server2: 1, server3: 1 });
    const suspend = first(history, undefined, 'clpcl --suspend');
    const resume = first(history, undefined, 'clpcl --resume');
    expect(history.filter((entry) => entry.argv[0] === 'clpcl').map((entry) => `${entry.node} ${entry.argv[1]}`)).toEqual(['server1 --suspend', 'server1 --resume']);
    const initScripts = (node: string, action: string): string[] =>
      on(history, node)
        .filter((entry) => entry.argv[0]?.startsWith('/etc/init.d/') && entry.argv[1] === action)
        .map((entry) => (entry.argv[0] as string).slice('/etc/init.d/'.length));
    for (const node of nodes) {
      expect(initScripts(node, 'stop')).toEqual(['clusterpro_alertsync', 'clusterpro_webmgr', 'clusterpro_trn', 'clusterpro_evt']);
      expect(initScripts(node, 'start')).toEqual(['clusterpro_evt', 'clusterpro_trn', 'clusterpro_webmgr', 'clusterpro_alertsync']);
      expect(first(history, node, '/etc/init.d/clusterpro_alertsync stop')).toBeGreaterThan(suspend);
      expect(last(history, node, '/etc/init.d/clusterpro_alertsync start')).toBeLessThan(resume);
    }
    // (3) on every server before (4)–(6) on any.
    expect(last(history, undefined, '/etc/init.d/clusterpro_evt stop')).toBeLessThan(first(history, undefined, 'rpm -U'));
    expect(last(history, undefined, 'rpm -U')).toBeLessThan(resume);
    expect(history.filter((entry) => isReboot(entry) || entry.argv[0] === 'clpdown' || entry.argv[0] === 'clpstdn')).toEqual([]);
  }, 120_000);

  it('6 then 3.1.3 on three servers: one server down at a time, groups moved before, every group always running', async () => {
    await apply(run, 'clusterpro/downgrade', { package: run.older });
    // After the full stop the groups run where the cluster started them: the order follows.
    const before = readClusterState(run.lab.dir);
    const nodes = run.nodes.map((node) => node.name);
    const hosting = new Set(Object.values(before.groups).map((group) => group.current));
    const order = [...nodes.filter((node) => !hosting.has(node)), ...nodes.filter((node) => hosting.has(node))];
    const sampler = sampleCluster(run.lab.dir);
    const { history } = await apply(run, 'clusterpro/rolling-update', { package: run.update });
    const samples = sampler.stop();
    expect(upgradesPerNode(history)).toEqual({ server1: 1, server2: 1, server3: 1 });
    // SPEC §5.2's default order: servers hosting no group first.
    expect(history.filter((entry) => command(entry).startsWith('rpm -U')).map((entry) => entry.node)).toEqual(order);
    // 3.1.3.3 (1): once the first server is updated every group moves onto it, before the next goes down.
    for (const [group, { current }] of Object.entries(before.groups)) {
      if (current !== order[0]) expect(first(history, current ?? undefined, `clpgrp -m ${group} -a ${order[0]}`)).toBeLessThan(first(history, order[1], 'clpdown'));
    }
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
  }, 120_000);
});
