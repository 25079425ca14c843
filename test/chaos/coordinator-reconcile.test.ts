// Issue 16 part 4: the coordinator SIGKILLed right after each kind of cluster action has
// reached its node (move, suspend, resume, mirror recover, shutdown), and restarted on the same
// database. The node still holds each action's answer (its command answers late: a `slow`
// fault with `when: after`), or has rebooted; the restarted coordinator re-probes the cluster
// (clpstat, clpmdstat, boot ids), finds the effect, and counts the step done without sending it
// again: the event log says what it found, and history.jsonl has each command once. An agent
// killed while its clpgrp -m answered late reports the op INTERRUPTED: clpstat verifies it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared/domain/run.js';
import { readClusterState, readNodeState, withLabLock, writeClusterState, writeNodeState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, isCommand, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { signalAgent } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;

// Long enough that the coordinator is killed while the agent still waits to answer.
const LATE_ANSWER_MS = 4_000;

beforeAll(async () => {
  lab = await startLab({ nodes: 2, replicator: true });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
}, 60_000);

/** The command runs (its effect is in the lab and in history.jsonl), then answers LATE_ANSWER_MS later. */
async function answerLate(node: string, match: string[]): Promise<void> {
  await withLabLock(lab.dir, () => {
    const state = readNodeState(lab.dir, node);
    writeNodeState(lab.dir, { ...state, faults: [{ match, mode: 'slow', when: 'after', delayMs: LATE_ANSWER_MS, exitCode: 1, stderr: '', times: 1 }] });
  });
}

async function apply(name: string, step: Record<string, unknown>): Promise<string> {
  const path = writeCustomRunbook(lab.dir, name, facts.nodes, [step]);
  const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', '--yes', path]);
  expect(applied.code, applied.stderr).toBe(0);
  return applied.stdout.trim().split('\n').pop() as string;
}

/** True once `node` has run the command since `since` (history.jsonl); undefined until then, for waitFor. */
function ranOn(since: number, node: string, command: string[]): true | undefined {
  return historySince(lab.dir, since).some((entry) => entry.node === node && isCommand(entry, ...command)) || undefined;
}

/** Waits until `node` has run the command (history.jsonl), SIGKILLs the coordinator, runs `meanwhile`, restarts it. */
async function killAfterCommand(since: number, node: string, command: string[], meanwhile: () => Promise<void> = async () => {}): Promise<void> {
  await waitFor(`${node} to run ${command.join(' ')}`, () => ranOn(since, node, command), 30_000, 20);
  await coordinator.kill();
  await meanwhile();
  await coordinator.restart();
}

async function finished(runId: string): Promise<{ state: string; events: RunEvent[] }> {
  const run = await waitFor(`run ${runId} to end`, async () => {
    const view = await coordinator.client.getRun(runId);
    return ['succeeded', 'failed', 'blocked', 'cancelled'].includes(view.state) ? view : undefined;
  }, 60_000, 50);
  const events: RunEvent[] = [];
  if (run.state !== 'blocked') await coordinator.client.watch(runId, 0, (event) => events.push(event));
  return { state: `${run.state}${run.blocker ? `: ${run.blocker.message}` : ''}`, events };
}

/** The run succeeded, said it counted the step from the probe, and `node` ran the command once. */
async function expectReconciled(runId: string, since: number, node: string, command: string[], found: RegExp): Promise<void> {
  const { state, events } = await finished(runId);
  expect(state).toBe('succeeded');
  const reconciled = events.filter((event) => event.type === 'step.reconciled').map((event) => event.message);
  expect(reconciled).toHaveLength(1);
  expect(reconciled[0]).toMatch(found);
  expect(reconciled[0]).toMatch(/step counted done, not sent again$/);
  const ran = historySince(lab.dir, since).filter((entry) => isCommand(entry, ...command));
  expect(ran.map((entry) => entry.node)).toEqual([node]);
}

describe('the coordinator SIGKILLed right after a cluster action reached its node, restarted', () => {
  it('group.move: failover1 found online on server2, clpgrp -m not sent again', async () => {
    const since = nowMs();
    await answerLate('server1', ['clpgrp', '-m']);
    const runId = await apply('reconcile-move', { id: 'move', kind: 'group.move', on: { node: 'server1' }, with: { group: 'failover1', to: 'server2' } });
    await killAfterCommand(since, 'server1', ['clpgrp', '-m']);
    await expectReconciled(runId, since, 'server1', ['clpgrp', '-m'], /^group failover1 already on server2/);
    expect(readClusterState(lab.dir).groups.failover1?.current).toBe('server2');
  }, 120_000);

  it('cluster.suspend: clpstat shows the cluster suspended, clpcl --suspend not sent again', async () => {
    const since = nowMs();
    await answerLate('server1', ['clpcl', '--suspend']);
    const runId = await apply('reconcile-suspend', { id: 'suspend', kind: 'cluster.suspend', on: { node: 'server1' } });
    await killAfterCommand(since, 'server1', ['clpcl', '--suspend']);
    await expectReconciled(runId, since, 'server1', ['clpcl', '--suspend'], /^clpstat shows the cluster suspended/);
  }, 120_000);

  it('cluster.resume: clpstat shows the cluster running, clpcl --resume not sent again', async () => {
    const since = nowMs();
    await answerLate('server1', ['clpcl', '--resume']);
    const runId = await apply('reconcile-resume', { id: 'resume', kind: 'cluster.resume', on: { node: 'server1' } });
    await killAfterCommand(since, 'server1', ['clpcl', '--resume']);
    await expectReconciled(runId, since, 'server1', ['clpcl', '--resume'], /^clpstat shows the cluster running/);
    expect(readClusterState(lab.dir).suspended).toBe(false);
  }, 120_000);

  it('mirror.recover: md1 found copying (no RED copy in the cluster), clpmdctrl -r not sent again', async () => {
    // server1's copy of md1 fell behind while automatic recovery is off: only clpmdctrl -r copies it.
    await withLabLock(lab.dir, () => {
      const cluster = readClusterState(lab.dir);
      writeClusterState(lab.dir, { ...cluster, autoMirrorRecovery: false, mirrors: { ...cluster.mirrors, md1: { server1: 'RED', server2: 'GREEN' } } });
    });
    const since = nowMs();
    await answerLate('server2', ['clpmdctrl', '-r']);
    const runId = await apply('reconcile-recover', { id: 'recover', kind: 'mirror.recover', on: { node: 'server2' }, with: { mirror: 'md1' } });
    await killAfterCommand(since, 'server2', ['clpmdctrl', '-r']);
    await expectReconciled(runId, since, 'server2', ['clpmdctrl', '-r'], /^mirror md1 .*\b(YELLOW|GREEN) on server1/);
    expect(readClusterState(lab.dir).mirrors.md1?.server1).not.toBe('RED');
  }, 120_000);

  it('server.shutdown: server1 back with a new boot id, clpdown not sent again', async () => {
    // As a run would (3.1.3.2): server1 leaves only once its copy of md1 is up to date again.
    await waitFor('md1 GREEN on both servers', () => Object.values(readClusterState(lab.dir).mirrors.md1 ?? {}).every((color) => color === 'GREEN') || undefined, 60_000, 100);
    const bootBefore = readNodeState(lab.dir, 'server1').bootId;
    const since = nowMs();
    const runId = await apply('reconcile-shutdown', { id: 'shutdown', kind: 'server.shutdown', on: { node: 'server1' }, timeout: '60s' });
    await killAfterCommand(since, 'server1', ['clpdown'], () =>
      waitFor('server1 to boot again', () => readNodeState(lab.dir, 'server1').bootId !== bootBefore || undefined, 60_000, 50).then(() => undefined),
    );
    await expectReconciled(runId, since, 'server1', ['clpdown'], /^server1 back with a new boot id/);
  }, 180_000);
});

describe('the agent SIGKILLed while a cluster action answers late', () => {
  it('group.move comes back INTERRUPTED: clpstat shows failover1 on its target, the step succeeds (verified), one clpgrp -m', async () => {
    // Both copies of md1 up to date again (the tests above left server1's behind, auto recovery off).
    await withLabLock(lab.dir, () => {
      const cluster = readClusterState(lab.dir);
      writeClusterState(lab.dir, { ...cluster, mirrors: { ...cluster.mirrors, md1: { server1: 'GREEN', server2: 'GREEN' } } });
    });
    const from = readClusterState(lab.dir).groups.failover1?.current as string;
    const to = from === 'server1' ? 'server2' : 'server1';
    const since = nowMs();
    await answerLate(from, ['clpgrp', '-m']);
    const runId = await apply('interrupted-move', { id: 'move', kind: 'group.move', on: { node: from }, with: { group: 'failover1', to } });
    await waitFor(`${from} to run clpgrp -m`, () => ranOn(since, from, ['clpgrp', '-m']), 30_000, 20);
    signalAgent(lab.dir, from, 'SIGKILL');
    const { state, events } = await finished(runId);
    expect(state).toBe('succeeded');
    expect(events.find((event) => event.type === 'step.succeeded')?.message).toMatch(/interrupted on the node, but the node shows the intended state \(verified\)/);
    expect(historySince(lab.dir, since).filter((entry) => isCommand(entry, 'clpgrp', '-m')).map((entry) => entry.node)).toEqual([from]);
    expect(readClusterState(lab.dir).groups.failover1?.current).toBe(to);
  }, 120_000);
});
