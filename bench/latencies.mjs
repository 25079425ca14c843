// The latencies and footprints of SPEC §11 that are not barrier rounds:
//   1. agent idle: RSS and CPU of a real lockstep-agent (mTLS, info logging) after 5 s, CPU over
//      10 s alone and 10 s more with a coordinator-like client connected (keepalive ping / 2 s).
//      Target < 50 MB / ~0. Twice: started as the tests start it (flags only), and as its
//      systemd unit runs it (the unit's NODE_OPTIONS, and a --config file).
//   2. node back after reboot → coordinator knows: a lab node with a 100 ms reboot delay, the
//      real engine in this process running `node.reboot` steps; from the moment the agent first
//      answers GetNodeInfo with its new boot id (probed every 20 ms on a fresh channel) to the
//      engine's step.succeeded. Target < 1 s.
//   3. coordinator SIGKILLed → restarted → next step dispatched: the coordinator process on a
//      3-node lab running package.query rounds; SIGKILL at a random moment, started again at
//      once; from the restart to the first step.dispatched it commits (its own timestamp in
//      its journal). Target < 1 s. systemd's RestartSec (1 s in systemd/) comes on top.
//   4. SQLite transitions per second: the coordinator's RunStore (dispatch + finishTask pairs)
//      and the agent's OpJournal (begin + finish pairs), synchronous=FULL, on this machine's
//      disk and on tmpfs (the difference is the cost of fsync).
//   npm run build && node bench/latencies.mjs
//   BENCH_PARTS=idle,sqlite,lab (default: all three) runs only the parts named: idle is 1,
//   lab is 2 and 3, sqlite is 4.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { coordinatorClientFor, startAgentProcesses, unitNodeOptions } from './support/agent-processes.mjs';
import { makeBenchPki } from './support/bench-pki.mjs';
import { startCoordinator } from './support/coordinator-process.mjs';
import { distModule } from './support/dist-modules.mjs';
import { runOnEngine } from './support/engine-run.mjs';
import { makeHooksDir } from './support/hooks-dir.mjs';
import { labUp } from './support/lab.mjs';
import { cpuTicksOf, loadAverage, machine, memoryOf } from './support/machine.mjs';
import { round, summarize } from './support/percentiles.mjs';
import { limitRunTime, removeAtExit } from './support/teardown.mjs';

const { readNodeState, writeNodeState } = await distModule('lab/state/lab-state.js');
const { RunStore } = await distModule('coordinator/store/run-store.js');
const { OpJournal } = await distModule('agent/op-journal.js');

const REBOOTS = Number(process.env.BENCH_REBOOTS ?? 5);
const KILLS = Number(process.env.BENCH_KILLS ?? 5);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'idle,sqlite,lab').split(','));
const RUN_LIMIT_MS = 5 * 60_000;
// SQLite loops: this many pairs, or as many as fit in the budget.
const PAIRS = 3_000;
const PAIR_BUDGET_MS = 8_000;

limitRunTime(RUN_LIMIT_MS, 'latencies');
const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-latency-'));
removeAtExit(root);
console.log(JSON.stringify({ bench: 'latencies', machine: machine(), loadavg: loadAverage() }));

const results = {};
if (PARTS.has('idle')) {
  results.agentIdle = await agentIdle({ asUnit: false });
  console.log(JSON.stringify({ agentIdle: results.agentIdle }));
  results.agentIdleAsUnit = await agentIdle({ asUnit: true });
  console.log(JSON.stringify({ agentIdleAsUnit: results.agentIdleAsUnit }));
}
if (PARTS.has('sqlite')) {
  results.transitions = await sqliteTransitions();
  console.log(JSON.stringify({ transitions: results.transitions }));
}
if (PARTS.has('lab')) {
  const lab = await labUp(join(root, 'lab'), 3);
  try {
    results.reboot = await rebootLatency(lab);
    console.log(JSON.stringify({ reboot: results.reboot }));
    results.coordinatorRestart = await coordinatorRestart(lab);
    console.log(JSON.stringify({ coordinatorRestart: results.coordinatorRestart }));
  } finally {
    lab.down();
  }
}
printSummary(results);

