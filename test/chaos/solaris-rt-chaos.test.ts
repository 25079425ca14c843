// Issue 13: the coordinator SIGKILLed at random moments of table 3-1's longest row,
// `new-property-needed` (WHEN_DISABLED: disable, then node by node evacuate, `reboot -- -x`,
// pkgrm, pkgadd, `reboot`; register, migrate, enable), on a 3-node simulated Solaris cluster
// with real agent processes, and restarted on the same database each time, from the apply to
// the end of the run (at least 8 kills, some mid-dispatch, some while a node is out of the
// cluster). The run succeeds;
// history.jsonl has exactly one pkgadd, one pkgrm, one `reboot -- -x` and one `reboot` per node
// and no changing command twice; every resource ends migrated to 2.0, enabled and monitored,
// its group online; the simulated cluster recorded no violation. The kill moments come from a
// seeded PRNG: the seed is printed, and LOCKSTEP_CHAOS_SEED=<seed> replays them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared/domain/run.js';
import { readClusterState, type HistoryEntry } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince } from '../support/custom-runbook.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';
import { chaosRandom, type SeededRandom } from '../support/seeded-random.js';

const NODES = ['server1', 'server2', 'server3'];
const MIN_KILLS = 8;
const MAX_KILLS = 30;
// How long each coordinator lives before the next SIGKILL: some die while starting or
// resuming, some mid-dispatch, some while a node reboots out of or back into the cluster.
const LIFETIME_MS = { min: 200, max: 2_000 };
const FINAL = ['succeeded', 'failed', 'cancelled'];
const STEP_RESULTS = new Set(['step.succeeded', 'step.failed', 'step.skipped']);

let lab: TestLab;
let coordinator: CoordinatorProcess;

