// CLI start-up (issue 19): `lockstep --version`, `lockstep --help` and `lockstep status RUN
// --json` against a running coordinator, side by side with `node -e 0` (the floor: node
// itself), interleaved in one loop so that load from elsewhere falls on all alike. Target:
// each at most 2× `node -e 0`, median of BENCH_REPEATS (default 10).
//   npm run build && node bench/cli-startup.mjs
//   BENCH_ANCHOR_CLI=/path/to/other/dist/coordinator/cli/main.js node bench/cli-startup.mjs
//     # also times another build's CLI in the same loop (before/after side by side)
// The run that `status` shows is a real one: a coordinator process, one real agent (mTLS,
// hook `true`), a run of one hook round and a barrier, finished before the timing starts.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgentProcesses } from './support/agent-processes.mjs';
import { makeBenchPki, nodeNames } from './support/bench-pki.mjs';
import { runProcess, waitFor } from './support/bounded-process.mjs';
import { startCoordinator } from './support/coordinator-process.mjs';
import { CLI_MAIN } from './support/dist-modules.mjs';
import { barrierRoundSteps, runbookYaml } from './support/engine-run.mjs';
import { makeHooksDir } from './support/hooks-dir.mjs';
import { loadAverage, machine } from './support/machine.mjs';
import { round, summarize } from './support/percentiles.mjs';
import { limitRunTime, removeAtExit } from './support/teardown.mjs';

const REPEATS = Number(process.env.BENCH_REPEATS ?? 10);
const ANCHOR = process.env.BENCH_ANCHOR_CLI;
const RUN_LIMIT_MS = 4 * 60_000;
const COMMAND_LIMIT_MS = 30_000;

limitRunTime(RUN_LIMIT_MS, 'cli-startup');
if (ANCHOR !== undefined && !existsSync(ANCHOR)) {
  console.error(`BENCH_ANCHOR_CLI=${ANCHOR}: no such file`);
  process.exit(2);
}
const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-cli-'));
removeAtExit(root);
console.log(JSON.stringify({ bench: 'cli-startup', machine: machine(), repeats: REPEATS, anchor: ANCHOR ?? null, loadavg: loadAverage() }));

const [name] = nodeNames(1);
const pki = await makeBenchPki(join(root, 'pki'), [name]);
const agents = await startAgentProcesses({ root: join(root, 'agents'), pki, names: [name], hooksDir: makeHooksDir(join(root, 'hooks')), maxMs: RUN_LIMIT_MS });
const coordinator = await startCoordinator({ dir: root, maxMs: RUN_LIMIT_MS });
try {
  const { runId } = await coordinator.client.submit({
    runbookYaml: runbookYaml({ nodes: agents.nodes, pki, steps: barrierRoundSteps(1) }),
    runbookPath: join(root, 'runbook.yaml'),
    dryRun: false,
    autoApprove: true,
    requestedBy: 'bench',
  });
  await waitFor('the run to succeed', async () => ((await coordinator.client.getRun(runId)).state === 'succeeded' ? true : undefined), 60_000);

  const commands = {
    'node -e 0': [process.execPath, '-e', '0'],
    ...cliCommands('lockstep', CLI_MAIN, coordinator.address, runId),
    ...(ANCHOR === undefined ? {} : cliCommands('anchor', ANCHOR, coordinator.address, runId)),
  };
  const samples = Object.fromEntries(Object.keys(commands).map((label) => [label, []]));
  const loadBefore = loadAverage();
  for (let repeat = 0; repeat < REPEATS + 1; repeat++) {
    for (const [label, argv] of Object.entries(commands)) {
      const result = await runProcess(argv, { timeoutMs: COMMAND_LIMIT_MS });
      if (result.code !== 0) throw new Error(`${argv.join(' ')} exited ${result.code ?? result.signal}:\n${result.output.slice(-2000)}`);
      // The first pass warms the page cache; it is not counted.
      if (repeat > 0) samples[label].push(result.wallMs);
    }
  }
  const loadAfter = loadAverage();
  const floor = summarize(samples['node -e 0']).p50;
  const rows = Object.entries(samples).map(([label, values]) => ({ command: label, wallMs: summarize(values), timesNode: round(summarize(values).p50 / floor, 2) }));
  for (const row of rows) console.log(JSON.stringify({ ...row, loadavg: [loadBefore, loadAfter] }));
  console.log(`\nwall time from spawn to exit, median of ${REPEATS} (interleaved; load average ${loadBefore} → ${loadAfter}):`);
  for (const row of rows) console.log(`  ${row.command.padEnd(34)} ${String(row.wallMs.p50).padStart(7)} ms  (p90 ${row.wallMs.p90})  ${row.timesNode}× node -e 0`);
  const missed = rows.filter((row) => row.command.startsWith('lockstep ') && row.timesNode > 2);
  console.log(`target (issue 19): each lockstep command ≤ 2× node -e 0 — ${missed.length === 0 ? 'met' : `MISSED by ${missed.map((row) => row.command).join(', ')}`}`);
} finally {
  await coordinator.stop();
  await agents.stop();
}

function cliCommands(label, main, address, runId) {
  const cli = [process.execPath, main, '--coordinator', address];
  return {
    [`${label} --version`]: [process.execPath, main, '--version'],
    [`${label} --help`]: [process.execPath, main, '--help'],
    [`${label} status RUN --json`]: [...cli, 'status', runId, '--json'],
  };
}
