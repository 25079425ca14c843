// Issue 15: a highly available coordinator on a real 3-member etcd cluster (Debian's etcd), two
// real coordinator processes, a 3-node lab with Replicator running the lab's rolling update.
// - The leader SIGKILLed at random moments (≥ 5 takeovers): the follower takes over within the
//   lease TTL plus a margin, the run succeeds, rpm -U ran once per node, no barrier was passed
//   early, and the cluster stayed available (test/support/availability.ts).
// - The leader SIGSTOPped past its lease, a takeover, then SIGCONT: the old leader writes
//   nothing (etcd refuses its fenced write, and it exits 75) and an agent refuses its epoch.
// - One etcd member killed: the run goes on; two of three: nothing is dispatched while quorum is
//   lost, and the run finishes once they are back.
// The kill moments come from a seeded PRNG: LOCKSTEP_CHAOS_SEED=<seed> replays them.
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunView } from '../../shared/domain/run.js';
import type { HistoryEntry } from '../../lab/state/lab-state.js';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { availabilityViolations, sampleCluster } from '../support/availability.js';
import { historySince, isRead, labRunbookFacts, type LabRunbookFacts } from '../support/custom-runbook.js';
import { haveEtcd, startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';
import { startHaGroup, type HaCoordinator, type HaGroup } from '../support/ha-coordinators.js';
import { labAgentClient } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';
import { checkBarriers, exactlyOnceProblems } from '../support/run-checks.js';
import { chaosRandom } from '../support/seeded-random.js';
import { makeTempDir } from '../support/temp-dir.js';

const enabled = haveEtcd();
const MIN_TAKEOVERS = 5;
const LEASE_TTL_S = 2;
/** A takeover: the lease runs out (TTL), the follower sees its key go, catches up and resumes. */
const TAKEOVER_MARGIN_MS = 3_000;
const FINAL = ['succeeded', 'failed', 'cancelled'];

let temp: ReturnType<typeof makeTempDir>;
let etcd: EtcdCluster;
let lab: TestLab | undefined;
let facts: LabRunbookFacts;
let group: HaGroup | undefined;
let prefixCount = 0;

beforeAll(async () => {
  if (!enabled) return;
  temp = makeTempDir('lockstep-ha-');
  etcd = await startEtcdCluster({ dir: temp.dir, members: 3 });
}, 120_000);

afterEach(async () => {
  await group?.stop();
  group = undefined;
  await lab?.down();
  lab = undefined;
});

afterAll(async () => {
  await etcd?.stop();
  temp?.remove();
});

function currentLab(): TestLab {
  if (lab === undefined) throw new Error('no lab: newGroup() makes one');
  return lab;
}

/** A fresh lab (every node on the runbook's old version) and a coordinator group on a prefix of its own. */
async function newGroup(): Promise<HaGroup> {
  lab = await startLab({ nodes: 3, replicator: true });
  facts = labRunbookFacts(currentLab().dir);
  prefixCount += 1;
  group = await startHaGroup({ count: 2, endpoints: etcd.endpoints, prefix: `/lockstep-test-${prefixCount}/`, credentialsDir: currentLab().dir, leaseTtl: `${LEASE_TTL_S}s` });
  return group;
}

/** `lockstep apply` given the whole group, a follower first: the CLI follows it to the leader. */
async function apply(leader: HaCoordinator): Promise<string> {
  const others = (group?.coordinators ?? []).filter((coordinator) => coordinator !== leader).map((coordinator) => coordinator.address);
  const applied = await lockstepCli(['--coordinator', [...others, leader.address].join(','), 'apply', '--yes', currentLab().runbook]);
  expect(applied.code, applied.stderr).toBe(0);
  return applied.stdout.trim().split('\n').pop() as string;
}

async function runEvents(coordinator: HaCoordinator, runId: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  await coordinator.client.watch(runId, 0, (event) => events.push(event));
  return events;
}

async function finalRun(g: HaGroup, runId: string, timeoutMs = 180_000): Promise<RunView> {
  return waitFor(`run ${runId} to finish`, async () => {
    const leader = await g.anyAnswering(5_000);
    const run = await leader.client.getRun(runId);
    return FINAL.includes(run.state) || run.state === 'blocked' ? run : undefined;
  }, timeoutMs, 200);
}

/** rpm -U once per node of the lab's runbook, no changing command twice, no barrier jumped. */
function checkExactlyOnce(finished: RunView, history: HistoryEntry[]): void {
  expect(exactlyOnceProblems(history, facts)).toEqual([]);
  expect(checkBarriers(finished, history)).toEqual([]);
}

describe.skipIf(!enabled)('an HA coordinator on etcd', () => {
  it(`survives ≥ ${MIN_TAKEOVERS} leader SIGKILLs mid-run: each takeover within the TTL plus a margin, rpm -U once per node, no barrier jumped, the cluster available`, async () => {
    const seed = chaosRandom();
    console.log(`ha takeover: seed ${seed.seed} (replay with LOCKSTEP_CHAOS_SEED=${seed.seed})`);
    const g = await newGroup();
    const sampler = sampleCluster(currentLab().dir);
    let leader = await g.leader();
    const runId = await apply(leader);
    const takeoversMs: number[] = [];
    while (takeoversMs.length < MIN_TAKEOVERS) {
      await new Promise((resolve) => setTimeout(resolve, seed.between(300, 2_000)));
      const run = await leader.client.getRun(runId);
      if (FINAL.includes(run.state) || run.state === 'blocked') throw new Error(`run ${runId} is ${run.state} after only ${takeoversMs.length} takeovers (seed ${seed.seed}); ${run.blocker?.message ?? ''}`);
      const killedAt = Date.now();
      await leader.kill('SIGKILL');
      const next = await g.leader(LEASE_TTL_S * 1000 + TAKEOVER_MARGIN_MS + 5_000);
      takeoversMs.push(Date.now() - killedAt);
      expect(next).not.toBe(leader);
      // systemd starts the killed one again: it joins as a follower.
      leader.spawn();
      leader = next;
    }
    const finished = await finalRun(g, runId);
    const samples = sampler.stop();
    console.log(`ha takeover: ${takeoversMs.length} takeovers in ${takeoversMs.map((ms) => `${ms} ms`).join(', ')}; run ${finished.state}`);
    expect(finished.state, finished.blocker?.message).toBe('succeeded');
    for (const ms of takeoversMs) expect(ms).toBeLessThanOrEqual(LEASE_TTL_S * 1000 + TAKEOVER_MARGIN_MS);
    const history = historySince(currentLab().dir, finished.createdAtMs);
    checkExactlyOnce(finished, history);
    expect(availabilityViolations(samples, history, 1)).toEqual([]);
    // Each new leader said so in the run's log, with its (larger) epoch.
    const resumed = (await runEvents(leader, runId)).filter((event) => event.type === 'run.resumed').map((event) => Number(/epoch (\d+)/.exec(event.message)?.[1]));
    expect(resumed.length).toBeGreaterThanOrEqual(MIN_TAKEOVERS);
    expect([...resumed].sort((a, b) => a - b)).toEqual(resumed);
  }, 420_000);

  it('a leader SIGSTOPped past its lease and then continued writes nothing: etcd refuses it, it exits 75, and an agent refuses its epoch', async () => {
    const g = await newGroup();
    const old = await g.leader();
    const runId = await apply(old);
    // Let it dispatch the first steps, so the agents know the run.
    await waitFor('a step to succeed', async () => ((await old.client.getRun(runId)).steps.some((step) => step.state === 'succeeded') ? true : undefined), 60_000, 100);
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      const prefix = `/lockstep-test-${prefixCount}/`;
      const oldEpoch = (JSON.parse((await client.get(`${prefix}leader`).string()) ?? '{}') as { epoch: number }).epoch;
      // The old leader's election key: the one created at its epoch.
      const oldKey = (await client.getAll().prefix(`${prefix}election/`).exec()).kvs.find((kv) => Number(kv.create_revision) === oldEpoch)?.key.toString();
      expect(oldKey).toBeDefined();
      old.signal('SIGSTOP');
      const stoppedAt = Date.now();
      const next = await g.leader(LEASE_TTL_S * 1000 + TAKEOVER_MARGIN_MS + 5_000);
      expect(next).not.toBe(old);
      // The new leader has resumed the run: some step dispatched with its epoch.
      await waitFor('the new leader to dispatch', async () => ((await runEvents(next, runId)).some((event) => event.type === 'step.dispatched' && event.atMs > stoppedAt) ? true : undefined), 60_000, 200);
      const newEpoch = (JSON.parse((await client.get(`/lockstep-test-${prefixCount}/leader`).string()) ?? '{}') as { epoch: number }).epoch;
      expect(newEpoch).toBeGreaterThan(oldEpoch);
      // Every write of the old leader is conditioned on that key as it was: etcd now refuses such a write.
      const fenced = await client.if(oldKey as string, 'Create', '==', oldEpoch).then(client.put(`${prefix}rows/events/9999999999999999`).value('{}')).commit();
      expect(fenced.succeeded).toBe(false);
      const eventsBefore = (await runEvents(next, runId)).length;
      const exitsBefore = old.exits.length;
      old.signal('SIGCONT');
      // It stops by itself, at once: its lease lapsed on its own clock, or etcd refused its write.
      await waitFor('the old leader to exit', () => (old.exits.length > exitsBefore ? true : undefined), 10_000, 50);
      const exit = old.exits.at(-1);
      expect(exit?.code).toBe(75);
      expect(exit?.output).toMatch(/deposed: this coordinator is no longer the leader/);
      // Nothing of it reached the journal after the takeover: every event since is the new leader's.
      const after = await runEvents(next, runId);
      expect(after.slice(eventsBefore).every((event) => event.atMs >= stoppedAt)).toBe(true);
      // An agent that has seen the new epoch refuses the old one, whatever connection it comes on.
      const node = facts.nodes.find((each) => each.name === 'server1') ?? facts.nodes[0];
      const agent = await labAgentClient(currentLab().dir, node!.name, node!.address);
      try {
        await waitFor('server1 to have seen the new epoch', async () => ((await runEvents(next, runId)).some((event) => event.node === node!.name && event.type === 'step.dispatched' && event.atMs > stoppedAt) ? true : undefined), 120_000, 200);
        await expect(agent.controlService({ opId: `stale-${Date.now()}`, runId, epoch: oldEpoch }, CLUSTERPRO_2X_SERVICES[0] as string, 'start')).rejects.toThrow(/op\.epoch: \d+ is older than epoch \d+ already seen/);
      } finally {
        agent.close();
      }
      const finished = await finalRun(g, runId);
      expect(finished.state, finished.blocker?.message).toBe('succeeded');
      checkExactlyOnce(finished, historySince(currentLab().dir, finished.createdAtMs));
    } finally {
      client.close();
    }
  }, 300_000);

  it('goes on with one etcd member down; with two down dispatches nothing, and finishes once they are back', async () => {
    const g = await newGroup();
    const leader = await g.leader();
    const runId = await apply(leader);
    const [first, second] = etcd.members;
    await first!.kill('SIGKILL');
    const oneDownAt = Date.now();
    await waitFor('a step to succeed with one member down', async () => {
      const events = await runEvents(await g.anyAnswering(), runId);
      return events.some((event) => event.type === 'step.succeeded' && event.atMs > oneDownAt + 500) ? true : undefined;
    }, 60_000, 200);
    await second!.kill('SIGKILL');
    const quorumLostAt = Date.now();
    // What was already sent may finish on the agents; nothing new may start.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    const quorumBackAt = Date.now();
    const during = historySince(currentLab().dir, quorumLostAt + 3_000).filter((entry) => entry.t < quorumBackAt && !isRead(entry.argv));
    expect(during.map((entry) => `${entry.node} ${entry.argv.join(' ')}`)).toEqual([]);
    await first!.start();
    await second!.start();
    await etcd.waitForLeader(30_000);
    const finished = await finalRun(g, runId, 240_000);
    expect(finished.state, finished.blocker?.message).toBe('succeeded');
    checkExactlyOnce(finished, historySince(currentLab().dir, finished.createdAtMs));
  }, 420_000);
});

