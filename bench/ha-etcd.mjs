// The HA coordinator on etcd (issue 15) next to the SQLite default: what the journal on etcd
// costs a barrier round, and how long a takeover takes. Three parts (BENCH_PARTS picks):
//   lab       `lockstep lab up` with N = 3 and 32 simulated nodes (BENCH_LAB_SIZES), the
//             engine in this process running BENCH_ROUNDS rounds of package.query + barrier on
//             each journal in turn: SQLite on disk, then etcd (a 3-member cluster on loopback,
//             data dirs on disk). Median and p90 per backend.
//   thousand  1000 agents (bench/agent-host.mjs: 4 processes × 250 real gRPC servers with mTLS,
//             the hook `true` answered in-process), the engine in this process on each journal
//             in turn: round median and p90, and what a round costs etcd (transactions, rows
//             and bytes the writer sent; puts, WAL fsyncs and client bytes from etcd's /metrics).
//   takeover  two coordinator processes (dist/coordinator/main.js --etcd) on the cluster, a
//             3-node lab running a long package.query run; the leader SIGKILLed at a random
//             moment BENCH_TAKEOVERS times, started again at once (as systemd would, as a
//             follower); from the kill to the first step.dispatched the new leader commits
//             (its own timestamp, read over WatchRun), for each --etcd-lease-ttl in BENCH_TTLS (5 and 2 s).
// The engine's journal for "etcd" is what the leader runs on (coordinator/ha/etcd-journal.ts):
// an in-memory copy, each commit copied to etcd in fenced transactions before its dispatches go.
//   npm run build && node bench/ha-etcd.mjs
//   BENCH_PARTS=lab BENCH_LAB_SIZES=3 BENCH_ROUNDS=6 node bench/ha-etcd.mjs      # a smoke run
/* global fetch, AbortSignal, AbortController */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { stringify } from 'yaml';
import { makeBenchPki, nodeNames } from './support/bench-pki.mjs';
import { freePort, startProcess, waitFor } from './support/bounded-process.mjs';
import { COORDINATOR_MAIN, distModule } from './support/dist-modules.mjs';
import { barrierRoundSteps, FINAL, runbookYaml, watchEvents } from './support/engine-run.mjs';
import { etcdMissing, metricsDelta, startEtcdCluster } from './support/etcd-cluster.mjs';
import { etcdStore, sqliteStore } from './support/etcd-store.mjs';
import { makeHooksDir } from './support/hooks-dir.mjs';
import { startAgentHosts } from './support/agent-hosts.mjs';
import { labUp } from './support/lab.mjs';
import { loadAverage, machine } from './support/machine.mjs';
import { intervals, round, summarize } from './support/percentiles.mjs';
import { limitRunTime, onExit, removeAtExit } from './support/teardown.mjs';

const { createEngine } = await distModule('coordinator/engine/engine.js');
const { silentLogger } = await distModule('shared/logger.js');
const { CoordinatorClient } = await distModule('shared/wire/coordinator-client.js');

const PARTS = new Set((process.env.BENCH_PARTS ?? 'lab,thousand,takeover').split(','));
const LAB_SIZES = (process.env.BENCH_LAB_SIZES ?? '3,32').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const THOUSAND = Number(process.env.BENCH_THOUSAND ?? 1000);
const THOUSAND_ROUNDS = Number(process.env.BENCH_THOUSAND_ROUNDS ?? 8);
const THOUSAND_BUDGET_MS = Number(process.env.BENCH_BUDGET_MS ?? 100_000);
const TAKEOVERS = Number(process.env.BENCH_TAKEOVERS ?? 10);
const TTLS = (process.env.BENCH_TTLS ?? '5,2').split(',').map(Number);
const RUN_LIMIT_MS = Number(process.env.BENCH_LIMIT_MS ?? 20 * 60_000);

