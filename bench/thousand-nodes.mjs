// Barrier rounds with up to a thousand agents on this 2-core machine (SPEC §11: p50 < 250 ms,
// coordinator RSS < 300 MB at N = 1000), and how the round time grows with N.
//   Agents: bench/agent-host.mjs processes (4 × 250 by default), each agent a real gRPC server
//     with mTLS on its own port, its own certificate and SQLite journal, answering the hook
//     `true` in-process at once (this measures the coordinator, not process spawning). Their
//     journals live on tmpfs (/dev/shm) when there is one: 250 journals share one disk here,
//     where real nodes each have their own.
//   Coordinator: the real process (dist/coordinator/main.js) with its database on disk, a
//     fresh one for each N, at the product's default log level; runs are submitted through
//     its gRPC API as the CLI does. Its RSS is read from /proc (VmRSS sampled, VmHWM peak).
//   Round time: between consecutive `barrier.passed` events of the `barrier-R` stages, as the
//     coordinator stamped them in its journal (read from its database, so that watching costs
//     the coordinator nothing). The first round (connections, TLS handshakes) is not counted.
//   npm run build && node bench/thousand-nodes.mjs
//   BENCH_SIZES=32,100 BENCH_CPU_PROF=1 node bench/thousand-nodes.mjs   # profiles land in the printed dir
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { clearInterval, setInterval, setTimeout } from 'node:timers';
import { join } from 'node:path';
import { makeBenchPki, nodeNames } from './support/bench-pki.mjs';
import { runForJson } from './support/bounded-process.mjs';
import { startCoordinator } from './support/coordinator-process.mjs';
import { summarizeProfile } from './support/cpu-profile-summary.mjs';
import { barrierRoundSteps, runbookYaml } from './support/engine-run.mjs';
import { makeHooksDir } from './support/hooks-dir.mjs';
import { startAgentHosts } from './support/agent-hosts.mjs';
import { cpuTicksOf, loadAverage, machine, memoryOf } from './support/machine.mjs';
import { intervals, round, summarize } from './support/percentiles.mjs';
import { distModule } from './support/dist-modules.mjs';
import { limitRunTime, removeAtExit } from './support/teardown.mjs';

const { readSubmission, compileSubmission } = await distModule('coordinator/procedures/compile-runbook.js');
const { planHash } = await distModule('coordinator/plan/plan-hash.js');
const { RunStore } = await distModule('coordinator/store/run-store.js');
const { CoordinatorClient } = await distModule('shared/wire/coordinator-client.js');

const SIZES = (process.env.BENCH_SIZES ?? '32,100,300,1000').split(',').map(Number);
const HOSTS = Number(process.env.BENCH_HOSTS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
// Per N: the run is cancelled once this is spent, and the rounds done so far are reported.
const BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 100_000);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
// Node options for the coordinator process, to try V8 flags: BENCH_COORDINATOR_NODE_ARGS='--max-semi-space-size=2'.
const EXTRA_NODE_ARGS = (process.env.BENCH_COORDINATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);
const RUN_LIMIT_MS = 9 * 60_000;
const FINAL = new Set(['succeeded', 'blocked', 'failed', 'cancelled']);

limitRunTime(RUN_LIMIT_MS, 'thousand-nodes');
const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-thousand-'));
removeAtExit(root);
const stateRoot = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/lockstep-bench-journals-') : join(root, 'journals');
removeAtExit(stateRoot);
const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'lockstep-bench-profiles-')) : undefined;

const total = Math.max(...SIZES);
console.log(JSON.stringify({ bench: 'thousand-nodes', machine: machine(), sizes: SIZES, hosts: HOSTS, rounds: ROUNDS, journals: stateRoot, loadavg: loadAverage() }));

const names = nodeNames(total);
const pki = await makeBenchPki(join(root, 'pki'), names);
console.log(JSON.stringify({ certificates: names.length, signMs: round(pki.signMs), loadavg: loadAverage() }));
const hooksDir = makeHooksDir(join(root, 'hooks'));
const hosts = await startAgentHosts({ names, pki, hooksDir, stateRoot, count: HOSTS, limitMs: RUN_LIMIT_MS });
const nodes = hosts.flatMap((host) => host.agents);
console.log(JSON.stringify({ agents: nodes.length, hostProcesses: hosts.length, startMs: Math.max(...hosts.map((host) => host.startMs)), hostRssMB: hosts.map((host) => round(memoryOf(host.process.pid).rssMB)), loadavg: loadAverage() }));

