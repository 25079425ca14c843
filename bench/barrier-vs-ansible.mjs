// Barrier rounds, lockstep against Ansible 2.14 on the same nodes (SPEC §11: ≥ 50× faster at
// N = 32). A round: every node runs `/bin/true`, then nobody goes on until all have.
//   lockstep: N real lockstep-agent processes (mTLS, the native spawner, SQLite journal), started
//     as systemd/lockstep-agent.service starts them (its NODE_OPTIONS), each
//     running hook `true` (a copy of /bin/true); the real engine in this process.
//     Round time = between consecutive `barrier.passed` events.
//   Ansible: ansible-playbook, N inventory hosts on ansible_connection=local, forks = N,
//     strategy linear (every task is a barrier), one `command: /bin/true` task per round.
//     Round time = the task's time from the ansible.posix.profile_tasks callback; the wall
//     time of the whole playbook over the rounds is printed too.
// Both run K+1 rounds; the first (connections, interpreter discovery) is not counted. They
// alternate (lockstep N, Ansible N, lockstep next N, …) so that load from the other work on
// this machine falls on both alike.
//   npm run build && node bench/barrier-vs-ansible.mjs            # N = 2, 8, 32; K = 8
//   BENCH_SIZES=32 BENCH_ROUNDS=10 node bench/barrier-vs-ansible.mjs
//   BENCH_SIZES=32 BENCH_ANSIBLE=0 BENCH_CPU_PROF=1 node bench/barrier-vs-ansible.mjs   # lockstep only, with
//     CPU profiles of the engine (this process, lockstep rounds only) and of one agent, summarised
//   BENCH_SIZES=32 BENCH_ROUNDS=10 BENCH_REPEATS=3 BENCH_ANCHOR=/work/anchor BENCH_PARTS=rounds node bench/barrier-vs-ansible.mjs
//     # 3 runs, each: this build's engine and agents, the anchor's (alternating which goes first), Ansible
//   BENCH_TMPFS=1 …   # diagnosis: the same with every SQLite journal on tmpfs (fsync is free there)
//   BENCH_HOOK=script …   # the hook a script that starts /bin/sh, then /bin/true (the figures before
//     docs/PERFORMANCE.md §4.7); by default it is a copy of /bin/true, the program Ansible's task runs
// End to end (issue 19), after the rounds at each N in BENCH_E2E_SIZES (default 32; '' for
// none): the wall time of `lockstep apply RUNBOOK --wait --yes` (the CLI as a user runs it,
// against the coordinator process, BENCH_E2E_ROUNDS = 5 hook-and-barrier rounds) against the
// wall time of `ansible-playbook` of the same 5 tasks; one warm-up apply, then BENCH_E2E_REPEATS
// (default 3) of each, alternating. BENCH_ANCHOR_CLI=…/dist/coordinator/cli/main.js also times
// another build's CLI against the same coordinator and agents, in the same alternation.
//   BENCH_PARTS=e2e BENCH_SIZES=32 node bench/barrier-vs-ansible.mjs   # the end-to-end part alone
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcesses, unitNodeOptions } from './support/agent-processes.mjs';
import { makeBenchPki, nodeNames } from './support/bench-pki.mjs';
import { runProcess, startProcess } from './support/bounded-process.mjs';
import { startCoordinator } from './support/coordinator-process.mjs';
import { AGENT_MAIN, CLI_MAIN } from './support/dist-modules.mjs';
import { barrierRoundSteps, barrierTimes, engineModules, runbookYaml, runOnEngine } from './support/engine-run.mjs';
import { summarizeProfile } from './support/cpu-profile-summary.mjs';
import { hookForm, makeHooksDir } from './support/hooks-dir.mjs';
import { cpuTicksOf, loadAverage, machine } from './support/machine.mjs';
import { intervals, round, summarize } from './support/percentiles.mjs';
import { limitRunTime, removeAtExit } from './support/teardown.mjs';

