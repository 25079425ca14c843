// SPEC §12: the coordinator SIGKILLed at ≥ 20 random moments of one 3-node rolling update with
// Replicator (the lab's own runbook.yaml: clusterpro/rolling-update), and restarted on the same database each time. The run completes; every node ran
// `rpm -U` exactly once and no changing command twice (history.jsonl); no node ran a step of a
// stage before the barrier in front of it passed; and the availability invariant held
// throughout (test/support/availability.ts: every group online, at most one server offline or
// down, no failover). At least a third of the kills land mid-dispatch, between a step's
// step.dispatched and its result. The kill moments come from a seeded PRNG: the seed is
// printed, and LOCKSTEP_CHAOS_SEED=<seed> replays them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent } from '../../shared/domain/run.js';
import { availabilityViolations, sampleCluster } from '../support/availability.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, labRunbookFacts, type LabRunbookFacts } from '../support/custom-runbook.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';
import { chaosRandom } from '../support/seeded-random.js';
import { checkBarriers, exactlyOnceProblems, midDispatchKills } from '../support/run-checks.js';

const MIN_KILLS = 20;
// How long each coordinator lives before the next SIGKILL: some die while still starting or
// resuming, some mid-dispatch, some while a step polls.
const LIFETIME_MS = { min: 150, max: 1_300 };
const FINAL = ['succeeded', 'failed', 'cancelled'];

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;

beforeAll(async () => {
  lab = await startLab({ nodes: 3, replicator: true });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
});

/** The run's whole event history (the coordinator replays it and ends the stream: the run is final). */
async function runEvents(runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await coordinator.client.watch(runId, 0, (event) => events.push(event));
  return events;
}

/** Kills and restarts the coordinator at random moments until MIN_KILLS, as long as the run goes on. */
async function killRepeatedly(runId: string, seed: ReturnType<typeof chaosRandom>): Promise<void> {
  while (coordinator.kills < MIN_KILLS) {
    await new Promise((resolve) => setTimeout(resolve, seed.between(LIFETIME_MS.min, LIFETIME_MS.max)));
    const run = await coordinator.client.getRun(runId).catch(() => undefined);
    if (run !== undefined && (FINAL.includes(run.state) || run.state === 'blocked')) {
      throw new Error(`run ${runId} is ${run.state} after only ${coordinator.kills} kills (seed ${seed.seed}); ${run.blocker?.message ?? ''}`);
    }
    await coordinator.kill();
    coordinator.spawn();
  }
}

describe('the coordinator SIGKILLed at random moments of a rolling update with Replicator', () => {
  it('completes the run: rpm -U once per node, no barrier jumped, the cluster available throughout', async () => {
    const seed = chaosRandom();
    console.log(`coordinator chaos: seed ${seed.seed} (replay with LOCKSTEP_CHAOS_SEED=${seed.seed})`);
    const sampler = sampleCluster(lab.dir);
    const began = Date.now();
    // The lab's own runbook: clusterpro/rolling-update (CPRO-XL050-06 3.1.3) with Replicator.
    const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', '--yes', lab.runbook]);
    expect(applied.code, applied.stderr).toBe(0);
    const runId = applied.stdout.trim().split('\n').pop() as string;

    await killRepeatedly(runId, seed);
    const killsDoneAt = Date.now();
    await coordinator.answers();
    const finished = await waitFor(`run ${runId} to finish`, async () => {
      const run = await coordinator.client.getRun(runId);
      return FINAL.includes(run.state) || run.state === 'blocked' ? run : undefined;
    }, 150_000, 100);
    const samples = sampler.stop();
    const { midDispatch, unanswered } = midDispatchKills(coordinator.killedAt, await runEvents(runId));
    console.log(
      `coordinator chaos: ${coordinator.kills} kills in ${((killsDoneAt - began) / 1000).toFixed(1)} s, ${midDispatch} of them mid-dispatch; run ${finished.state} after ${((Date.now() - began) / 1000).toFixed(1)} s; ${samples.length} availability samples`,
    );
    expect(finished.state, finished.blocker?.message).toBe('succeeded');
    expect(coordinator.kills).toBeGreaterThanOrEqual(MIN_KILLS);
    // Every dispatch of a run that succeeded has its result: the windows are all closed.
    expect(unanswered).toEqual([]);
    expect(midDispatch * 3).toBeGreaterThanOrEqual(coordinator.kills);

    const history = historySince(lab.dir, finished.createdAtMs);
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
    expect(exactlyOnceProblems(history, facts)).toEqual([]);
    expect(checkBarriers(finished, history)).toEqual([]);
  }, 240_000);
});