beforeAll(async () => {
  lab = await startLab({ nodes: 3, extraArgs: ['--product', 'solaris-cluster', '--rt-change', 'new-property-needed'] });
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

/** Reads leave a node as it was: the agent's probes and the status listings. */
function isRead(entry: HistoryEntry): boolean {
  const [program, sub] = entry.argv;
  if (program === 'uname' || program === 'cat' || program === 'pkginfo') return true;
  if (['clnode', 'clresourcegroup', 'clresource', 'clresourcetype'].includes(program ?? '')) return sub === 'status' || sub === 'show' || sub === 'list';
  return false;
}

/** A changing command as "NODE argv", the agent's staging directory (a new one per op) left out. */
const changeOf = (entry: HistoryEntry): string => `${entry.node} ${entry.argv.join(' ').replace(/ -a \S+ -d \S+\/staging\/[0-9a-f]+ /, ' -a ADMIN -d STAGED ').replace(/ -a \S+pkgadd\.admin /, ' -a ADMIN ')}`;

async function runEvents(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await coordinator.client.watch(runId, 0, (event) => events.push(event));
  return events;
}

/** The kills that landed after a step.dispatched and before that step's result: an op in flight the next coordinator must reconcile, not redo. */
function midDispatchKills(killedAt: readonly number[], events: readonly RunEvent[]): number {
  const windows = events.flatMap((event, index) => {
    if (event.type !== 'step.dispatched') return [];
    const result = events.slice(index + 1).find((later) => later.stepId === event.stepId && later.node === event.node && STEP_RESULTS.has(later.type));
    return [{ from: event.atMs, to: result?.atMs ?? Infinity }];
  });
  return killedAt.filter((t) => windows.some((window) => window.from <= t && t < window.to)).length;
}

/** Kills and restarts the coordinator at random moments for as long as the run goes on (at most MAX_KILLS times). */
async function killUntilFinished(runId: string, seed: SeededRandom): Promise<void> {
  while (coordinator.kills < MAX_KILLS) {
    await new Promise((resolve) => setTimeout(resolve, seed.between(LIFETIME_MS.min, LIFETIME_MS.max)));
    const run = await coordinator.client.getRun(runId).catch(() => undefined);
    if (run !== undefined && run.state === 'blocked') throw new Error(`run ${runId} blocked after ${coordinator.kills} kills (seed ${seed.seed}): ${run.blocker?.message ?? ''}`);
    if (run !== undefined && FINAL.includes(run.state)) return;
    await coordinator.kill();
    coordinator.spawn();
  }
}

/** The kills that landed while some node was out of the cluster (between its `reboot -- -x` and its `reboot`). */
function killsWhileOutOfCluster(killedAt: readonly number[], history: HistoryEntry[]): number {
  const windows = NODES.map((node) => ({
    from: history.find((entry) => entry.node === node && entry.argv.join(' ') === 'reboot -- -x')?.t ?? Infinity,
    to: history.find((entry) => entry.node === node && entry.argv.join(' ') === 'reboot')?.t ?? -Infinity,
  }));
  return killedAt.filter((t) => windows.some((window) => window.from <= t && t < window.to)).length;
}

describe('the coordinator SIGKILLed at random moments of the WHEN_DISABLED row (new-property-needed)', () => {
  it('completes the run: one pkgadd, pkgrm, leave and rejoin per node, no change twice, every resource migrated', async () => {
    const seed = chaosRandom();
    console.log(`solaris rt chaos: seed ${seed.seed} (replay with LOCKSTEP_CHAOS_SEED=${seed.seed})`);
    const began = Date.now();
    const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', '--yes', lab.runbook]);
    expect(applied.code, applied.stderr).toBe(0);
    const runId = applied.stdout.trim().split('\n').pop() as string;

    await killUntilFinished(runId, seed);
    const killsDoneAt = Date.now();
    await coordinator.answers();
    const finished = await waitFor(`run ${runId} to finish`, async () => {
      const run = await coordinator.client.getRun(runId);
      return FINAL.includes(run.state) || run.state === 'blocked' ? run : undefined;
    }, 150_000, 100);
    const midDispatch = midDispatchKills(coordinator.killedAt, await runEvents(runId));
    const history = historySince(lab.dir, finished.createdAtMs);
    const outOfCluster = killsWhileOutOfCluster(coordinator.killedAt, history);
    console.log(
      `solaris rt chaos: ${coordinator.kills} kills, each followed by a takeover by a restarted coordinator, in ${((killsDoneAt - began) / 1000).toFixed(1)} s; ${midDispatch} mid-dispatch, ${outOfCluster} while a node was out of the cluster; run ${finished.state} after ${((Date.now() - began) / 1000).toFixed(1)} s`,
    );
    expect(finished.state, finished.blocker?.message).toBe('succeeded');
    expect(coordinator.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    expect(midDispatch).toBeGreaterThan(0);
    expect(outOfCluster).toBeGreaterThan(0);

    const nodesRunning = (matches: (argv: string) => boolean): string[] => history.filter((entry) => matches(entry.argv.join(' '))).map((entry) => `${entry.node} exit ${entry.exit}`).sort();
    const everyNode = NODES.map((node) => `${node} exit 0`);
    expect(nodesRunning((argv) => argv.startsWith('pkgadd '))).toEqual(everyNode);
    expect(nodesRunning((argv) => argv.startsWith('pkgrm '))).toEqual(everyNode);
    expect(nodesRunning((argv) => argv === 'reboot -- -x')).toEqual(everyNode);
    expect(nodesRunning((argv) => argv === 'reboot')).toEqual(everyNode);
    const changes = history.filter((entry) => !isRead(entry)).map(changeOf);
    expect(changes.filter((change, index) => changes.indexOf(change) !== index)).toEqual([]);

    const cluster = readClusterState(lab.dir);
    expect(cluster.violations).toEqual([]);
    expect(Object.values(cluster.servers).map((server) => server.state)).toEqual(['online', 'online', 'online']);
    expect(cluster.resources?.map((resource) => [resource.name, resource.typeVersion, resource.enabled, resource.monitored])).toEqual([
      ['app-rs1', '2.0', true, true],
      ['app-rs2', '2.0', true, true],
    ]);
    expect(cluster.resourceGroups?.map((group) => [group.name, group.state])).toEqual([
      ['app-rg1', 'online'],
      ['app-rg2', 'online'],
    ]);
  }, 300_000);
});