const SIZES = (process.env.BENCH_SIZES ?? '2,8,32').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const RUN_LIMIT_MS = 6 * 60_000 * Number(process.env.BENCH_REPEATS ?? 1);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const E2E_SIZES = (process.env.BENCH_E2E_SIZES ?? '32').split(',').filter(Boolean).map(Number);
const E2E_ROUNDS = Number(process.env.BENCH_E2E_ROUNDS ?? 5);
const E2E_REPEATS = Number(process.env.BENCH_E2E_REPEATS ?? 3);
const ANCHOR_CLI = process.env.BENCH_ANCHOR_CLI;
const PARTS = new Set((process.env.BENCH_PARTS ?? 'rounds,e2e').split(','));
// The per-round part, BENCH_REPEATS times (default 1) at each N; with BENCH_ANCHOR (a built tree: dist/,
// native/, node_modules) the anchor's engine and agents too, alternating with this build's, then Ansible.
const REPEATS = Number(process.env.BENCH_REPEATS ?? 1);
const ANCHOR = process.env.BENCH_ANCHOR;
const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 5_000 }).trim()) || 100;

limitRunTime(RUN_LIMIT_MS, 'barrier-vs-ansible');
// BENCH_TMPFS=1 (a diagnosis, not the figure): every journal on tmpfs, where fsync costs nothing.
const root = mkdtempSync(join(process.env.BENCH_TMPFS === '1' ? '/dev/shm' : tmpdir(), 'lockstep-bench-ansible-'));
removeAtExit(root);

const ansible = process.env.BENCH_ANSIBLE === '0' ? undefined : findAnsible();
const profileDir = CPU_PROF ? mkdtempSync(join(tmpdir(), 'lockstep-bench-profiles-')) : undefined;
// The hook Ansible's task runs: /bin/true itself (BENCH_HOOK=script: the figures before §4.7).
const HOOK = hookForm('binary');
console.log(JSON.stringify({ bench: 'barrier-vs-ansible', machine: machine(), rounds: ROUNDS, sizes: SIZES, hook: HOOK, ansible: ansible?.version ?? null, journals: root, loadavg: loadAverage() }));
if (ansible === undefined && process.env.BENCH_ANSIBLE !== '0') {
  console.log(
    'ansible-playbook is not installed: only lockstep is measured. For the side-by-side figures install Ansible 2.14 ' +
      '(Debian 12: `apt-get update && apt-get install -y ansible-core ansible` — `ansible` brings ansible.posix.profile_tasks) and run again.',
  );
}

const BUILDS = [
  { build: 'this', agentMain: AGENT_MAIN, modules: undefined },
  ...(ANCHOR === undefined ? [] : [{ build: 'anchor', agentMain: join(ANCHOR, 'dist/agent/main.js'), modules: await engineModules(ANCHOR) }]),
];
const pki = await makeBenchPki(join(root, 'pki'), nodeNames(Math.max(...SIZES)));
const hooksDir = makeHooksDir(join(root, 'hooks'), HOOK);
const results = [];
for (const size of SIZES) {
  const runs = [];
  for (let repeat = 1; PARTS.has('rounds') && repeat <= REPEATS; repeat++) {
    // Alternate which build goes first, so that neither always follows the other.
    const lockstep = [];
    for (const build of repeat % 2 === 1 ? BUILDS : [...BUILDS].reverse()) {
      lockstep.push(await measureLockstep(size, build, repeat));
      console.log(JSON.stringify(lockstep.at(-1)));
    }
    const playbook = ansible === undefined ? undefined : await measureAnsible(size);
    if (playbook !== undefined) console.log(JSON.stringify(playbook));
    runs.push({ repeat, lockstep, playbook });
  }
  const endToEnd = PARTS.has('e2e') && E2E_SIZES.includes(size) ? await measureEndToEnd(size) : undefined;
  results.push({ size, runs, endToEnd });
}
printSummary(results.filter((result) => result.runs.length > 0));
printEndToEnd(results.filter((result) => result.endToEnd !== undefined));
if (profileDir !== undefined) console.log(`CPU profiles (kept): ${profileDir}`);

