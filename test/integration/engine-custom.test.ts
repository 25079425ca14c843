// The engine on a 3-node lab, as an operator would run a custom runbook: barriers hold every
// node until all have finished, a rolling block goes node by node, a gate waits for a
// person, and a failing step blocks every node before the next barrier (SPEC §4.1).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { readHistory, withLabLock, readNodeState, writeNodeState, type HistoryEntry } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let engine: Engine;
let labNodes: Array<{ name: string; address: string }>;
let targetPackage: string;

function writeRunbook(name: string, steps: unknown[]): { path: string; yaml: string } {
  const doc = {
    cluster: 'lab',
    nodes: labNodes,
    procedure: 'custom',
    tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
    steps,
  };
  const yaml = stringify(doc);
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  return { path, yaml };
}

async function until(runId: string, states: RunView['state'][], timeoutMs = 60_000): Promise<RunView> {
  return waitFor(`run ${runId} to reach ${states.join('/')}`, () => {
    const run = engine.getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, timeoutMs, 50);
}

const isCommand = (entry: HistoryEntry, ...prefix: string[]): boolean => prefix.every((word, index) => entry.argv[index] === word);
const indexOf = (history: HistoryEntry[], node: string, ...prefix: string[]): number => history.findIndex((entry) => entry.node === node && isCommand(entry, ...prefix));

beforeAll(async () => {
  lab = await startLab({ nodes: 3 });
  const labRunbook = parseYaml(readFileSync(lab.runbook, 'utf8')) as { nodes: typeof labNodes; params: { package: string } };
  labNodes = labRunbook.nodes;
  targetPackage = labRunbook.params.package;
  engine = await createEngine({ dbFile: join(lab.dir, 'coordinator.sqlite'), logger: silentLogger(), credentialsDirs: [lab.dir] });
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await lab?.down();
});

describe('a custom runbook with two barriers, a gate and a rolling block', () => {
  it('runs to success in the order the barriers demand, each rpm -U exactly once', async () => {
    const order = ['server3', 'server1', 'server2'];
    const runbook = writeRunbook('custom-ok', [
      { id: 'no-autostart', kind: 'service.disable', on: 'all', with: { services: ['clusterpro_alertsync', 'clusterpro_webmgr'] } },
      { id: 'all-disabled', kind: 'barrier' },
      { id: 'lead-version', kind: 'package.query', on: 'one', with: { name: 'clusterpro' } },
      { id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } },
      { id: 'upgrade', kind: 'package.upgrade', on: { rolling: order }, with: { package: targetPackage } },
      { id: 'autostart', kind: 'service.enable', on: { rolling: order }, with: { services: ['clusterpro_webmgr', 'clusterpro_alertsync'] } },
      { id: 'all-upgraded', kind: 'barrier' },
      { id: 'verify', kind: 'verify.package-version', on: 'all', with: { name: 'clusterpro', version: '2.1.3-1' } },
    ]);
    const started = Date.now();
    const { runId } = await engine.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: false, requestedBy: 'test' });
    const waiting = await until(runId as string, ['awaiting-approval']);
    expect(waiting.pendingGates).toEqual(['kernel']);
    // Nothing of the rolling block may run before the gate is approved: every rpm -U comes after (checked below).
    expect(waiting.steps.filter((step) => step.id === 'upgrade').every((step) => step.state === 'pending')).toBe(true);
    const approvedAt = performance.timeOrigin + performance.now();
    engine.approve(runId as string, 'kernel', 'operator1', 'done', engine.getRun(runId as string).planHash);
    const finished = await until(runId as string, ['succeeded', 'blocked', 'failed']);
    expect(finished.state).toBe('succeeded');

    const history = readHistory(lab.dir).filter((entry) => entry.t >= started);
    const upgrades = history.filter((entry) => isCommand(entry, 'rpm', '-U'));
    expect(upgrades.map((entry) => entry.node)).toEqual(order);
    expect(upgrades.every((entry) => entry.t >= approvedAt)).toBe(true);
    // Barrier all-disabled: every node's chkconfig --del before any node's next step.
    const lastDisable = Math.max(...labNodes.map((node) => indexOf(history, node.name, 'chkconfig', '--del', 'clusterpro_webmgr')));
    const firstAfterBarrier = history.findIndex((entry) => isCommand(entry, 'rpm', '-q'));
    expect(lastDisable).toBeGreaterThan(-1);
    expect(firstAfterBarrier).toBeGreaterThan(lastDisable);
    // Rolling: each node finishes the whole block before the next starts.
    for (let i = 1; i < order.length; i++) {
      expect(indexOf(history, order[i - 1] as string, 'chkconfig', '--add', 'clusterpro_alertsync')).toBeLessThan(indexOf(history, order[i] as string, 'rpm', '-U'));
    }
    expect(finished.steps.filter((step) => step.id === 'verify').map((step) => step.state)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  }, 120_000);
});

