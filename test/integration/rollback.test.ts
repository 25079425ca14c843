// SPEC §5.5: `lockstep rollback RUN` end to end on a lab of real processes (a coordinator, the
// CLI, one agent per node), after a rolling update that succeeded, one blocked half way and
// one cancelled. The rollback is the manual's downgrade (CPRO-XL050-06 6) for the nodes the
// run changed, and only those: a node left out of it is never powered off, and when only part
// of the cluster is rolled back its groups keep running (test/support/availability.ts).
// Asserted on history.jsonl, cluster.json and the runs' steps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunView } from '../../shared/domain/run.js';
import { readClusterState, readNodeState, writeNodeState, type HistoryEntry } from '../../lab/state/lab-state.js';
import { availabilityViolations, sampleCluster } from '../support/availability.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, isCommand, nowMs } from '../support/custom-runbook.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

const FINAL = ['succeeded', 'failed', 'cancelled'];
// Section 6's gate: the operator confirms the older version runs on this kernel.
const KERNEL_GATE = 'older-version-supports-kernel';
const NODES = ['server1', 'server2'];

let lab: TestLab;
let coordinator: CoordinatorProcess;

beforeAll(async () => {
  // Failover as CLUSTERPRO's takes seconds: a group left on a server that goes down is a gap the checker sees.
  lab = await startLab({ nodes: 2, replicator: true, extraArgs: ['--failover-ms', '2000'] });
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

async function cli(...args: string[]): Promise<string> {
  const result = await lockstepCli(['--coordinator', coordinator.address, ...args]);
  expect(result.code, `lockstep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

/** `lockstep apply --yes` of the lab's rolling update (3.1.3 with Replicator); its run id. */
async function applyRollingUpdate(): Promise<string> {
  return lastLine(await cli('apply', '--yes', lab.runbook));
}

function lastLine(text: string): string {
  return text.trim().split('\n').pop() as string;
}

async function runWhen(runId: string, what: string, done: (run: RunView) => boolean): Promise<RunView> {
  return waitFor(`run ${runId} ${what}`, async () => {
    const run = await coordinator.client.getRun(runId);
    return done(run) ? run : undefined;
  }, 150_000, 100);
}

/** `lockstep rollback RUN`, the kernel gate approved as an operator would; the finished rollback run. */
async function rollBack(runId: string): Promise<RunView> {
  const rollbackId = lastLine(await cli('rollback', runId));
  await runWhen(rollbackId, 'to wait at its kernel gate', (run) => run.pendingGates.includes(KERNEL_GATE) || FINAL.includes(run.state));
  await cli('approve', rollbackId, KERNEL_GATE);
  const finished = await runWhen(rollbackId, 'to finish', (run) => FINAL.includes(run.state) || run.state === 'blocked');
  expect(finished.state, finished.blocker?.message).toBe('succeeded');
  return finished;
}

/** The run's events so far (a blocked run's stream stays open: stop once caught up with its state). */
async function runEvents(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  const stop = new AbortController();
  const watching = coordinator.client.watch(runId, 0, (event) => {
    events.push(event);
    if (event.type === 'run.blocked') stop.abort();
  }, { signal: stop.signal });
  await watching;
  return events;
}

function setFaults(node: string, faults: unknown[]): void {
  writeNodeState(lab.dir, { ...readNodeState(lab.dir, node), faults: faults as never });
}

const downgrades = (history: HistoryEntry[]): string[] => history.filter((entry) => isCommand(entry, 'rpm', '-U') && entry.argv.includes('--force')).map((entry) => entry.node).sort();
const powerOffs = (history: HistoryEntry[], node: string): string[] =>
  history.filter((entry) => entry.node === node && ['clpdown', 'clpstdn', 'reboot', 'shutdown'].includes(entry.argv[0] ?? '')).map((entry) => entry.argv.join(' '));
const verified = (run: RunView): string[] => run.steps.filter((step) => step.id === 'verify').map((step) => `${step.node} ${step.message}`);

/** How often each node has booted (node.json): a node never powered off keeps its count. */
function bootCounts(): Record<string, number> {
  return Object.fromEntries(NODES.map((node) => [node, readNodeState(lab.dir, node).bootCount]));
}

describe('lockstep rollback on a 2-server lab with Replicator', () => {
  it('after a rolling update that succeeded: every server back to 2.0.0-1 by section 6, the cluster whole again', async () => {
    const updateId = await applyRollingUpdate();
    const updated = await runWhen(updateId, 'to finish', (run) => FINAL.includes(run.state) || run.state === 'blocked');
    expect(updated.state, updated.blocker?.message).toBe('succeeded');

    const since = nowMs();
    const sampler = sampleCluster(lab.dir);
    const rollback = await rollBack(updateId);
    const samples = sampler.stop();
    const history = historySince(lab.dir, since);
    expect(rollback.procedure).toBe('clusterpro/downgrade');
    expect(downgrades(history)).toEqual(NODES);
    // 6 (2): the whole cluster stops once, from one server, as the manual does it.
    expect(history.filter((entry) => isCommand(entry, 'clpstdn')).length).toBe(1);
    expect(verified(rollback).sort()).toEqual(['server1 clusterpro 2.0.0-1', 'server2 clusterpro 2.0.0-1']);
    // The full stop is the manual's; before it and once the cluster is healthy again, the invariant holds.
    const stoppedAt = history.find((entry) => isCommand(entry, 'clpstdn'))?.t ?? 0;
    const healthyAt = rollback.steps.find((step) => step.id === 'cluster-healthy')?.finishedAtMs ?? Infinity;
    const before = samples.filter((sample) => sample.t < stoppedAt);
    const after = samples.filter((sample) => sample.t > healthyAt);
    expect(before.length).toBeGreaterThan(0);
    expect(availabilityViolations(before, history, 1)).toEqual([]);
    expect(availabilityViolations(after, history, 1)).toEqual([]);
    const cluster = readClusterState(lab.dir);
    expect(Object.values(cluster.servers).map((server) => server.state)).toEqual(['online', 'online']);
  }, 240_000);

  it('after a run blocked half way: only the server it changed is downgraded; the other is never powered off and the groups keep running', async () => {
    // server2 (hosting no group) goes first; server1 refuses to disable its services, so the run blocks after server2.
    setFaults('server1', [{ match: ['chkconfig', '--del'], mode: 'fail', stderr: 'error reading information on service\n' }]);
    const updateId = await applyRollingUpdate();
    const blocked = await runWhen(updateId, 'to block', (run) => FINAL.includes(run.state) || run.state === 'blocked');
    expect(blocked.state).toBe('blocked');
    // The blocker offers the rollback, and says why it offers no skip-node.
    expect(blocked.blocker?.remedies).toEqual(['retry', 'cancel', 'rollback']);
    const blockedEvent = await runEvents(updateId).then((events) => events.find((event) => event.type === 'run.blocked'));
    expect(blockedEvent?.message).toMatch(/skipping the node is not offered/);
    setFaults('server1', []);

    const since = nowMs();
    const boots = bootCounts();
    const sampler = sampleCluster(lab.dir);
    const rollback = await rollBack(updateId);
    const samples = sampler.stop();
    const history = historySince(lab.dir, since);
    expect(new Set(rollback.steps.filter((step) => step.node !== '').map((step) => step.node))).toEqual(new Set(['server2']));
    expect(downgrades(history)).toEqual(['server2']);
    expect(verified(rollback)).toEqual(['server2 clusterpro 2.0.0-1']);
    // Left out of the downgrade: never powered off, never rebooted.
    expect(powerOffs(history, 'server1')).toEqual([]);
    expect(readNodeState(lab.dir, 'server1').bootCount).toBe(boots.server1);
    expect(history.filter((entry) => isCommand(entry, 'clpstdn'))).toEqual([]);
    // The groups left server2 (clpgrp -m) before it went down: no failover, always online.
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
  }, 240_000);

  it('after a cancelled run: the server it had changed is downgraded, the other is never powered off', async () => {
    const updateId = await applyRollingUpdate();
    // Cancel as soon as server2 has its new package (it is then out of the cluster, services disabled).
    await runWhen(updateId, 'to upgrade server2', (run) => run.steps.some((step) => step.id === 'upgrade' && step.node === 'server2' && step.state === 'succeeded'));
    await cli('cancel', updateId);
    // Steps already sent finish on their nodes; nothing new starts.
    await runWhen(updateId, 'to settle', (run) => run.state === 'cancelled' && !run.steps.some((step) => step.state === 'dispatched'));

    const since = nowMs();
    const boots = bootCounts();
    const sampler = sampleCluster(lab.dir);
    const rollback = await rollBack(updateId);
    const samples = sampler.stop();
    const history = historySince(lab.dir, since);
    expect(downgrades(history)).toEqual(['server2']);
    expect(verified(rollback)).toEqual(['server2 clusterpro 2.0.0-1']);
    expect(powerOffs(history, 'server1')).toEqual([]);
    expect(readNodeState(lab.dir, 'server1').bootCount).toBe(boots.server1);
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
    expect(Object.values(readClusterState(lab.dir).servers).map((server) => server.state)).toEqual(['online', 'online']);
  }, 240_000);
});
