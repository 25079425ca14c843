// What one RunHook costs the agent (issue 19: ≤ 1.5 ms of its CPU): a real `lockstep-agent`
// (dist/agent/main.js) over mTLS, NODE_OPTIONS as its unit sets them, a hooks dir with `true`
// (a script: `exec /bin/true`), sequential RunHooks from this process; the agent's user + system CPU
// (/proc/PID/stat, every thread, not its children) per RunHook, and per GetOperation (a journal
// read: the transport's and the service's share). This build's agent and the
// anchor's (BENCH_ANCHOR: another built tree, optional) run side by side, alternately, so that
// load falls on both. Each run also times, for this build, the floor of a RunHook: what SPEC §3
// demands of any agent and nothing else — a GetOperation (one unary gRPC call over mTLS), the
// journal's two commits and one spawn of the hook, the last two alone in a process started as the
// agent is (bench/support/agent-floor-parts.mjs). BENCH_FLOOR=0 leaves it out; BENCH_HOOK=binary
// makes the hook a copy of /bin/true (bench/support/hooks-dir.mjs).
//   node bench/agent-op-cost.mjs
//   BENCH_RUNS=3 BENCH_OPS=300 BENCH_WARMUP=30 BENCH_ANCHOR=/work/anchor node bench/agent-op-cost.mjs
//   BENCH_CPU_PROF=1 node bench/agent-op-cost.mjs     # + where each agent's main thread spent the measured ops
//   BENCH_NODE_OPTIONS= BENCH_LOG_LEVEL=warn node bench/agent-op-cost.mjs   # without --jitless, without the two info lines per op
//   BENCH_ANCHOR=. BENCH_ANCHOR_NODE_OPTIONS= node bench/agent-op-cost.mjs   # this build with the unit's NODE_OPTIONS against itself without
//   BENCH_ANCHOR=. BENCH_ANCHOR_NODE_OPTIONS= BENCH_ANCHOR_NODE_ARGS=--no-opt node bench/agent-op-cost.mjs   # … against itself with node flags
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, runForJson, startProcess, waitFor } from './support/bounded-process.mjs';
import { coordinatorClientFor, unitNodeOptions } from './support/agent-processes.mjs';
import { makeBenchPki } from './support/bench-pki.mjs';
import { summarizeProfile } from './support/cpu-profile-summary.mjs';
import { AGENT_MAIN } from './support/dist-modules.mjs';
import { hookForm, makeHooksDir } from './support/hooks-dir.mjs';
import { loadAverage, machine, memoryOf } from './support/machine.mjs';
import { limitRunTime, onExit, removeAtExit } from './support/teardown.mjs';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const OPS = Number(process.env.BENCH_OPS ?? 300);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 30);
const ANCHOR = process.env.BENCH_ANCHOR || undefined;
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const FLOOR = process.env.BENCH_FLOOR !== '0';
const TICK_MS = 10; // USER_HZ is 100 on Linux
// What the agents get instead of the unit's NODE_OPTIONS and the product's log level, to see their share.
const NODE_OPTIONS = process.env.BENCH_NODE_OPTIONS ?? unitNodeOptions().join(' ');
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL ?? 'info';
const ANCHOR_NODE_OPTIONS = process.env.BENCH_ANCHOR_NODE_OPTIONS ?? NODE_OPTIONS;
// node's own command-line flags before the script, e.g. V8 flags NODE_OPTIONS refuses (--no-opt).
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
const ANCHOR_NODE_ARGS = (process.env.BENCH_ANCHOR_NODE_ARGS ?? process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

limitRunTime(5 * 60_000, 'agent-op-cost');
const root = mkdtempSync(join(tmpdir(), 'lockstep-op-cost-'));
if (!CPU_PROF) removeAtExit(root); // with profiles, the directory is kept: its path is printed
const builds = [
  { build: 'this', main: AGENT_MAIN, nodeOptions: NODE_OPTIONS, nodeArgs: NODE_ARGS },
  ...(ANCHOR === undefined ? [] : [{ build: 'anchor', main: join(ANCHOR, 'dist/agent/main.js'), nodeOptions: ANCHOR_NODE_OPTIONS, nodeArgs: ANCHOR_NODE_ARGS }]),
];
if (ANCHOR !== undefined && !existsSync(join(ANCHOR, 'dist/agent/main.js'))) {
  console.error(`BENCH_ANCHOR=${ANCHOR}: no dist/agent/main.js there (build it first)`);
  process.exit(2);
}
const pki = await makeBenchPki(join(root, 'pki'), builds.map(({ build }) => build));
const HOOK = hookForm();
const hooksDir = makeHooksDir(join(root, 'hooks'), HOOK);

/** One agent of `main`, started as bench/support/agent-processes.mjs starts them, the unit's NODE_OPTIONS in its environment. */
async function startAgent({ build, main, nodeOptions, nodeArgs }) {
  const stateDir = join(root, build);
  mkdirSync(stateDir, { recursive: true });
  const port = await freePort();
  const { cert, key } = pki.agent(build);
  const profileDir = join(root, `${build}-profile`);
  const argv = [process.execPath, ...nodeArgs, ...(CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), main, '--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--hooks-dir', hooksDir, '--tls-ca', pki.ca, '--tls-cert', cert, '--tls-key', key, '--log-level', LOG_LEVEL];
  const env = { ...process.env, NODE_OPTIONS: nodeOptions };
  const agent = { build, nodeArgs, nodeOptions, profileDir, log: join(root, `${build}.log`), windows: [] };
  agent.process = startProcess(argv, { timeoutMs: 30 * 60_000, log: agent.log, env });
  agent.client = await coordinatorClientFor(pki, build, `127.0.0.1:${port}`, {});
  await waitFor(`${build} to answer`, () => agent.client.nodeInfo(), 60_000, 100);
  return agent;
}

let opNumber = 0;
async function runHooks(agent, count) {
  for (let i = 0; i < count; i++) {
    const op = await agent.client.runHook({ opId: `op-${agent.build}-${++opNumber}`, runId: 'op-cost', epoch: 1 }, 'true');
    if (op.state !== 'SUCCEEDED') throw new Error(`${agent.build}: RunHook ended ${op.state}: ${JSON.stringify(op)}`);
  }
}

/** The same number of GetOperation calls (a journal read): what the transport and the service cost without a journal write or a process. */
async function getOperations(agent, count) {
  for (let i = 0; i < count; i++) await agent.client.getOperation(`op-${agent.build}-${opNumber}`);
}

/** The agent's CPU (all its threads, user + system, ms) and the wall time per call of `calls`. */
async function perCall(agent, calls) {
  const before = cpuOf(agent.process.pid);
  const threadsBefore = threadCpuOf(agent.process.pid);
  const started = performance.now();
  await calls(agent, OPS);
  const wallMs = performance.now() - started;
  const after = cpuOf(agent.process.pid);
  const round = (ms) => Math.round((ms / OPS) * 100) / 100;
  const cpuMs = after.user + after.system - before.user - before.system;
  // By thread: the main thread, then the others by name (libuv's pool and V8's helpers are all `node`); threads that
  // ended meanwhile (the spawner's, one per child) are what the living ones do not account for.
  const threads = {};
  for (const [tid, { name, ms }] of threadCpuOf(agent.process.pid)) threads[name] = (threads[name] ?? 0) + ms - (threadsBefore.get(tid)?.ms ?? 0);
  threads.ended = cpuMs - Object.values(threads).reduce((sum, ms) => sum + ms, 0);
  for (const name of Object.keys(threads)) threads[name] = round(threads[name]);
  return { cpuMs: round(cpuMs), userMs: round(after.user - before.user), systemMs: round(after.system - before.system), wallMs: round(wallMs), threads };
}

async function measure(agent) {
  await runHooks(agent, WARMUP);
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  const runHook = await perCall(agent, runHooks);
  agent.windows.push({ fromUs, toUs: Number(process.hrtime.bigint() / 1000n) });
  const getOperation = await perCall(agent, getOperations);
  const { rssMB, anonMB } = memoryOf(agent.process.pid);
  const parts = FLOOR && agent.build === 'this' ? await floorParts(agent) : undefined;
  const floor = parts && { ...parts, getOperation: getOperation.cpuMs, total: Math.round((parts.journalPair + parts.spawn + getOperation.cpuMs) * 100) / 100 };
  return { build: agent.build, cpuMsPerRunHook: runHook.cpuMs, runHook, getOperation, ...(floor && { floor }), rssMB: Math.round(rssMB * 10) / 10, anonMB: Math.round(anonMB * 10) / 10, loadavg: loadAverage() };
}

/** The journal's two commits and one spawn of the hook, CPU ms each, in a process started as `agent` is (this build only). */
async function floorParts(agent) {
  // A new journal each time: its op ids start again at 1.
  const stateDir = mkdtempSync(join(root, `${agent.build}-floor-`));
  const script = new URL('./support/agent-floor-parts.mjs', import.meta.url).pathname;
  const argv = [process.execPath, ...agent.nodeArgs, script, stateDir, join(hooksDir, 'true'), String(OPS), String(WARMUP)];
  return runForJson('agent-floor-parts', argv, { timeoutMs: 5 * 60_000, env: { ...process.env, NODE_OPTIONS: agent.nodeOptions } });
}

/** Each living thread's name and user + system CPU so far, in ms, by thread id. */
function threadCpuOf(pid) {
  const threads = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      threads.set(tid, { name: tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS });
    } catch {
      // ended between the listing and the read
    }
  }
  return threads;
}