describe('a failing step', () => {
  it('blocks every node before the next barrier and says which node, which step, what it printed', async () => {
    await withLabLock(lab.dir, () => {
      const node = readNodeState(lab.dir, 'server2');
      writeNodeState(lab.dir, { ...node, faults: [{ match: ['chkconfig', '--add'], mode: 'fail', delayMs: 0, exitCode: 1, stderr: 'simulated: rc links could not be written\n', times: 1 }] });
    });
    const runbook = writeRunbook('custom-fail', [
      { id: 'enable', kind: 'service.enable', on: 'all', with: { services: ['clusterpro_evt'] } },
      { id: 'after-enable', kind: 'barrier' },
      { id: 'status', kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
    ]);
    const started = performance.timeOrigin + performance.now();
    const { runId } = await engine.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: false, requestedBy: 'test' });
    const blocked = await until(runId as string, ['blocked', 'succeeded']);
    expect(blocked.state).toBe('blocked');
    expect(blocked.blocker).toMatchObject({ stepId: 'enable', node: 'server2', remedies: ['retry', 'cancel'] });
    expect(blocked.blocker?.message).toMatch(/exited with 1/);
    expect(blocked.blocker?.outputTail).toMatch(/rc links could not be written/);
    expect(blocked.steps.filter((step) => step.id === 'status').map((step) => step.state)).toEqual(['pending', 'pending', 'pending']);
    expect(readHistory(lab.dir).filter((entry) => entry.t >= started && isCommand(entry, 'rpm', '-q'))).toEqual([]);

    // The fault fired once: a retry of server2 passes the barrier.
    engine.retry(runId as string, 'server2');
    expect((await until(runId as string, ['succeeded', 'blocked'])).state).toBe('succeeded');
  }, 120_000);
});

describe('cancel', () => {
  it('lets a step already sent finish, starts nothing new, and the run ends cancelled', async () => {
    await withLabLock(lab.dir, () => {
      const node = readNodeState(lab.dir, 'server1');
      writeNodeState(lab.dir, { ...node, faults: [{ match: ['rpm', '-q'], mode: 'slow', delayMs: 1500, exitCode: 0, stderr: '', times: 1 }] });
    });
    const runbook = writeRunbook('custom-cancel', [
      { id: 'query', kind: 'package.query', on: { node: 'server1' }, with: { name: 'clusterpro' } },
      { id: 'after-query', kind: 'barrier' },
      { id: 'stop-evt', kind: 'service.stop', with: { services: ['clusterpro_evt'] } },
    ]);
    const started = performance.timeOrigin + performance.now();
    const { runId } = await engine.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: false, requestedBy: 'test' });
    await until(runId as string, ['running']);
    await waitFor('the query to be sent', () => (engine.getRun(runId as string).steps.some((step) => step.id === 'query' && step.state === 'dispatched') ? true : undefined));
    expect(engine.cancel(runId as string).state).toBe('cancelled');
    // The slow query (1.5 s) answers; its result is the event to wait for, not a sleep.
    const run = await waitFor('the query sent before the cancel to finish', () => {
      const current = engine.getRun(runId as string);
      return current.steps.find((step) => step.id === 'query')?.state === 'dispatched' ? undefined : current;
    }, 30_000);
    expect(run.state).toBe('cancelled');
    expect(run.steps.find((step) => step.id === 'query')?.state).toBe('succeeded');
    expect(run.steps.filter((step) => step.id === 'stop-evt').every((step) => step.state === 'pending')).toBe(true);
    expect(readHistory(lab.dir).filter((entry) => entry.t >= started && isCommand(entry, '/etc/init.d/clusterpro_evt', 'stop'))).toEqual([]);
  }, 60_000);
});

describe('a node that does not come back', () => {
  it('blocks the run with a message naming it, and the run never advances on a guess', async () => {
    await withLabLock(lab.dir, () => {
      const node = readNodeState(lab.dir, 'server3');
      writeNodeState(lab.dir, { ...node, rebootDelayMs: 10 * 60_000 });
    });
    const runbook = writeRunbook('custom-gone', [
      { id: 'reboot', kind: 'node.reboot', on: { node: 'server3' }, timeout: '4s' },
      { id: 'after-reboot', kind: 'barrier' },
      { id: 'status', kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
    ]);
    const { runId } = await engine.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: false, requestedBy: 'test' });
    const blocked = await until(runId as string, ['blocked', 'succeeded'], 30_000);
    expect(blocked.state).toBe('blocked');
    expect(blocked.blocker).toMatchObject({ stepId: 'reboot', node: 'server3' });
    expect(blocked.blocker?.message).toMatch(/did not come back with a new boot id/);
    expect(blocked.steps.filter((step) => step.id === 'status').every((step) => step.state === 'pending')).toBe(true);
  }, 60_000);
});
