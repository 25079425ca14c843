// SPEC §4.4 with real processes and real time: a lab, the coordinator program, and maintenance
// windows of a few seconds. The lab's rolling update does one server per window and waits in
// between; every command that changes a node starts inside a window; no node is left between
// disable and enable auto-start while the run waits; and a coordinator SIGKILLed while the run
// is `scheduled` or `waiting-window` starts it at the next opening with no step run twice.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import type { RunEvent, RunView } from '../../shared/domain/run.js';
import { type HistoryEntry } from '../../lab/state/lab-state.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { changesSince } from '../support/custom-runbook.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab | undefined;
let coordinator: CoordinatorProcess | undefined;

/** The coordinator program on the lab; after a kill, again on the same address and database. */
async function startCoordinator(): Promise<CoordinatorClient> {
  if (coordinator === undefined) coordinator = await CoordinatorProcess.start((lab as TestLab).dir);
  else await coordinator.restart();
  return coordinator.client;
}

async function killCoordinator(): Promise<void> {
  await coordinator?.kill();
}

afterEach(async () => {
  await coordinator?.stop();
  coordinator = undefined;
  await lab?.down();
  lab = undefined;
});

/** Writes `name`.yaml next to the lab's runbook (its tls paths are relative to that directory). */
function writeRunbook(name: string, change: (runbook: Record<string, unknown>) => Record<string, unknown>): string {
  const current = lab as TestLab;
  const path = join(current.dir, `${name}.yaml`);
  writeFileSync(path, stringify(change(parseYaml(readFileSync(current.runbook, 'utf8')) as Record<string, unknown>)));
  return path;
}

/** Until the wall clock is `from`..`to` ms past a multiple of `periodMs`: outside the windows, with time before the next. */
async function outsideWindows(periodMs: number, from: number, to: number): Promise<void> {
  const phase = Date.now() % periodMs;
  const wait = phase >= from && phase < to ? 0 : (from - phase + periodMs) % periodMs;
  await new Promise((resolve) => setTimeout(resolve, wait));
}

async function apply(runbook: string): Promise<{ runId: string; stdout: string }> {
  const result = await lockstepCli(['--coordinator', (coordinator as CoordinatorProcess).address, 'apply', runbook]);
  expect(result.code, result.stderr).toBe(0);
  return { runId: result.stdout.trim().split('\n').pop() as string, stdout: result.stdout };
}

function until(runId: string, states: RunView['state'][], timeoutMs = 120_000): Promise<RunView> {
  return waitFor(`run ${runId} to be ${states.join('/')}`, async () => {
    const run = await (coordinator as CoordinatorProcess).client.getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, timeoutMs, 100);
}

async function events(runId: string): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  await (coordinator as CoordinatorProcess).client.watch(runId, 0, (event) => seen.push(event));
  return seen;
}

function mutating(since: number): HistoryEntry[] {
  return changesSince((lab as TestLab).dir, since);
}

/** The window each command started in (its index since the epoch), or -1 outside every window. */
function windowOf(entry: HistoryEntry, periodMs: number, durationMs: number): number {
  return entry.t % periodMs < durationMs ? Math.floor(entry.t / periodMs) : -1;
}

/** Nodes that had auto-start disabled (chkconfig --del) and not yet enabled again at `atMs`. */
function betweenDisableAndEnable(entries: HistoryEntry[], atMs: number): string[] {
  const disabled = new Map<string, number>();
  for (const entry of entries.filter((candidate) => candidate.t <= atMs && candidate.argv[0] === 'chkconfig')) {
    const key = `${entry.node} ${entry.argv[2]}`;
    disabled.set(key, (disabled.get(key) ?? 0) + (entry.argv[1] === '--del' ? 1 : entry.argv[1] === '--add' ? -1 : 0));
  }
  return [...disabled].filter(([, count]) => count > 0).map(([key]) => key);
}