const missing = etcdMissing();
if (missing !== undefined) {
  // Skipped, not failed: `npm run bench` runs the other benchmarks on a machine without etcd.
  console.error(`ha-etcd: SKIPPED: ${missing}; nothing measured`);
  process.exit(0);
}
limitRunTime(RUN_LIMIT_MS, 'ha-etcd');
const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-ha-'));
// BENCH_KEEP_LOGS=1 keeps the temp dir (the coordinators' and etcd's logs) and prints where it is.
if (process.env.BENCH_KEEP_LOGS === '1') onExit(() => console.error(`kept: ${root}`));
else removeAtExit(root);
console.log(JSON.stringify({ bench: 'ha-etcd', machine: machine(), parts: [...PARTS], loadavg: loadAverage() }));

const etcd = await startEtcdCluster({ dir: join(root, 'etcd'), maxMs: RUN_LIMIT_MS });
onExit(() => etcd.members.forEach((member) => process.kill(-member.process.pid, 'SIGKILL')));
const results = { lab: [], thousand: [], takeover: [] };
try {
  if (PARTS.has('lab')) for (const nodes of LAB_SIZES) results.lab.push(...(await labRounds(nodes)));
  if (PARTS.has('thousand')) results.thousand.push(...(await thousandRounds()));
  if (PARTS.has('takeover')) for (const ttl of TTLS) results.takeover.push(await takeovers(ttl));
} finally {
  await etcd.stop();
}
printSummary();

function queryRounds(count) {
  return Array.from({ length: count }, (_, index) => [
    { id: `query-${index}`, kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
    { id: `barrier-${index}`, kind: 'barrier' },
  ]).flat();
}

/**
 * Runs `yaml` on a new engine over `journal` (sqliteStore or etcdStore) and returns the round
 * times (between consecutive `barrier-R` passes, the first round not counted) and what etcd
 * was sent and did meanwhile (rounds 1 … last only).
 */
async function roundsOn(journal, { yaml, runbookPath, credentialsDir, budgetMs }) {
  const engine = await createEngine({ store: journal.store, logger: silentLogger(), credentialsDirs: [credentialsDir] });
  const passed = [];
  let firstPass;
  let lastPass;
  let state;
  try {
    const { runId } = await engine.submit({ runbookYaml: yaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'bench' });
    state = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        watch.stop();
        engine.cancel(runId);
        resolve(`cancelled after the ${budgetMs / 1000} s budget`);
      }, budgetMs);
      const watch = watchEvents(engine, runId, (event) => {
        if (event.type === 'barrier.passed' && event.stepId.startsWith('barrier-')) {
          passed.push(performance.now());
          // The counters at the first and the last barrier: what the measured rounds cost.
          const snapshot = { stats: journal.stats(), metrics: journal.backend === 'etcd' ? etcd.metrics() : undefined };
          if (passed.length === 1) firstPass = snapshot;
          lastPass = snapshot;
        }
        if (FINAL.has(event.type)) {
          clearTimeout(timer);
          watch.stop();
          resolve(event.type.slice('run.'.length));
        }
      });
    });
  } finally {
    await engine.close();
  }
  const rounds = intervals(passed);
  let perRound;
  if (journal.backend === 'etcd' && rounds.length > 0) {
    const [metricsBefore, metricsAfter] = await Promise.all([firstPass.metrics, lastPass.metrics]);
    const sent = Object.fromEntries(Object.entries(lastPass.stats).map(([name, value]) => [name, round((value - firstPass.stats[name]) / rounds.length)]));
    // Every member applies every put; each fsyncs its own WAL. Member 1's counters, and the sum of client bytes (they go to one member each).
    const delta = metricsDelta(metricsBefore, metricsAfter);
    perRound = {
      sent: { ...sent, kB: round(sent.bytes / 1024) },
      etcd: {
        putsPerMember: round(delta[0].puts / rounds.length),
        txnsPerMember: round(delta[0].txns / rounds.length),
        walFsyncsPerMember: round(delta[0].walFsyncs / rounds.length),
        backendCommitsPerMember: round(delta[0].backendCommits / rounds.length),
        clientKBIn: round(delta.reduce((sum, member) => sum + member.clientBytesIn, 0) / rounds.length / 1024),
      },
    };
  }
  await journal.close();
  return { state, rounds, perRound };
}

