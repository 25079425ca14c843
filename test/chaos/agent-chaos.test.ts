// SPEC §4.2, §12: a lab agent SIGKILLed in the middle of a step and started again by the lab
// supervisor (Restart=always). Its journal turns the op INTERRUPTED; the coordinator runs the
// step's verification probe: success when the node shows the effect, otherwise the run blocks
// for the operator with a message that says so. Never a second `rpm -U`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunView } from '../../shared/domain/run.js';
import type { Fault } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, isCommand, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { agentPid, changeNode, labAgentClient, signalAgent } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

const SLOW_MS = 4_000;

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;

beforeAll(async () => {
  lab = await startLab({ nodes: 3 });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

const addressOf = (node: string): string => facts.nodes.find((candidate) => candidate.name === node)?.address ?? '';

async function slowOn(node: string, match: string[], when: Fault['when']): Promise<void> {
  await changeNode(lab.dir, node, (state) => ({ ...state, faults: [{ match, mode: 'slow', when, delayMs: SLOW_MS, exitCode: 1, stderr: '', times: 1 }] }));
}

async function apply(name: string, steps: unknown[]): Promise<string> {
  const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', writeCustomRunbook(lab.dir, name, facts.nodes, steps)]);
  expect(applied.code, applied.stderr).toBe(0);
  return applied.stdout.trim().split('\n').pop() as string;
}

async function settled(runId: string): Promise<RunView> {
  return waitFor(`run ${runId} to settle`, async () => {
    const run = await coordinator.client.getRun(runId);
    return ['succeeded', 'failed', 'blocked', 'cancelled'].includes(run.state) ? run : undefined;
  }, 60_000, 100);
}

/** Waits until `node`'s agent journals the step's op as RUNNING: it is executing it now. */
async function runningOn(runId: string, stepId: string, node: string): Promise<void> {
  const agent = await labAgentClient(lab.dir, node, addressOf(node));
  try {
    await waitFor(`${stepId} to run on ${node}`, async () => {
      const step = (await coordinator.client.getRun(runId)).steps.find((candidate) => candidate.id === stepId && candidate.node === node);
      if (step?.state !== 'dispatched') return undefined;
      return (await agent.getOperation(step.opId)).state === 'RUNNING' ? true : undefined;
    }, 20_000);
  } finally {
    agent.close();
  }
}

const upgradesOn = (node: string, since: number): number => historySince(lab.dir, since).filter((entry) => entry.node === node && isCommand(entry, 'rpm', '-U')).length;

function upgradeSteps(node: string): unknown[] {
  return [
    { id: 'upgrade', kind: 'package.upgrade', on: { node }, timeout: '60s', with: { package: facts.targetPackage } },
    { id: 'upgraded', kind: 'barrier' },
    { id: 'verify', kind: 'verify.package-version', on: { node }, with: { name: 'clusterpro', version: '2.1.3-1' } },
  ];
}

describe('an agent SIGKILLed during a slow rpm -U', () => {
  it('after rpm ran (the answer was late): the probe sees 2.1.3-1 installed, the step succeeds, one rpm -U', async () => {
    const since = nowMs();
    await slowOn('server2', ['rpm', '-U'], 'after');
    const runId = await apply('agent-kill-after', upgradeSteps('server2'));
    await waitFor('rpm -U to run on server2', () => (upgradesOn('server2', since) === 1 ? true : undefined), 20_000);
    signalAgent(lab.dir, 'server2', 'SIGKILL');
    const run = await settled(runId);
    expect(run.state, run.blocker?.message).toBe('succeeded');
    expect(run.steps.find((step) => step.id === 'upgrade')?.message).toMatch(/interrupted on the node, but the node shows the intended state \(verified\)/);
    expect(upgradesOn('server2', since)).toBe(1);
  }, 90_000);

  it('before rpm ran: the probe cannot confirm it, the run blocks saying so, and a retry upgrades once', async () => {
    const since = nowMs();
    await slowOn('server3', ['rpm', '-U'], 'before');
    const runId = await apply('agent-kill-before', upgradeSteps('server3'));
    await runningOn(runId, 'upgrade', 'server3');
    signalAgent(lab.dir, 'server3', 'SIGKILL');
    const blocked = await settled(runId);
    expect(blocked.state).toBe('blocked');
    expect(blocked.blocker).toMatchObject({ stepId: 'upgrade', node: 'server3' });
    expect(blocked.blocker?.message).toMatch(/the agent stopped while this operation ran.*verification probe could not confirm the step: check the node, then retry or cancel/s);
    expect(blocked.steps.find((step) => step.id === 'verify')?.state).toBe('pending');
    expect(upgradesOn('server3', since)).toBe(0);

    const retried = await lockstepCli(['--coordinator', coordinator.address, 'retry', runId, '--node', 'server3']);
    expect(retried.code, retried.stderr).toBe(0);
    expect((await settled(runId)).state).toBe('succeeded');
    expect(upgradesOn('server3', since)).toBe(1);
  }, 90_000);
});

describe('an agent SIGKILLed during a reboot step', () => {
  const rebootSteps = [
    { id: 'reboot', kind: 'node.reboot', on: { node: 'server1' }, timeout: '60s' },
    { id: 'rebooted', kind: 'barrier' },
    { id: 'query', kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
  ];
  const reboots = (since: number): number => historySince(lab.dir, since).filter((entry) => entry.node === 'server1' && isCommand(entry, 'shutdown', '-r')).length;

  it('killed as the node comes back: the run completes on its own', async () => {
    const since = nowMs();
    const before = agentPid(lab.dir, 'server1');
    const runId = await apply('agent-kill-reboot-back', rebootSteps);
    // The agent started by the reboot is killed as soon as it exists.
    const rebooted = await waitFor('server1 to come back from its reboot', () => {
      const pid = agentPid(lab.dir, 'server1');
      return pid !== undefined && pid !== before && reboots(since) === 1 ? pid : undefined;
    }, 30_000, 20);
    process.kill(rebooted, 'SIGKILL');
    const run = await settled(runId);
    expect(run.state, run.blocker?.message).toBe('succeeded');
    expect(reboots(since)).toBe(1);
  }, 90_000);

  it('killed before the node went down: the run blocks at once saying the node did not reboot, and a retry completes it', async () => {
    const since = nowMs();
    await slowOn('server1', ['shutdown', '-r'], 'before');
    const runId = await apply('agent-kill-reboot-early', rebootSteps);
    await runningOn(runId, 'reboot', 'server1');
    const killedAt = Date.now();
    signalAgent(lab.dir, 'server1', 'SIGKILL');
    const blocked = await settled(runId);
    expect(blocked.state).toBe('blocked');
    // Not after the step's 60 s timeout: as soon as the restarted agent answers.
    expect(Date.now() - killedAt).toBeLessThan(15_000);
    expect(blocked.blocker?.message).toMatch(/did not reboot/);
    expect(reboots(since)).toBe(0);

    const retried = await lockstepCli(['--coordinator', coordinator.address, 'retry', runId]);
    expect(retried.code, retried.stderr).toBe(0);
    expect((await settled(runId)).state).toBe('succeeded');
    expect(reboots(since)).toBe(1);
  }, 90_000);
});
