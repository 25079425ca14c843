// SPEC §4.2 / §12: the coordinator killed with SIGKILL — between a dispatch and its result,
// and while the run waits at a barrier — and restarted on the same database completes the
// run, and no node runs any command twice (asserted on the lab's history.jsonl).
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { RunView } from '../../shared/domain/run.js';
import { readNodeState, withLabLock, writeNodeState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { changesSince } from '../support/custom-runbook.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let coordinator: CoordinatorProcess;
let labNodes: Array<{ name: string; address: string }>;
let targetPackage: string;

async function runUntil(runId: string, predicate: (run: RunView) => boolean, timeoutMs = 60_000): Promise<RunView> {
  return waitFor(`run ${runId}`, async () => {
    const run = await coordinator.client.getRun(runId);
    return predicate(run) ? run : undefined;
  }, timeoutMs, 50);
}

function writeRunbook(name: string, steps: unknown[]): string {
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, stringify({ cluster: 'lab', nodes: labNodes, procedure: 'custom', tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' }, steps }));
  return path;
}

async function apply(runbook: string): Promise<string> {
  const result = await lockstepCli(['--coordinator', coordinator.address, 'apply', runbook]);
  expect(result.code, result.stderr).toBe(0);
  return result.stdout.trim().split('\n').pop() as string;
}

/** Commands that changed something, per node, since `since`: none may appear twice. */
function mutatingCommands(since: number): string[] {
  return changesSince(lab.dir, since).map((entry) => `${entry.node} ${entry.argv.join(' ')}`);
}

beforeAll(async () => {
  lab = await startLab({ nodes: 3 });
  const labRunbook = parseYaml(readFileSync(lab.runbook, 'utf8')) as { nodes: typeof labNodes; params: { package: string } };
  labNodes = labRunbook.nodes;
  targetPackage = labRunbook.params.package;
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

describe('coordinator SIGKILLed and restarted', () => {
  it('between a dispatch and its result: the op is reconciled, rpm -U runs once per node', async () => {
    // server2's rpm -U takes 3 s: long enough to kill the coordinator while it waits.
    await withLabLock(lab.dir, () => {
      const node = readNodeState(lab.dir, 'server2');
      writeNodeState(lab.dir, { ...node, faults: [{ match: ['rpm', '-U'], mode: 'slow', delayMs: 3000, exitCode: 1, stderr: '', times: 1 }] });
    });
    const since = performance.timeOrigin + performance.now();
    const runId = await apply(
      writeRunbook('crash-dispatch', [
        { id: 'disable', kind: 'service.disable', with: { services: ['clusterpro_webmgr'] } },
        { id: 'disabled', kind: 'barrier' },
        { id: 'upgrade', kind: 'package.upgrade', with: { package: targetPackage } },
        { id: 'upgraded', kind: 'barrier' },
        { id: 'verify', kind: 'verify.package-version', with: { name: 'clusterpro', version: '2.1.3-1' } },
      ]),
    );
    await runUntil(runId, (run) => run.steps.some((step) => step.id === 'upgrade' && step.node === 'server2' && step.state === 'dispatched'));
    await coordinator.kill();
    await coordinator.restart();
    const finished = await runUntil(runId, (run) => ['succeeded', 'failed', 'blocked', 'cancelled'].includes(run.state));
    expect(finished.state).toBe('succeeded');
    const commands = mutatingCommands(since);
    // Each agent installs its own staged copy of the package (docs/security.md §2), once.
    const staged = (node: string): RegExp => new RegExp(`^${node} rpm -U .*/nodes/${node}/agent/staging/[0-9a-f]{24}/${basename(targetPackage).replace(/\./g, '\\.')}$`);
    const upgrades = commands.filter((command) => command.includes('rpm -U')).sort();
    expect(upgrades).toHaveLength(labNodes.length);
    labNodes.forEach((node, index) => expect(upgrades[index]).toMatch(staged(node.name)));
    expect(new Set(commands).size).toBe(commands.length);
  }, 120_000);

  it('at a barrier waiting for an operator: resumes there, and nothing before it runs again', async () => {
    const since = performance.timeOrigin + performance.now();
    const runId = await apply(
      writeRunbook('crash-barrier', [
        { id: 'enable', kind: 'service.enable', with: { services: ['clusterpro_webmgr'] } },
        { id: 'confirm', kind: 'barrier', confirm: 'operator' },
        { id: 'stop-evt', kind: 'service.stop', with: { services: ['clusterpro_evt'] } },
      ]),
    );
    await runUntil(runId, (run) => run.state === 'awaiting-approval');
    await coordinator.kill();
    await coordinator.restart();
    expect((await coordinator.client.getRun(runId)).state).toBe('awaiting-approval');
    const approved = await lockstepCli(['--coordinator', coordinator.address, 'approve', runId, 'confirm', '--comment', 'all enabled']);
    expect(approved.code, approved.stderr).toBe(0);
    expect((await runUntil(runId, (run) => ['succeeded', 'failed', 'blocked'].includes(run.state))).state).toBe('succeeded');
    const commands = mutatingCommands(since);
    expect(commands.filter((command) => command.includes('chkconfig --add clusterpro_webmgr'))).toHaveLength(3);
    expect(commands.filter((command) => command.includes('/etc/init.d/clusterpro_evt stop'))).toHaveLength(3);
    expect(new Set(commands).size).toBe(commands.length);
  }, 120_000);
});