/** User and system CPU of a process so far, in ms (/proc/PID/stat fields 14, 15: every thread, living or not). */
function cpuOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) * TICK_MS, system: Number(fields[12]) * TICK_MS };
}

const agents = [];
onExit(() => agents.forEach((agent) => agent.process.stop()));
for (const build of builds) agents.push(await startAgent(build));
console.log(JSON.stringify({ bench: 'agent-op-cost', machine: machine(), ops: OPS, warmup: WARMUP, nodeOptions: NODE_OPTIONS, anchorNodeOptions: ANCHOR_NODE_OPTIONS, logLevel: LOG_LEVEL, hook: HOOK, anchor: ANCHOR }));
const results = [];
for (let run = 1; run <= RUNS; run++) {
  // Alternate which goes first, so that neither always follows the other.
  const order = run % 2 === 1 ? agents : [...agents].reverse();
  for (const agent of order) {
    const result = { run, ...(await measure(agent)) };
    results.push(result);
    console.log(JSON.stringify(result));
  }
}
for (const agent of agents) {
  agent.client.close();
  await agent.process.stop();
}
for (const { build } of builds) {
  const mine = results.filter((result) => result.build === build);
  console.log(`${build.padEnd(6)} agent CPU per RunHook: ${mine.map((result) => result.runHook.cpuMs).join(', ')} ms; per GetOperation: ${mine.map((result) => result.getOperation.cpuMs).join(', ')} ms`);
  const floors = mine.filter((result) => result.floor !== undefined).map(({ floor }) => `${floor.getOperation} + ${floor.journalPair} + ${floor.spawn} = ${floor.total}`);
  if (floors.length > 0) console.log(`${build.padEnd(6)} floor of a RunHook (GetOperation + journal's two commits + spawn, ${mine[0].floor.executor}): ${floors.join('; ')} ms`);
}
if (CPU_PROF) {
  for (const agent of agents) {
    const file = readdirSync(agent.profileDir).find((name) => name.endsWith('.cpuprofile'));
    if (file === undefined) continue;
    // From the first measured RunHook to the last: start-up is left out; the other agent's turns are idle time here.
    const window = { fromUs: agent.windows[0].fromUs, toUs: agent.windows.at(-1).toUs };
    console.log(`\n${agent.build}: ${join(agent.profileDir, file)}, the measured RunHooks`);
    console.log(summarizeProfile(join(agent.profileDir, file), 20, window));
  }
}