async function labRounds(nodes) {
  const lab = await labUp(join(root, `lab-${nodes}`), nodes);
  const out = [];
  try {
    const runbookPath = join(lab.dir, 'bench.yaml');
    const yaml = stringify({ cluster: 'bench', nodes: lab.runbook.nodes, procedure: 'custom', tls: lab.runbook.tls, steps: queryRounds(ROUNDS) });
    writeFileSync(runbookPath, yaml);
    const dbDir = join(root, `lab-${nodes}-db`);
    mkdirSync(dbDir, { recursive: true });
    for (const backend of ['sqlite', 'etcd']) {
      const loadBefore = loadAverage();
      const journal = backend === 'sqlite' ? sqliteStore(dbDir) : await etcdStore(etcd.endpoints);
      const { state, rounds, perRound } = await roundsOn(journal, { yaml, runbookPath, credentialsDir: lab.dir, budgetMs: 120_000 });
      const result = { part: 'lab', nodes, backend, state, roundMs: summarize(rounds), ...(perRound && { perRound }), loadavg: [loadBefore, loadAverage()] };
      console.log(JSON.stringify(result));
      out.push(result);
    }
  } finally {
    lab.down();
  }
  return out;
}

async function thousandRounds() {
  const names = nodeNames(THOUSAND);
  const pki = await makeBenchPki(join(root, 'pki'), names);
  const hooksDir = makeHooksDir(join(root, 'hooks'));
  // The agents' journals on tmpfs when there is one, as thousand-nodes.mjs keeps them.
  const stateRoot = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/lockstep-bench-ha-journals-') : join(root, 'journals');
  removeAtExit(stateRoot);
  const hosts = await startAgentHosts({ names, pki, hooksDir, stateRoot, count: 4, limitMs: RUN_LIMIT_MS });
  const out = [];
  try {
    const nodes = hosts.flatMap((host) => host.agents);
    const runbookPath = join(root, 'thousand.yaml');
    const yaml = runbookYaml({ nodes, pki, steps: barrierRoundSteps(THOUSAND_ROUNDS + 1) });
    writeFileSync(runbookPath, yaml);
    const dbDir = join(root, 'thousand-db');
    mkdirSync(dbDir, { recursive: true });
    for (const backend of ['sqlite', 'etcd']) {
      const loadBefore = loadAverage();
      const journal = backend === 'sqlite' ? sqliteStore(dbDir) : await etcdStore(etcd.endpoints);
      const { state, rounds, perRound } = await roundsOn(journal, { yaml, runbookPath, credentialsDir: root, budgetMs: THOUSAND_BUDGET_MS });
      const result = { part: 'thousand', nodes: nodes.length, backend, state, roundMs: rounds.length > 0 ? summarize(rounds) : null, rounds: rounds.map((ms) => round(ms)), ...(perRound && { perRound }), loadavg: [loadBefore, loadAverage()] };
      console.log(JSON.stringify(result));
      out.push(result);
    }
  } finally {
    await Promise.all(hosts.map((host) => host.process.stop()));
  }
  return out;
}