async function measureLockstep(size, { build, agentMain, modules }, repeat) {
  const dir = join(root, `lockstep-${build}-${size}-${repeat}`);
  mkdirSync(dir, { recursive: true });
  const names = nodeNames(Math.max(...SIZES)).slice(0, size);
  const agentProfiles = profileDir === undefined ? undefined : join(profileDir, `agents-${build}-${size}-${repeat}`);
  // The agents run as systemd/lockstep-agent.service runs them (its NODE_OPTIONS).
  const nodeArgs = [...unitNodeOptions(), ...(agentProfiles === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', agentProfiles])];
  const agents = await startAgentProcesses({ root: join(dir, 'agents'), pki, names, hooksDir, maxMs: RUN_LIMIT_MS, nodeArgs, agentMain });
  const profiler = profileDir === undefined ? undefined : await startProfiler();
  let measured = {};
  try {
    const loadBefore = loadAverage();
    // CPU spent during the measured rounds (from the warm-up's barrier to the last): the
    // engine's (this process) and the agents' together; on 2 cores, is the machine the limit?
    const cpu = {};
    const snapshot = () => ({ engineUs: process.cpuUsage(), agentTicks: agents.agents.reduce((sum, agent) => sum + cpuTicksOf(agent.process.pid), 0), atUs: Number(process.hrtime.bigint() / 1000n) });
    measured = cpu;
    const run = await runOnEngine({
      dbFile: join(dir, 'coordinator.sqlite'),
      logFile: join(dir, 'coordinator.log'),
      yaml: runbookYaml({ nodes: agents.nodes, pki, steps: barrierRoundSteps(ROUNDS + 1) }),
      runbookPath: join(dir, 'runbook.yaml'),
      timeoutMs: 120_000,
      modules,
      onEvent: (event) => {
        if (event.type !== 'barrier.passed') return;
        if (event.stepId === 'barrier-0') cpu.start = snapshot();
        if (event.stepId === `barrier-${ROUNDS}`) cpu.end = snapshot();
      },
    });
    // ROUNDS + 1 barriers: the first closes the warm-up round.
    const rounds = intervals(barrierTimes(run.events));
    return {
      tool: 'lockstep',
      build,
      repeat,
      nodes: size,
      ended: run.ended,
      agentsStartMs: round(agents.startMs),
      submitMs: round(run.submitMs),
      roundMs: summarize(rounds),
      rounds: rounds.map((ms) => round(ms)),
      cpuPerRoundMs: cpuPerRound(cpu),
      loadavg: [loadBefore, loadAverage()],
    };
  } finally {
    // Only the measured rounds: start-up and the warm-up round are left out.
    const window = { fromUs: measured.start?.atUs, toUs: measured.end?.atUs };
    if (profiler !== undefined) printProfile(`${build}: engine (in this process) at N = ${size}`, await profiler.stop(join(profileDir, `engine-${build}-${size}-${repeat}.cpuprofile`)), window);
    await agents.stop();
    if (agentProfiles !== undefined && existsSync(agentProfiles)) {
      const [first] = readdirSync(agentProfiles).filter((name) => name.endsWith('.cpuprofile'));
      if (first !== undefined) printProfile(`${build}: one agent of ${size}`, join(agentProfiles, first), window);
    }
  }
}

function cpuPerRound({ start, end }) {
  if (start === undefined || end === undefined) return null;
  const used = process.cpuUsage(start.engineUs);
  const engine = (used.user + used.system) / 1000 / ROUNDS;
  const agentsMs = ((end.agentTicks - start.agentTicks) * 1000) / TICKS_PER_SECOND / ROUNDS;
  return { engine: round(engine), agents: round(agentsMs), total: round(engine + agentsMs) };
}

/** Profiles this process (the engine's side of the lockstep rounds) through the inspector. */
async function startProfiler() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      session.disconnect();
      writeFileSync(file, JSON.stringify(profile));
      return file;
    },
  };
}

function printProfile(what, file, window) {
  console.log(`CPU profile, ${what}, measured rounds only (${file}):`);
  console.log(summarizeProfile(file, 15, window));
}

async function measureAnsible(size) {
  const loadBefore = loadAverage();
  const result = await runPlaybook(size, ROUNDS + 1, `ansible-${size}`);
  const perTask = profiledTaskSeconds(result.output);
  const measured = perTask.slice(1).map((seconds) => seconds * 1000);
  return {
    tool: 'ansible',
    nodes: size,
    wallMs: round(result.wallMs),
    wallPerRoundMs: round(result.wallMs / (ROUNDS + 1)),
    timing: measured.length > 0 ? 'profile_tasks (per task, warm-up task excluded)' : 'wall time / rounds (profile_tasks not available)',
    roundMs: summarize(measured.length > 0 ? measured : [result.wallMs / (ROUNDS + 1)]),
    rounds: measured.map((ms) => round(ms)),
    loadavg: [loadBefore, loadAverage()],
  };
}