async function agentIdle({ asUnit }) {
  const dir = join(root, asUnit ? 'idle-unit' : 'idle');
  const pki = await makeBenchPki(join(dir, 'pki'), ['node1']);
  const hooksDir = makeHooksDir(join(dir, 'hooks'));
  const asRun = asUnit ? { nodeArgs: unitNodeOptions(), agentArgs: ['--config', writeAgentConfig(dir)] } : {};
  const agents = await startAgentProcesses({ root: join(dir, 'agents'), pki, names: ['node1'], hooksDir, maxMs: RUN_LIMIT_MS, ...asRun });
  const { pid } = agents.agents[0].process;
  const ticksPerSecond = clockTicks();
  const cpuOver = async (ms) => {
    const before = cpuTicksOf(pid);
    await sleep(ms);
    const ticks = cpuTicksOf(pid) - before;
    return { ticks, cpuPercent: round((100 * ticks) / ticksPerSecond / (ms / 1000), 2) };
  };
  try {
    await sleep(5_000);
    const rssAfter5s = memoryOf(pid).rssMB;
    const alone = await cpuOver(10_000);
    // What the coordinator holds open during a run: a channel with a keepalive ping every 2 s.
    const client = await coordinatorClientFor(pki, 'node1', agents.nodes[0].address, { 'grpc.keepalive_time_ms': 2_000, 'grpc.keepalive_timeout_ms': 1_500 });
    try {
      await client.nodeInfo();
      const connected = await cpuOver(10_000);
      const memory = memoryOf(pid);
      return {
        ...asRun,
        rssMB: round(memory.rssMB),
        rssAnonMB: round(memory.anonMB),
        rssFileMB: round(memory.fileMB),
        rssAfter5sMB: round(rssAfter5s),
        alone10s: alone,
        connected10s: connected,
        clockTicksPerSecond: ticksPerSecond,
        loadavg: loadAverage(),
      };
    } finally {
      client.close();
    }
  } finally {
    await agents.stop();
  }
}

/** A config file as a node has one (the flags, given after it, still win). */
function writeAgentConfig(dir) {
  const file = join(dir, 'agent.yaml');
  writeFileSync(file, 'log-level: info\nservice-manager: auto\nservices: [clusterpro, clusterpro_md, clusterpro_alertsync]\n');
  return file;
}

/** The coordinator's and the agent's journals, in tight loops, on disk and on tmpfs. */
async function sqliteTransitions() {
  const places = { disk: join(root, 'sqlite') };
  if (existsSync('/dev/shm')) {
    places.tmpfs = mkdtempSync('/dev/shm/lockstep-bench-sqlite-');
    removeAtExit(places.tmpfs);
  }
  const out = {};
  for (const [place, dir] of Object.entries(places)) {
    mkdirSync(dir, { recursive: true });
    out[place] = {
      runStorePairsPerSecond: await runStorePairs(join(dir, 'coordinator.sqlite'), false),
      runStoreGroupedPairsPerSecond: await runStorePairs(join(dir, 'coordinator-grouped.sqlite'), true),
      opJournalPairsPerSecond: opJournalPairs(join(dir, 'journal.sqlite')), loadavg: loadAverage() };
  }
  out.fsyncShareOfRunStorePair = out.tmpfs === undefined ? null : round(1 - out.disk.runStorePairsPerSecond / out.tmpfs.runStorePairsPerSecond, 2);
  return out;
}

/**
 * dispatch + finishTask pairs. One at a time, each waits for its own commit (an fsync each);
 * grouped, as a stage does: every task dispatched in one turn, then every result, so that the
 * group commit puts each wave in one transaction.
 */
async function runStorePairs(file, grouped) {
  const store = new RunStore(file);
  try {
    const nodes = Array.from({ length: PAIRS }, (_, index) => ({ name: `node${index}`, address: `127.0.0.1:${10_000 + index}` }));
    const lanes = Object.fromEntries(nodes.map((node) => [node.name, [{ stepId: 'hook', kind: 'hook.run', params: { hook: 'true', timeoutMs: 60_000 }, description: 'hook true' }]]));
    const plan = { cluster: 'bench', procedure: 'custom', nodes, lead: 'node0', stages: [{ type: 'tasks', id: 'hook', lanes }], warnings: [] };
    store.createRun({ id: 'run-bench', plan, planHash: 'bench', runbookPath: '/dev/null', runbookYaml: '', tls: { ca: '', cert: '', key: '' }, autoApprove: true, requestedBy: 'bench' });
    const tasks = store.tasks('run-bench', 0);
    const pair = async (task) => {
      const dispatched = await store.dispatch(task, 1, `run-bench/hook/${task.node}/1`, {});
      await store.finishTask(dispatched, { ok: true, message: '', outputTail: '' });
    };
    if (grouped) {
      const started = performance.now();
      await Promise.all(tasks.map(pair));
      return round(tasks.length / ((performance.now() - started) / 1000));
    }
    const started = performance.now();
    let done = 0;
    for (const task of tasks) {
      await pair(task);
      done++;
      if (performance.now() - started > PAIR_BUDGET_MS) break;
    }
    return round(done / ((performance.now() - started) / 1000));
  } finally {
    store.close();
  }
}