const results = [];
let footprint;
try {
  for (const size of SIZES) {
    const result = await measure(size);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  footprint = await poolFootprint();
  console.log(JSON.stringify({ poolFootprint: footprint }));
} finally {
  await Promise.all(hosts.map((host) => host.process.stop()));
}
printSummary(results, footprint);
if (profileDir !== undefined) console.log(`CPU profiles (kept): ${profileDir}`);

/** The memory of the coordinator's connections alone: the real AgentPool to every agent, in a process of its own. */
async function poolFootprint() {
  const file = join(root, 'pool-footprint.json');
  writeFileSync(file, JSON.stringify({ nodes, tls: pki.coordinator, hostPids: hosts.map((host) => host.process.pid) }));
  return runForJson('pool-footprint', [process.execPath, '--expose-gc', new URL('./support/pool-footprint.mjs', import.meta.url).pathname, file], { timeoutMs: 120_000 });
}

async function measure(size) {
  const dir = join(root, `n${size}`);
  mkdirSync(dir, { recursive: true });
  const profileArgs = (name) => (profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', join(profileDir, name)]);
  const nodeArgs = [...EXTRA_NODE_ARGS, ...profileArgs(`n${size}`)];
  const runbookPath = join(dir, 'runbook.yaml');
  const yaml = runbookYaml({ nodes: nodes.slice(0, size), pki, steps: barrierRoundSteps(ROUNDS + 1) });
  writeFileSync(runbookPath, yaml);
  let coordinator = await startCoordinator({ dir, nodeArgs, maxMs: RUN_LIMIT_MS });
  let peakRssMB = 0;
  const sampler = setInterval(() => {
    try {
      peakRssMB = Math.max(peakRssMB, memoryOf(coordinator.pid).rssMB);
    } catch {
      // Between a stop and the next start.
    }
  }, 250);
  try {
    const idleRssMB = memoryOf(coordinator.pid).rssMB;
    const loadBefore = loadAverage();
    let started = performance.now();
    let startedAt = Date.now();
    let runId;
    let submitError = null;
    try {
      ({ runId } = await coordinator.client.submit({ runbookYaml: yaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'bench' }));
    } catch (error) {
      if (!/preflight/.test(error.message)) throw error;
      // The API refused the run (nodes that did not answer the preflight in time). To measure
      // the rounds all the same, the run is written into the coordinator's journal as a submit
      // would have, and the coordinator started again resumes it.
      submitError = { code: error.code, unreachable: (error.message.match(/Deadline exceeded/g) ?? []).length, after: round(performance.now() - started), message: error.message.slice(0, 300) };
      await coordinator.stop();
      runId = seedRun(coordinator.dbFile, yaml, runbookPath);
      started = performance.now();
      startedAt = Date.now();
      coordinator = await startCoordinator({ dir, nodeArgs: [...EXTRA_NODE_ARGS, ...profileArgs(`n${size}-resumed`)], maxMs: RUN_LIMIT_MS, waitForApi: false });
    }
    const submitMs = performance.now() - started;
    const { barriers, state, apiMs, cpuPerRound } = await followRun(coordinator, runId, started + BUDGET_MS);
    const rounds = intervals(barriers);
    const memory = memoryOf(coordinator.pid);
    return {
      nodes: size,
      state,
      submitMs: submitError === null ? round(submitMs) : null,
      submitError,
      // From the submit call (or the restart) to the first barrier: facts, plan, run, connections, round one.
      submitToFirstBarrierMs: barriers.length > 0 ? barriers[0] - startedAt : null,
      roundMs: rounds.length > 0 ? summarize(rounds) : null,
      rounds: rounds.map((ms) => round(ms)),
      cpuMsPerRound: cpuPerRound,
      // ListRuns asked every 2 s during the rounds: how long the answers took, how many never came (10 s).
      apiLatencyMs: { answered: apiMs.some(Number.isFinite) ? summarize(apiMs.filter(Number.isFinite)) : null, unanswered: apiMs.filter((ms) => !Number.isFinite(ms)).length },
      coordinatorRssMB: { idle: round(idleRssMB), peakSampled: round(Math.max(peakRssMB, memory.rssMB)), vmHwm: round(memory.hwmMB), end: round(memory.rssMB), endAnon: round(memory.anonMB) },
      loadavg: [loadBefore, loadAverage()],
    };
  } finally {
    clearInterval(sampler);
    await coordinator.stop();
    if (profileDir !== undefined) for (const name of [`n${size}`, `n${size}-resumed`]) printProfile(name);
  }
}

/** What SubmitRun does after its preflight: compile the runbook and create the run. */
function seedRun(dbFile, yaml, runbookPath) {
  const submission = readSubmission(yaml, runbookPath);
  const plan = compileSubmission(submission, { nodes: [], mirrors: [] });
  const store = new RunStore(dbFile);
  try {
    const id = `run-bench-${nodes.length}-${Date.now()}`;
    store.createRun({ id, plan, planHash: planHash(plan), runbookPath, runbookYaml: yaml, tls: submission.tls, autoApprove: true, requestedBy: 'bench' });
    return id;
  } finally {
    store.close();
  }
}

/**
 * Reads the run's events from the coordinator's own database (WAL: a reader never blocks the
 * writer) until the run ends or the budget is spent, then cancels it. Returns the barrier
 * times as the coordinator stamped them (epoch ms), the final state, and how long ListRuns
 * took when asked every 2 s meanwhile (can an operator still ask it anything?).
 */
async function followRun(coordinator, runId, deadline) {
  const db = new Database(coordinator.dbFile, { readonly: true, fileMustExist: true });
  const barriers = [];
  // CPU ticks (1/100 s) of the coordinator and of the agent hosts, read as each barrier is seen.
  const cpuAtBarrier = [];
  const apiMs = [];
  let seq = 0;
  let state = 'running';
  let probing = true;
  const probe = (async () => {
    while (probing) {
      apiMs.push(await coordinator.apiLatencyMs(10_000));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  })();
  try {
    const select = db.prepare(`SELECT seq, type, step_id, at_ms, run_state FROM events WHERE run_id = ? AND seq > ? ORDER BY seq`);
    while (!FINAL.has(state)) {
      for (const event of select.all(runId, seq)) {
        seq = event.seq;
        state = event.run_state;
        if (event.type === 'barrier.passed' && event.step_id.startsWith('barrier-')) barriers.push(event.at_ms);
      }
      if (cpuAtBarrier.length < barriers.length) {
        cpuAtBarrier.push({ barrier: barriers.length, coordinator: cpuTicksOf(coordinator.pid), hosts: hosts.reduce((sum, host) => sum + cpuTicksOf(host.process.pid), 0) });
      }
      if (FINAL.has(state)) break;
      if (performance.now() > deadline) {
        const cancel = new CoordinatorClient(coordinator.address, undefined, { deadlineMs: 15_000 });
        await cancel.cancel(runId).catch(() => undefined);
        cancel.close();
        state = `cancelled after the ${BUDGET_MS / 1000} s budget`;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } finally {
    probing = false;
    await probe;
    db.close();
  }
  return { barriers, state, apiMs, cpuPerRound: cpuPerRound(cpuAtBarrier) };
}

/** CPU ms per round between the first and the last barrier sampled (ticks are 10 ms). */
function cpuPerRound(samples) {
  const first = samples[0];
  const last = samples.at(-1);
  if (first === undefined || last === undefined || last.barrier === first.barrier) return null;
  const rounds = last.barrier - first.barrier;
  return { rounds, coordinatorMs: round(((last.coordinator - first.coordinator) * 10) / rounds), agentHostsMs: round(((last.hosts - first.hosts) * 10) / rounds) };
}

function printProfile(name) {
  const dir = join(profileDir, name);
  for (const file of existsSync(dir) ? readdirSync(dir).filter((entry) => entry.endsWith('.cpuprofile')) : []) {
    console.log(`coordinator CPU profile ${name} (${join(dir, file)}):`);
    console.log(summarizeProfile(join(dir, file), 20));
  }
}

function printSummary(all, footprint) {
  console.log(`\nbarrier round with the coordinator in its own process (${ROUNDS} rounds after one warm-up, or as many as fit in ${BUDGET_MS / 1000} s):`);
  console.log('     N   p50 ms   p99 ms   to 1st barrier   submit ms   coordinator RSS peak MB   CPU ms/round coordinator + agents   load average');
  for (const result of all) {
    console.log(
      [
        String(result.nodes).padStart(6),
        String(result.roundMs?.p50 ?? '—').padStart(8),
        String(result.roundMs?.p99 ?? '—').padStart(8),
        String(result.submitToFirstBarrierMs ?? '—').padStart(16),
        String(result.submitMs ?? `refused: ${result.submitError?.unreachable} unreachable`).padStart(11),
        String(result.coordinatorRssMB.vmHwm).padStart(25),
        (result.cpuMsPerRound === null ? '—' : `${result.cpuMsPerRound.coordinatorMs} + ${result.cpuMsPerRound.agentHostsMs}`).padStart(35),
        `  ${result.loadavg[1]}`,
      ].join(' '),
    );
  }
  if (footprint !== undefined) {
    console.log(
      `the coordinator's connections alone (AgentPool, ${footprint.nodes} agents, ${footprint.answered} answered): RSS ${footprint.rssMB.modulesLoaded} MB loaded → ` +
        `${footprint.rssMB.poolCreated} MB with credentials → ${footprint.rssMB.allConnected} MB connected (${footprint.perNodeKB.credentials} + ${footprint.perNodeKB.connection} KB per node)`,
    );
    const floor = footprint.rpcFloor;
    console.log(
      `the floor under a round: one bare GetNodeInfo to each of the ${footprint.nodes} agents at once, no journals: p50 ${floor.roundMs.p50} ms, ` +
        `CPU per round ${floor.cpuMsPerRound.client} ms (client) + ${floor.cpuMsPerRound.agentHosts} ms (agent hosts)`,
    );
  }
  const at1000 = all.find((result) => result.nodes === 1000);
  if (at1000 !== undefined) {
    const p50 = at1000.roundMs?.p50 ?? Number.POSITIVE_INFINITY;
    console.log(`target (SPEC §11) at N = 1000: p50 < 250 ms: ${p50} ms — ${p50 < 250 ? 'met' : 'MISSED'}; coordinator RSS < 300 MB: ${at1000.coordinatorRssMB.vmHwm} MB — ${at1000.coordinatorRssMB.vmHwm < 300 ? 'met' : 'MISSED'}`);
  }
}