/** ansible-playbook of `tasks` rounds on `size` hosts, in its own directory `dirName`; throws unless it succeeds. */
async function runPlaybook(size, tasks, dirName) {
  const dir = join(root, dirName);
  mkdirSync(dir, { recursive: true });
  const names = nodeNames(Math.max(...SIZES)).slice(0, size);
  writeFileSync(join(dir, 'inventory.ini'), `[nodes]\n${names.map((name) => `${name} ansible_host=127.0.0.1`).join('\n')}\n\n[nodes:vars]\nansible_connection=local\nansible_python_interpreter=/usr/bin/python3\n`);
  const taskList = Array.from({ length: tasks }, (_, index) => `    - name: round-${index}\n      command: /bin/true\n`).join('');
  writeFileSync(join(dir, 'playbook.yml'), `- hosts: nodes\n  strategy: linear\n  gather_facts: false\n  tasks:\n${taskList}`);
  writeFileSync(
    join(dir, 'ansible.cfg'),
    [
      '[defaults]',
      `forks = ${size}`,
      'host_key_checking = False',
      'gathering = explicit',
      'retry_files_enabled = False',
      `callbacks_enabled = ${ansible.profileTasks ? 'ansible.posix.profile_tasks' : ''}`,
      `local_tmp = ${join(dir, 'tmp-local')}`,
      `remote_tmp = ${join(dir, 'tmp-remote')}`,
      'nocows = True',
      '',
      '[callback_profile_tasks]',
      'sort_order = none',
      `task_output_limit = ${tasks}`,
      '',
    ].join('\n'),
  );
  const env = { PATH: process.env.PATH, HOME: dir, LANG: 'C.UTF-8', ANSIBLE_CONFIG: join(dir, 'ansible.cfg'), ANSIBLE_HOME: join(dir, 'home'), ANSIBLE_NOCOLOR: '1' };
  const result = await runProcess(['ansible-playbook', '-i', join(dir, 'inventory.ini'), join(dir, 'playbook.yml')], { timeoutMs: 240_000, env, cwd: dir });
  if (result.code !== 0) throw new Error(`ansible-playbook exited ${result.code ?? result.signal}${result.timedOut ? ' (timed out)' : ''}:\n${result.output.slice(-3000)}`);
  return result;
}

/** profile_tasks' recap, in task order (sort_order = none): `round-3 ---------- 1.23s`. */
function profiledTaskSeconds(output) {
  return [...output.matchAll(/^round-(\d+) -+ (\d+\.\d+)s$/gm)].sort((a, b) => Number(a[1]) - Number(b[1])).map((match) => Number(match[2]));
}

function findAnsible() {
  // Ansible's own files (~/.ansible) go to the temp dir too.
  const env = { ...process.env, HOME: root, ANSIBLE_HOME: join(root, 'ansible-home'), ANSIBLE_LOCAL_TEMP: join(root, 'ansible-tmp') };
  let version;
  try {
    version = /core ([\d.]+)/.exec(execFileSync('ansible-playbook', ['--version'], { encoding: 'utf8', timeout: 30_000, env }))?.[1] ?? 'unknown';
  } catch {
    return undefined;
  }
  let profileTasks = true;
  try {
    execFileSync('ansible-doc', ['-t', 'callback', 'ansible.posix.profile_tasks'], { stdio: 'ignore', timeout: 30_000, env });
  } catch {
    profileTasks = false;
  }
  return { version, profileTasks };
}