function opJournalPairs(file) {
  const journal = new OpJournal(file, 'boot-bench');
  try {
    const ops = Array.from({ length: PAIRS }, (_, index) => `run-bench/hook/node1/${index}`);
    return timedPairs(ops, (opId) => {
      journal.begin({ opId, runId: 'run-bench', epoch: 1 }, 'hook.run', { name: 'true', args: [] });
      journal.finish(opId, { ok: true, commands: [], message: '' });
    });
  } finally {
    journal.close();
  }
}

function timedPairs(items, pair) {
  const started = performance.now();
  let done = 0;
  for (const item of items) {
    pair(item);
    done++;
    if (performance.now() - started > PAIR_BUDGET_MS) break;
  }
  return round(done / ((performance.now() - started) / 1000));
}

async function rebootLatency(lab) {
  const node = 'server1';
  writeNodeState(lab.dir, { ...readNodeState(lab.dir, node), rebootDelayMs: 100 });
  const labNode = lab.runbook.nodes.find((candidate) => candidate.name === node);
  const tls = Object.fromEntries(Object.entries(lab.runbook.tls).map(([key, path]) => [key, join(lab.dir, path)]));
  const steps = Array.from({ length: REBOOTS }, (_, index) => [
    { id: `reboot-${index}`, kind: 'node.reboot', on: 'all' },
    { id: `barrier-${index}`, kind: 'barrier' },
  ]).flat();
  // Back-to-back reboots of one node: after the first, the lab's failover group is still coming
  // online on another server when the next is sent, and the agent's availability check refuses
  // to take server1 out then (as on a real cluster). This measures the reboot's latency, not
  // the cluster's availability: the downtime is declared.
  const yaml = stringify({ cluster: 'bench', nodes: [labNode], procedure: 'custom', downtime: 'planned', tls, steps });

  // The probe: a fresh channel each time (a failed channel would wait out grpc's backoff).
  const answers = new Map();
  let probing = true;
  const probe = (async () => {
    while (probing) {
      const client = await coordinatorClientFor({ coordinator: tls }, node, labNode.address);
      try {
        const { bootId } = await client.nodeInfo();
        if (!answers.has(bootId)) answers.set(bootId, performance.now());
      } catch {
        // Down, or not listening yet.
      } finally {
        client.close();
      }
      await sleep(20);
    }
  })();
  const loadBefore = loadAverage();
  let run;
  try {
    run = await runOnEngine({ dbFile: join(lab.dir, 'bench-reboot.sqlite'), logFile: join(lab.dir, 'bench-reboot.log'), yaml, runbookPath: join(lab.dir, 'bench-reboot.yaml'), timeoutMs: 90_000 });
  } finally {
    probing = false;
    await probe;
  }
  const latencies = [];
  const whole = [];
  for (let index = 0; index < REBOOTS; index++) {
    const done = run.events.find((event) => event.type === 'step.succeeded' && event.stepId === `reboot-${index}`);
    const sent = run.events.find((event) => event.type === 'step.dispatched' && event.stepId === `reboot-${index}`);
    // "back: server1 (boot id …)" (or, from older builds, "back with boot id …").
    const bootId = /boot id ([^\s)]+)/.exec(done?.message ?? '')?.[1];
    const answered = answers.get(bootId);
    if (done === undefined || answered === undefined) {
      const last = run.events.slice(-6).map((event) => `${event.type} ${event.stepId}@${event.node}: ${event.message}`).join(' | ');
      throw new Error(`reboot-${index}: no step.succeeded naming a boot id the probe saw (${done?.message ?? 'no event'}; seen: ${[...answers.keys()].join(', ')}; the run ended ${run.ended}; its last events: ${last})`);
    }
    latencies.push(done.at - answered);
    whole.push(done.at - sent.at);
  }
  return { ended: run.ended, reboots: latencies.length, backToKnownMs: summarize(latencies), samples: latencies.map((ms) => round(ms)), dispatchToSucceededMs: summarize(whole), rebootDelayMs: 100, loadavg: [loadBefore, loadAverage()] };
}