describe('the lab rolling update in 20-second windows every 30 seconds', () => {
  const PERIOD = 30_000;
  const DURATION = 20_000;

  it('is scheduled until the first opening, does one server per window, and every change starts inside a window', async () => {
    lab = await startLab({ nodes: 2 });
    await startCoordinator();
    const runbook = writeRunbook('windowed', (doc) => ({ ...doc, window: { cron: '*/30 * * * * *', duration: '20s', timezone: 'UTC' } }));

    const plan = await lockstepCli(['--coordinator', (coordinator as CoordinatorProcess).address, 'plan', runbook]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/needs 2 windows: /);

    await outsideWindows(PERIOD, DURATION + 500, PERIOD - 3_000);
    const since = Date.now();
    const { runId, stdout } = await apply(runbook);
    expect(stdout).toMatch(/waiting for the window that opens \w{3} \d{4}-\d\d-\d\d \d\d:\d\d(:30)? UTC \(in \d+s\)/);
    expect((await (coordinator as CoordinatorProcess).client.getRun(runId)).state).toBe('scheduled');

    const waiting = await until(runId, ['waiting-window', 'succeeded', 'blocked']);
    expect(waiting.state).toBe('waiting-window');
    const done = await until(runId, ['succeeded', 'blocked']);
    expect(done.state).toBe('succeeded');

    const changes = mutating(since);
    expect(changes.length).toBeGreaterThan(10);
    expect(changes.filter((entry) => windowOf(entry, PERIOD, DURATION) === -1).map((entry) => `${entry.node} ${entry.argv.join(' ')}`)).toEqual([]);
    // One server per window: server2 (first in the lab's order) and server1 updated in different windows.
    const windowsOfRpm = changes.filter((entry) => entry.argv[0] === 'rpm').map((entry) => `${entry.node}:${windowOf(entry, PERIOD, DURATION)}`);
    expect(windowsOfRpm).toHaveLength(2);
    expect(new Set(windowsOfRpm.map((text) => text.split(':')[1])).size).toBe(2);

    const log = await events(runId);
    expect(log.map((event) => event.type).filter((type) => type.startsWith('window.') || type === 'run.scheduled' || type === 'run.waiting-window')).toEqual([
      'run.scheduled',
      'window.opened',
      'run.waiting-window',
      'window.opened',
    ]);
    for (const event of log.filter((candidate) => candidate.type === 'run.waiting-window')) {
      expect(event.message).toMatch(/would need ~\d+s \(expect\), \d+s\d*m?s? left; resumes at/);
      expect(betweenDisableAndEnable(changes, event.atMs)).toEqual([]);
    }
  }, 180_000);
});

describe('the coordinator SIGKILLed while a run waits for its window', () => {
  const PERIOD = 20_000;
  const DURATION = 9_000;
  const rolling = { rolling: ['server1', 'server2'] };
  const steps = [
    { id: 'disable', kind: 'service.disable', on: rolling, with: { services: ['clusterpro_webmgr'] } },
    { id: 'reboot', kind: 'node.reboot', on: rolling },
    // The availability proof: server1's groups fail over to server2, which leaves only once they run there.
    { id: 'healthy', kind: 'cluster.wait-healthy', on: rolling },
    { id: 'enable', kind: 'service.enable', on: rolling, with: { services: ['clusterpro_webmgr'] } },
  ];
  // Each server needs 7 s and a margin (the lab's reboot takes 3-4 s): one server per 9-second window.
  const windowed = (doc: Record<string, unknown>): Record<string, unknown> => ({
    cluster: doc.cluster,
    nodes: doc.nodes,
    tls: doc.tls,
    procedure: 'custom',
    steps,
    window: { cron: '*/20 * * * * *', duration: '9s', timezone: 'UTC' },
    expect: { 'service.disable': '1s', 'node.reboot': '4s', 'cluster.wait-healthy': '1s', 'service.enable': '1s' },
  });

  async function restartAndFinish(runId: string, since: number): Promise<void> {
    await killCoordinator();
    await startCoordinator();
    expect((await until(runId, ['succeeded', 'blocked'], 60_000)).state).toBe('succeeded');
    const changes = mutating(since).map((entry) => `${entry.node} ${entry.argv.join(' ')}`);
    expect(new Set(changes).size).toBe(changes.length);
    expect(changes.filter((change) => change.includes('chkconfig')).sort()).toEqual([
      'server1 chkconfig --add clusterpro_webmgr',
      'server1 chkconfig --del clusterpro_webmgr',
      'server2 chkconfig --add clusterpro_webmgr',
      'server2 chkconfig --del clusterpro_webmgr',
    ]);
    expect(mutating(since).filter((entry) => windowOf(entry, PERIOD, DURATION) === -1)).toEqual([]);
  }

  it('while scheduled: restarted, it starts at the next opening and runs each step once', async () => {
    lab = await startLab({ nodes: 2 });
    await startCoordinator();
    const runbook = writeRunbook('killed-scheduled', windowed);
    await outsideWindows(PERIOD, DURATION + 300, PERIOD - 3_000);
    const since = Date.now();
    const { runId } = await apply(runbook);
    expect((await (coordinator as CoordinatorProcess).client.getRun(runId)).state).toBe('scheduled');
    await restartAndFinish(runId, since);
  }, 120_000);

  it('while waiting-window: restarted, it does the other server at the next opening, and nothing twice', async () => {
    lab = await startLab({ nodes: 2 });
    await startCoordinator();
    const runbook = writeRunbook('killed-waiting', windowed);
    await outsideWindows(PERIOD, DURATION + 300, PERIOD - 3_000);
    const since = Date.now();
    const { runId } = await apply(runbook);
    await until(runId, ['waiting-window'], 40_000);
    expect((await (coordinator as CoordinatorProcess).client.getRun(runId)).steps.filter((step) => step.node === 'server2').map((step) => step.state)).toEqual(['pending', 'pending', 'pending', 'pending']);
    await restartAndFinish(runId, since);
  }, 120_000);
});