function printSummary(all) {
  if (all.length === 0) return;
  console.log(`\nbarrier round, median of ${ROUNDS} rounds after one warm-up (load average at the end of each measurement):`);
  console.log('   N  run  build    lockstep p50 [load]              CPU/round engine + agents   ansible p50 (profile_tasks)   ansible wall/round   ratio (p50)');
  for (const { size, runs } of all) {
    for (const { repeat, lockstep, playbook } of runs) {
      for (const measured of lockstep) {
        const cpu = measured.cpuPerRoundMs;
        const line = [
          String(size).padStart(4),
          String(repeat).padStart(4),
          ` ${measured.build.padEnd(8)}`,
          `${measured.roundMs.p50} ms [${measured.loadavg[1]}]`.padEnd(32),
          (cpu === null ? 'n/a' : `${cpu.engine} + ${cpu.agents} = ${cpu.total} ms`).padEnd(27),
          playbook === undefined ? 'n/a'.padEnd(29) : `${playbook.roundMs.p50} ms [${playbook.loadavg[1]}]`.padEnd(29),
          playbook === undefined ? 'n/a'.padEnd(20) : `${playbook.wallPerRoundMs} ms`.padEnd(20),
          playbook === undefined ? 'n/a' : `${round(playbook.roundMs.p50 / measured.roundMs.p50)}×`,
        ];
        console.log(line.join(' '));
      }
    }
  }
  const at32 = all.find((entry) => entry.size === 32);
  for (const { repeat, lockstep, playbook } of at32?.runs ?? []) {
    if (playbook === undefined) continue;
    const ratio = playbook.roundMs.p50 / lockstep.find((measured) => measured.build === 'this').roundMs.p50;
    console.log(`run ${repeat}: lockstep ≥ 50× faster at N = 32 (SPEC §11), ≥ 40× (issue 19): ${round(ratio)}× — ${ratio >= 50 ? 'met' : ratio >= 40 ? 'issue 19 met, SPEC MISSED' : 'MISSED'}`);
  }
}

/**
 * `lockstep apply --wait --yes` from the CLI's spawn to its exit, and ansible-playbook's wall
 * time for the same E2E_ROUNDS rounds, alternating. `submittedMs`: from the CLI's spawn to its
 * "run … started" line (start-up, preflight, plan, the run created). `phases`: where an apply's
 * time goes, in ms from the spawn: the coordinator's times of run.created, the first dispatch,
 * the last barrier and run.succeeded (its events, one machine, one clock), and when the bench
 * read the CLI's "run … started" line, its first event line (the watch delivering) and its
 * run.succeeded line (a follower that stops on its read of the run may end before it), and the exit.
 */
async function measureEndToEnd(size) {
  const dir = join(root, `e2e-${size}`);
  mkdirSync(dir, { recursive: true });
  const names = nodeNames(Math.max(...SIZES)).slice(0, size);
  const agents = await startAgentProcesses({ root: join(dir, 'agents'), pki, names, hooksDir, maxMs: RUN_LIMIT_MS, nodeArgs: unitNodeOptions() });
  const coordinator = await startCoordinator({ dir, maxMs: RUN_LIMIT_MS });
  const runbook = join(dir, 'runbook.yaml');
  writeFileSync(runbook, runbookYaml({ nodes: agents.nodes, pki, steps: barrierRoundSteps(E2E_ROUNDS) }));
  const clis = { lockstep: CLI_MAIN, ...(ANCHOR_CLI === undefined ? {} : { anchor: ANCHOR_CLI }) };
  const samples = Object.fromEntries([...Object.keys(clis), ...(ansible === undefined ? [] : ['ansible'])].map((tool) => [tool, []]));
  const loadBefore = loadAverage();
  const firsts = {};
  try {
    for (let repeat = 0; repeat <= E2E_REPEATS; repeat++) {
      for (const [tool, main] of Object.entries(clis)) {
        const result = await applyWait(tool, main, coordinator, runbook);
        // The first apply warms the coordinator's and the agents' code (and dials every agent:
        // later ones reuse the connections the coordinator keeps, agent-pool.ts); it is not counted, only printed.
        if (repeat > 0) samples[tool].push(result);
        else firsts[tool] = { wallMs: result.wallMs, phases: result.phases };
      }
      if (ansible !== undefined && repeat > 0) samples.ansible.push({ wallMs: (await runPlaybook(size, E2E_ROUNDS, `e2e-${size}-${repeat}`)).wallMs });
    }
  } finally {
    await coordinator.stop();
    await agents.stop();
  }
  const summary = Object.fromEntries(
    Object.entries(samples).map(([tool, runs]) => [
      tool,
      { wallMs: summarize(runs.map((run) => run.wallMs)), ...(tool === 'ansible' ? {} : { submittedMs: summarize(runs.map((run) => run.submittedMs)), phases: medianPhases(runs), eachPhases: runs.map((run) => run.phases) }) },
    ]),
  );
  const record = { tool: 'end-to-end', nodes: size, rounds: E2E_ROUNDS, repeats: E2E_REPEATS, ...summary, first: firsts, loadavg: [loadBefore, loadAverage()] };
  console.log(JSON.stringify(record));
  return record;
}

