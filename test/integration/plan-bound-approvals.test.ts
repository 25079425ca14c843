// Issue 16 part 2 through the CLI and a real coordinator on a 2-node lab: `apply --plan HASH`
// refuses, creating nothing and printing what changed, once the lab is no longer what `plan`
// saw; `approve` shows the gate and the plan, and the coordinator refuses an approval for
// another plan or for a gate the run is not waiting at (unless marked pre-approve).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readNodeState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { labRunbookFacts, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { agentPid, labAgentClient } from '../support/lab-agents.js';
import { lockstepCli, startLab, type CliResult, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;

beforeAll(async () => {
  lab = await startLab({ nodes: 2 });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
}, 60_000);

const cli = (...args: string[]): Promise<CliResult> => lockstepCli(['--coordinator', coordinator.address, ...args], { timeoutMs: 60_000 });

/** `lockstep plan` of the file; the hash it prints. */
async function planHashOf(runbook: string): Promise<string> {
  const planned = await cli('plan', runbook);
  expect(planned.code, planned.stderr).toBe(0);
  const hash = /^plan ([0-9a-f]{64}) /m.exec(planned.stdout)?.[1];
  expect(planned.stdout).toContain(`--plan ${hash}`);
  return hash as string;
}

async function runCount(): Promise<number> {
  return (await coordinator.client.listRuns(1000)).length;
}

describe('apply --plan HASH', () => {
  it('refuses after a server lost power: exit 2, the node named unreachable, no run', async () => {
    const hash = await planHashOf(lab.runbook);
    const before = await runCount();
    const off = await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server2', 'off']);
    expect(off.code, off.stderr).toBe(0);
    try {
      await waitFor('server2 agent to stop', () => (agentPid(lab.dir, 'server2') === undefined ? true : undefined), 20_000, 100);
      const applied = await cli('apply', lab.runbook, '--plan', hash);
      expect(applied.code, applied.stdout).toBe(2);
      expect(applied.stderr).toMatch(/node server2: 127\.0\.0\.1:\d+, reachable → 127\.0\.0\.1:\d+, unreachable/);
      expect(await runCount()).toBe(before);
    } finally {
      await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server2', 'on']);
      await waitFor('server2 to boot again', () => (readNodeState(lab.dir, 'server2').power === 'up' && agentPid(lab.dir, 'server2') !== undefined ? true : undefined), 30_000, 100);
    }
  }, 120_000);

  it('refuses after a version changed on a node (server2 upgraded by hand): exit 2, the change printed, no run', async () => {
    const hash = await planHashOf(lab.runbook);
    const before = await runCount();
    const server2 = facts.nodes.find((node) => node.name === 'server2') as LabRunbookFacts['nodes'][number];
    const agent = await labAgentClient(lab.dir, 'server2', server2.address);
    try {
      const upgraded = await agent.applyPackage({ opId: `by-hand-${Date.now()}`, runId: 'by-hand', epoch: 1 }, { action: 'upgrade', path: facts.targetPackage });
      expect(upgraded.state).toBe('SUCCEEDED');
    } finally {
      agent.close();
    }
    const applied = await cli('apply', lab.runbook, '--plan', hash);
    expect(applied.code, applied.stdout).toBe(2);
    expect(applied.stderr).toContain(`differs from plan ${hash}`);
    expect(applied.stderr).toContain('version on server2: clusterpro 2.0.0-1 → clusterpro 2.1.3-1');
    expect(await runCount()).toBe(before);
  }, 120_000);

  it('refuses a hash no plan printed (exit 2, naming --plan)', async () => {
    const applied = await cli('apply', lab.runbook, '--plan', 'e'.repeat(64));
    expect(applied.code).toBe(2);
    expect(applied.stderr).toMatch(/plan: this coordinator has shown no plan e{64}/);
  }, 60_000);
});

describe('approvals bound to the plan', () => {
  it('an unchanged plan applies; approve shows the gate and the hash; a wrong hash and an advance approval are refused; pre-approve is accepted', async () => {
    const runbook = writeCustomRunbook(lab.dir, 'bound', facts.nodes, [
      { id: 'go', kind: 'gate', with: { message: 'kernel updated on every server?' } },
      { id: 'query', kind: 'package.query', with: { name: 'clusterpro' } },
      { id: 'later', kind: 'gate', with: { message: 'applications checked?' } },
      { id: 'early', kind: 'gate', 'pre-approve': true, with: { message: 'change ticket signed?' } },
    ]);
    const hash = await planHashOf(runbook);
    const applied = await cli('apply', runbook, '--plan', hash);
    expect(applied.code, applied.stderr).toBe(0);
    const runId = applied.stdout.trim().split('\n').at(-1) as string;
    await waitFor('the first gate', async () => ((await coordinator.client.getRun(runId)).state === 'awaiting-approval' ? true : undefined), 30_000, 100);

    const wrongHash = await cli('approve', runId, 'go', '--plan', 'f'.repeat(64));
    expect(wrongHash.code).toBe(2);
    expect(wrongHash.stderr).toMatch(new RegExp(`plan_hash: this approval is for plan f{64}, but run ${runId} runs plan ${hash}`));
    const inAdvance = await cli('approve', runId, 'later');
    expect(inAdvance.code).toBe(2);
    expect(inAdvance.stderr).toMatch(/gate: later of run .* is not awaiting approval .*pre-approve: true/);
    const preApproved = await cli('approve', runId, 'early', '--plan', hash);
    expect(preApproved.code, preApproved.stderr).toBe(0);

    const approved = await cli('approve', runId, 'go');
    expect(approved.code, approved.stderr).toBe(0);
    expect(approved.stdout).toContain(`plan ${hash}`);
    expect(approved.stdout).toContain('gate go: kernel updated on every server?');
    await waitFor('the run at the second gate', async () => ((await coordinator.client.getRun(runId)).pendingGates[0] === 'later' ? true : undefined), 30_000, 100);
    expect((await cli('approve', runId, 'later')).code).toBe(0);
    // 'early' was approved in advance: the run passes it without waiting.
    await waitFor('the run to succeed', async () => ((await coordinator.client.getRun(runId)).state === 'succeeded' ? true : undefined), 30_000, 100);
  }, 180_000);
});