async function coordinatorRestart(lab) {
  const dir = join(root, 'coordinator');
  mkdirSync(dir, { recursive: true });
  const coordinator = await startCoordinator({ dir, maxMs: RUN_LIMIT_MS });
  const steps = Array.from({ length: 400 }, (_, index) => [
    { id: `query-${index}`, kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
    { id: `barrier-${index}`, kind: 'barrier' },
  ]).flat();
  const runbookPath = join(lab.dir, 'bench-restart.yaml');
  const yaml = stringify({ ...lab.runbook, procedure: 'custom', params: undefined, bundle: undefined, acknowledge: undefined, steps });
  writeFileSync(runbookPath, yaml);
  const samples = [];
  const loadBefore = loadAverage();
  try {
    const { runId } = await coordinator.client.submit({ runbookYaml: yaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'bench' });
    const journal = new Database(coordinator.dbFile, { readonly: true, fileMustExist: true });
    const dispatchedSince = journal.prepare(`SELECT min(at_ms) AS at FROM events WHERE run_id = ? AND type = 'step.dispatched' AND at_ms >= ?`);
    const state = journal.prepare(`SELECT state FROM runs WHERE id = ?`);
    try {
      for (let kill = 0; kill < KILLS; kill++) {
        // A random moment while the run is busy dispatching and finishing steps.
        await sleep(500 + Math.random() * 1_000);
        if (state.get(runId).state !== 'running') throw new Error(`the run is ${state.get(runId).state} before kill ${kill + 1}`);
        const killedAt = Date.now();
        await coordinator.kill();
        const restartedAt = Date.now();
        const restartedPerf = performance.now();
        coordinator.respawn();
        await coordinator.answers(20_000);
        const apiMs = performance.now() - restartedPerf;
        const dispatchedAt = await waitForValue(() => dispatchedSince.get(runId, restartedAt).at ?? undefined, 20_000);
        samples.push({ restartToDispatchedMs: dispatchedAt - restartedAt, killToDispatchedMs: dispatchedAt - killedAt, restartToApiMs: round(apiMs) });
      }
    } finally {
      journal.close();
    }
    await coordinator.client.cancel(runId).catch(() => undefined);
  } finally {
    await coordinator.stop();
  }
  return {
    kills: samples.length,
    restartToDispatchedMs: summarize(samples.map((sample) => sample.restartToDispatchedMs)),
    restartToApiMs: summarize(samples.map((sample) => sample.restartToApiMs)),
    killToDispatchedMs: summarize(samples.map((sample) => sample.killToDispatchedMs)),
    samples,
    loadavg: [loadBefore, loadAverage()],
  };
}

function printSummary(all) {
  const verdict = (ok) => (ok ? 'met' : 'MISSED');
  const { agentIdle: idle, agentIdleAsUnit: idleAsUnit, reboot, coordinatorRestart: restart, transitions = {} } = all;
  console.log('\nlatencies and footprints (load average at the end of each measurement):');
  const idleLine = (idle, how) => console.log(`agent idle RSS, ${how}: ${idle.rssMB} MB (${idle.rssAnonMB} MB its own, ${idle.rssFileMB} MB mapped files; ${idle.rssAfter5sMB} MB 5 s after start), CPU ${idle.alone10s.ticks} ticks / 10 s alone (${idle.alone10s.cpuPercent} %), ${idle.connected10s.ticks} ticks / 10 s with a coordinator connected (${idle.connected10s.cpuPercent} %) [${idle.loadavg}] — target < 50 MB / ~0: ${verdict(idle.rssMB < 50 && idle.alone10s.cpuPercent < 0.5)}`);
  if (idle) idleLine(idle, 'started with flags only');
  if (idleAsUnit) idleLine(idleAsUnit, `as the systemd unit runs it (node ${idleAsUnit.nodeArgs.join(' ')}, --config)`);
  if (reboot) console.log(`node back after reboot → engine knows: p50 ${reboot.backToKnownMs.p50} ms, max ${reboot.backToKnownMs.max} ms over ${reboot.reboots} reboots [${reboot.loadavg[1]}] — target < 1 s (p50): ${verdict(reboot.backToKnownMs.p50 < 1_000)}`);
  if (restart) console.log(`coordinator SIGKILL → restart → next step dispatched: p50 ${restart.restartToDispatchedMs.p50} ms, max ${restart.restartToDispatchedMs.max} ms over ${restart.kills} kills (API answers after p50 ${restart.restartToApiMs.p50} ms) [${restart.loadavg[1]}] — target < 1 s (p50): ${verdict(restart.restartToDispatchedMs.p50 < 1_000)}`);
  for (const [place, figures] of Object.entries(transitions).filter(([, value]) => typeof value === 'object' && value !== null)) {
    console.log(`SQLite on ${place}: RunStore dispatch+finish ${figures.runStorePairsPerSecond} pairs/s one at a time, ${figures.runStoreGroupedPairsPerSecond} pairs/s grouped (3000 at once), OpJournal begin+finish ${figures.opJournalPairsPerSecond} pairs/s [${figures.loadavg}]`);
  }
}

function clockTicks() {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;
  } catch {
    return 100;
  }
}

async function waitForValue(read, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = read();
    if (value !== undefined && value !== null) return value;
    await sleep(5);
  }
  throw new Error(`nothing was dispatched within ${timeoutMs} ms of the restart`);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
