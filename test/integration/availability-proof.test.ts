// Issue 16 part 3 through the CLI, on a 2-node Replicator lab (failover1 with its mirror md1
// on server1): `lockstep plan` and `apply` refuse a custom runbook that stops both servers, or
// reboots the only server whose copy of md1 is up to date — exit 2, naming the stage, the group
// and the servers, and no run — and with `downtime: planned` the plan prints the downtime.
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readClusterState, withLabLock, writeClusterState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;

beforeAll(async () => {
  lab = await startLab({ nodes: 2, replicator: true });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
}, 60_000);

const cli = (...args: string[]): ReturnType<typeof lockstepCli> => lockstepCli(['--coordinator', coordinator.address, ...args]);

const STOP_BOTH = [
  { id: 'stop-daemon', kind: 'service.stop', with: { services: ['clusterpro'] } },
  { id: 'stopped', kind: 'barrier' },
  { id: 'start-daemon', kind: 'service.start', with: { services: ['clusterpro'] } },
];

describe('lockstep plan/apply and the availability proof', () => {
  it('stopping both servers: plan and apply exit 2 naming the stage, failover1 and md1, and nothing runs', async () => {
    const since = nowMs();
    const runbook = writeCustomRunbook(lab.dir, 'stop-both', facts.nodes, STOP_BOTH);
    for (const command of ['plan', 'apply']) {
      const result = await cli(command, runbook);
      expect(result.code, result.stdout).toBe(2);
      expect(result.stderr).toMatch(/stage stop-daemon: group failover1 \(on server1\) would have no server to run on: server1, server2 leave the cluster in this stage \(step stop-daemon\)/);
      expect(result.stderr).toMatch(/stage stop-daemon: mirror md1 would have no up-to-date copy online: GREEN only on server1, server2/);
      expect(result.stderr).toMatch(/"downtime: planned"/);
    }
    expect((await coordinator.client.listRuns(10)).length).toBe(0);
    expect(historySince(lab.dir, since).filter((entry) => entry.argv[0] !== 'clpstat' && entry.argv[0] !== 'clpmdstat' && !(entry.argv[0] === 'rpm' && entry.argv[1] === '-q'))).toEqual([]);
  }, 60_000);

  it('the same with downtime: planned: plan exits 0 and prints the downtime per group and mirror, from step to step', async () => {
    const runbook = writeCustomRunbook(lab.dir, 'stop-both-planned', facts.nodes, STOP_BOTH);
    writeFileSync(runbook, `${readFileSync(runbook, 'utf8')}downtime: planned\n`);
    const result = await cli('plan', runbook);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/WARNING: planned downtime: group failover1 runs on no server from step stop-daemon to step start-daemon/);
    expect(result.stdout).toMatch(/WARNING: planned downtime: mirror md1 has no up-to-date copy online from step stop-daemon to step start-daemon/);
  }, 60_000);

  it('rebooting server1 while only its copy of md1 is up to date: exit 2 naming md1, failover1 and server1; accepted once both copies are GREEN', async () => {
    const runbook = writeCustomRunbook(lab.dir, 'reboot-only-copy', facts.nodes, [{ id: 'reboot', kind: 'node.reboot', on: { node: 'server1' } }]);
    const original = readClusterState(lab.dir);
    await withLabLock(lab.dir, () => writeClusterState(lab.dir, { ...original, autoMirrorRecovery: false, mirrors: { ...original.mirrors, md1: { server1: 'GREEN', server2: 'RED' } } }));
    const refused = await cli('plan', runbook);
    expect(refused.code, refused.stdout).toBe(2);
    expect(refused.stderr).toMatch(/stage reboot: group failover1 \(on server1\) would have no server to run on: server1 leaves the cluster in this stage \(step reboot\); staying: server2 \(md1 up to date only on server1\)/);
    expect(refused.stderr).toMatch(/stage reboot: mirror md1 would have no up-to-date copy online: GREEN only on server1/);
    await withLabLock(lab.dir, () => writeClusterState(lab.dir, original));
    const accepted = await cli('plan', runbook);
    expect(accepted.code, accepted.stderr).toBe(0);
  }, 60_000);
});