describe.skipIf(!enabled)('bad --etcd settings fail at start, naming the flag', () => {
  let pkiLab: TestLab | undefined;
  beforeAll(async () => {
    pkiLab = await startLab({ nodes: 1 });
  }, 60_000);
  afterAll(async () => {
    await pkiLab?.down();
  });
  const start = (args: string[]): Promise<{ code: number; stderr: string; stdout: string }> =>
    lockstepCoordinator(['--listen', '127.0.0.1:0', '--insecure', '--credentials-dir', pkiLab!.dir, '--http', '127.0.0.1:0', ...args]);

  it('unreachable endpoints', async () => {
    const result = await start(['--etcd', 'http://127.0.0.1:9']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--etcd: no etcd member answered at http:\/\/127\.0\.0\.1:9/);
  }, 30_000);

  it('a prefix that holds keys that are not a journal', async () => {
    const client = new Etcd3({ hosts: etcd.endpoints });
    try {
      await client.put('/not-lockstep/app/config').value('x');
    } finally {
      client.close();
    }
    const result = await start(['--etcd', etcd.endpoints.join(','), '--etcd-prefix', '/not-lockstep/']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--etcd-prefix: \/not-lockstep\/ already holds 1 key\(s\) that are not a lockstep journal/);
  }, 30_000);

  it('TLS that does not match the members (https to a plain-HTTP etcd)', async () => {
    const https = etcd.endpoints.map((endpoint) => endpoint.replace('http://', 'https://'));
    const result = await start(['--etcd', https.join(','), '--etcd-tls-ca', join(pkiLab!.dir, 'pki', 'ca.pem')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--etcd: no etcd member answered .* Check --etcd-tls-ca/);
  }, 30_000);
});

async function lockstepCoordinator(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const { spawnNode, builtProgram } = await import('../support/processes.js');
  const spawned = spawnNode(builtProgram('coordinator/main.js'), args);
  const timer = setTimeout(() => spawned.child.kill('SIGKILL'), 20_000);
  const { code } = await spawned.exited;
  clearTimeout(timer);
  const output = spawned.output();
  return { code: code ?? -1, stderr: output, stdout: '' };
}