/** A coordinator process on the etcd cluster; `respawn()` starts it again on the same ports. */
async function haCoordinator({ dir, name, labDir, prefix, ttl }) {
  const address = `127.0.0.1:${await freePort()}`;
  const http = `127.0.0.1:${await freePort()}`;
  const argv = [process.execPath, COORDINATOR_MAIN, '--listen', address, '--insecure', '--credentials-dir', labDir, '--http', http, '--etcd', etcd.endpoints.join(','), '--etcd-prefix', prefix, '--etcd-lease-ttl', `${ttl}s`, '--log-level', 'info'];
  const log = join(dir, `${name}.log`);
  const spawnIt = () => startProcess(argv, { timeoutMs: RUN_LIMIT_MS, log });
  return {
    name,
    address,
    /** Its log line saying it was elected after `sinceMs`: when (its clock) and how long catching up with the journal took. */
    electedSince(sinceMs) {
      for (const line of readFileSync(log, 'utf8').split('\n').reverse()) {
        if (!line.includes('elected leader')) continue;
        const entry = JSON.parse(line);
        const atMs = Date.parse(entry.time);
        if (atMs >= sinceMs) return { atMs, caughtUpInMs: entry.caughtUpInMs };
      }
      return undefined;
    },
    process: spawnIt(),
    respawn() {
      this.process = spawnIt();
    },
    alive() {
      return this.process.child.exitCode === null && this.process.child.signalCode === null;
    },
    /** {"role","leader"} from /healthz, or undefined while it does not answer. */
    async role() {
      try {
        const response = await fetch(`http://${http}/healthz`, { signal: AbortSignal.timeout(1_000) });
        return response.ok ? (await response.json()).role : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * The run's events from `coordinator` (leader or follower: followers serve WatchRun from their
 * copy), from the last seq seen on, reopened whenever the stream breaks while it is alive.
 */
function follow(coordinator, runId, seen, signal) {
  void (async () => {
    while (!signal.aborted && coordinator.alive()) {
      const client = new CoordinatorClient(coordinator.address, undefined, { deadlineMs: 30_000 });
      try {
        await client.watch(runId, seen.lastSeq + 1, (event) => seen.add(event), { signal });
      } catch {
        // Broken (it died, or changed role): try again while it lives.
      } finally {
        client.close();
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
}

async function takeovers(ttl) {
  const dir = join(root, `takeover-${ttl}`);
  mkdirSync(dir, { recursive: true });
  const lab = await labUp(join(dir, 'lab'), 3);
  const prefix = `/bench-takeover-${process.pid}-${ttl}/`;
  const coordinators = [];
  const samples = [];
  const submitMs = [];
  const stopWatching = new AbortController();
  const loadBefore = loadAverage();
  try {
    // One after the other: two coordinators started at the same moment on an empty prefix can
    // both find it unclaimed, and the second then refuses it (claimPrefix; see docs/PERFORMANCE.md).
    const untilRole = (coordinator, role) =>
      waitFor(`coordinator ${coordinator.name} to be ${role}`, async () => {
        if (!coordinator.alive()) throw Object.assign(new Error(`coordinator ${coordinator.name} exited: ${readFileSync(join(dir, `${coordinator.name}.log`), 'utf8').slice(-1_000)}`), { fatal: true });
        return (await coordinator.role()) === role ? true : undefined;
      }, 60_000, 20);
    coordinators.push(await haCoordinator({ dir, name: 'a', labDir: lab.dir, prefix, ttl }));
    let leader = coordinators[0];
    await untilRole(leader, 'leader');
    coordinators.push(await haCoordinator({ dir, name: 'b', labDir: lab.dir, prefix, ttl }));
    await untilRole(coordinators[1], 'follower');
    // A run of BENCH_ROUNDS_TAKEOVER rounds; when one ends before the takeovers do, the next is submitted.
    // Not one huge run: compiling and journaling a plan of thousands of stages keeps the leader
    // busy for seconds, long enough to lose a 2 s lease (see docs/PERFORMANCE.md).
    const steps = queryRounds(Number(process.env.BENCH_ROUNDS_TAKEOVER ?? 500));
    const runbookPath = join(lab.dir, 'bench-takeover.yaml');
    const yaml = stringify({ cluster: 'bench', nodes: lab.runbook.nodes, procedure: 'custom', tls: lab.runbook.tls, steps });
    writeFileSync(runbookPath, yaml);
    let current;
    const startRun = async () => {
      current?.watching.abort();
      const submitter = new CoordinatorClient(leader.address, undefined, { deadlineMs: 120_000 });
      const started = performance.now();
      const { runId } = await submitter.submit({ runbookYaml: yaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'bench' });
      submitMs.push(round(performance.now() - started));
      submitter.close();
      const seen = {
        lastSeq: 0,
        dispatched: [],
        state: 'running',
        add(event) {
          if (event.seq <= this.lastSeq) return;
          this.lastSeq = event.seq;
          this.state = event.runState;
          if (event.type === 'step.dispatched') this.dispatched.push(event.atMs);
        },
      };
      current = { runId, seen, watching: new AbortController() };
      for (const coordinator of coordinators) follow(coordinator, runId, seen, current.watching.signal);
    };
    stopWatching.signal.addEventListener('abort', () => current?.watching.abort());
    await startRun();
    for (let kill = 0; kill < TAKEOVERS; kill++) {
      // A random moment while the run dispatches and finishes steps.
      await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.random() * 1_000));
      if (current.seen.state === 'succeeded') await startRun();
      if (current.seen.state !== 'running') throw new Error(`the run is ${current.seen.state} before takeover ${kill + 1}`);
      const { seen, runId } = current;
      const survivor = coordinators.find((coordinator) => coordinator !== leader);
      const killedAt = Date.now();
      process.kill(leader.process.pid, 'SIGKILL');
      await leader.process.exited;
      await untilRole(survivor, 'leader');
      const elected = Date.now();
      const dispatchedAt = await waitFor('a step dispatched by the new leader', () => seen.dispatched.find((at) => at >= killedAt), 60_000, 20);
      // The survivor's own account: elected (its log line, after catching up), then resuming (reconciliation) until the dispatch.
      const logged = survivor.electedSince(killedAt);
      samples.push({
        killToDispatchedMs: dispatchedAt - killedAt,
        killToLeaderMs: elected - killedAt,
        ...(logged && { killToElectedLoggedMs: logged.atMs - killedAt, caughtUpInMs: logged.caughtUpInMs, electedToDispatchedMs: dispatchedAt - logged.atMs }),
        loadavg: loadAverage(),
      });
      console.log(JSON.stringify({ part: 'takeover', ttl, kill: kill + 1, ...samples.at(-1) }));
      // Started again at once, as systemd would (Restart=always): it comes back as a follower.
      leader.respawn();
      const restarted = leader;
      await untilRole(restarted, 'follower');
      follow(restarted, runId, seen, stopWatching.signal);
      leader = survivor;
    }
    const canceller = new CoordinatorClient(leader.address, undefined, { deadlineMs: 30_000 });
    await canceller.cancel(current.runId).catch(() => undefined);
    canceller.close();
  } finally {
    stopWatching.abort();
    await Promise.all(coordinators.map((coordinator) => coordinator.process.stop()));
    lab.down();
  }
  const result = {
    part: 'takeover',
    ttlSeconds: ttl,
    takeovers: samples.length,
    killToDispatchedMs: summarize(samples.map((sample) => sample.killToDispatchedMs)),
    killToLeaderMs: summarize(samples.map((sample) => sample.killToLeaderMs)),
    electedToDispatchedMs: summarize(samples.filter((sample) => sample.electedToDispatchedMs !== undefined).map((sample) => sample.electedToDispatchedMs)),
    samples: samples.map((sample) => sample.killToDispatchedMs),
    runs: submitMs.length,
    submitMs,
    loadavg: [loadBefore, loadAverage()],
  };
  console.log(JSON.stringify(result));
  return result;
}

function printSummary() {
  const rounds = [...results.lab, ...results.thousand];
  if (rounds.length > 0) {
    console.log('\nbarrier round, the engine in-process on each journal (first round not counted):');
    console.log('     N  backend   rounds   p50 ms   p90 ms   etcd per round: txns sent, kB sent, WAL fsyncs per member   state   load average');
    for (const result of rounds) {
      const per = result.perRound;
      console.log(
        [
          String(result.nodes).padStart(6),
          result.backend.padEnd(7),
          String(result.roundMs?.n ?? 0).padStart(7),
          String(result.roundMs?.p50 ?? '—').padStart(8),
          String(result.roundMs?.p90 ?? '—').padStart(8),
          (per === undefined ? '—' : `${per.sent.txns}, ${per.sent.kB}, ${per.etcd.walFsyncsPerMember}`).padStart(44),
          `  ${result.state}`,
          `  ${result.loadavg[1]}`,
        ].join(' '),
      );
    }
  }
  for (const result of results.takeover) {
    const { killToDispatchedMs: dispatched, killToLeaderMs: leader } = result;
    console.log(`takeover, --etcd-lease-ttl ${result.ttlSeconds}s: leader SIGKILL → next step dispatched by the new leader: p50 ${dispatched.p50} ms, max ${dispatched.max} ms over ${result.takeovers} takeovers (→ follower reports leader: p50 ${leader.p50} ms, max ${leader.max} ms; its "elected" log line → dispatched: p50 ${result.electedToDispatchedMs.p50} ms) [${result.loadavg[1]}]`);
  }
}