async function applyWait(tool, main, coordinator, runbook) {
  const spawnedAt = Date.now();
  const started = performance.now();
  const running = startProcess([process.execPath, main, '--coordinator', coordinator.address, 'apply', runbook, '--wait', '--yes'], { timeoutMs: 120_000 });
  const read = {};
  const mark = (name, at) => {
    read[name] ??= at;
  };
  let rest = '';
  running.child.stdout.on('data', (chunk) => {
    const now = Date.now();
    const lines = (rest + chunk.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const runStarted = /^run (\S+) started/.exec(line);
      if (runStarted !== null) {
        read.runId ??= runStarted[1];
        mark('answered', now);
      }
      if (/^\d{4}-\d\d-\d\dT[\d:.]+Z {2}/.test(line)) mark('watchDelivering', now);
      if (/^\S+Z {2}run\.succeeded/.test(line)) mark('finalLineRead', now);
    }
  });
  const { code, signal } = await running.exited;
  const exitedAt = Date.now();
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`${tool}: lockstep apply --wait exited ${code ?? signal}${running.timedOut() ? ' (timed out)' : ''}:\n${running.output().slice(-3000)}`);
  const phases = { ...(await coordinatorTimes(coordinator.client, read.runId)), answered: read.answered, watchDelivering: read.watchDelivering, finalLineRead: read.finalLineRead, exit: exitedAt };
  return { wallMs, submittedMs: read.answered - spawnedAt, phases: Object.fromEntries(Object.entries(phases).map(([name, at]) => [name, at === undefined ? undefined : round(at - spawnedAt)])) };
}

/** The coordinator's own times of the run's milestones (its events, read after the run). */
async function coordinatorTimes(client, runId) {
  const times = {};
  await client.watch(runId, 0, (event) => {
    if (event.type === 'run.created') times.created = event.atMs;
    if (event.type === 'step.dispatched') times.firstDispatch ??= event.atMs;
    if (event.type === 'barrier.passed') times.lastBarrier = event.atMs;
    if (event.type === 'run.succeeded') times.final = event.atMs;
  });
  return times;
}

/** Each phase's median over the runs (ms from the CLI's spawn). */
function medianPhases(runs) {
  const names = [...new Set(runs.flatMap((run) => Object.keys(run.phases)))];
  return Object.fromEntries(
    names.map((name) => {
      const values = runs.map((run) => run.phases[name]).filter(Number.isFinite);
      return [name, values.length === 0 ? undefined : summarize(values).p50];
    }),
  );
}

function printEndToEnd(all) {
  if (all.length === 0) return;
  console.log(`\nend to end, ${E2E_ROUNDS} rounds: wall time of \`lockstep apply --wait --yes\` (spawn → exit) vs ansible-playbook, median of ${E2E_REPEATS}:`);
  for (const { size, endToEnd } of all) {
    const { lockstep, anchor, ansible: playbook } = endToEnd;
    const ratio = playbook === undefined ? 'n/a' : `${round(playbook.wallMs.p50 / lockstep.wallMs.p50)}×`;
    console.log(`  N = ${size}: lockstep ${lockstep.wallMs.p50} ms (run started after ${lockstep.submittedMs.p50} ms)` + (anchor === undefined ? '' : `, anchor CLI ${anchor.wallMs.p50} ms (started after ${anchor.submittedMs.p50} ms)`) + `, ansible-playbook ${playbook?.wallMs.p50 ?? 'n/a'} ms: ${ratio} [load ${endToEnd.loadavg[1]}]`);
    for (const [tool, runs] of Object.entries({ lockstep, ...(anchor && { anchor }) })) {
      const at = runs.phases;
      console.log(
        `    ${tool.padEnd(8)} ms from spawn: run.created ${at.created}, first dispatch ${at.firstDispatch}, SubmitRun answered ${at.answered}, watch delivering ${at.watchDelivering}; ` +
          `last barrier ${at.lastBarrier}, run.succeeded ${at.final}, its line out ${at.finalLineRead ?? 'never'}, exit ${at.exit}`,
      );
    }
    const first = endToEnd.first?.lockstep;
    if (first !== undefined) console.log(`    the first apply on the new coordinator (not counted: it dials every agent): ${first.wallMs} ms, run.created ${first.phases.created}, first dispatch ${first.phases.firstDispatch}`);
  }
}
