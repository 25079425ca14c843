// Barrier round on the lab (issue 4): N simulated nodes each run one cheap step (package.query
// → `rpm -q`), then a barrier; K rounds in one run. Prints the median and p90 per N.
//   npm run build && node bench/barrier-round.mjs 3 32
// Uses the built programs (dist/): `lockstep lab up` and the engine in-process.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { limitRunTime, onExit, removeAtExit } from './support/teardown.mjs';
import { watchEvents } from './support/engine-run.mjs';

const run = promisify(execFile);
const dist = new URL('../dist/', import.meta.url).pathname;
const { createEngine } = await import(`${dist}coordinator/engine/engine.js`);
const { silentLogger } = await import(`${dist}shared/logger.js`);
const { freePortBase } = await import(`${dist}lab/lab-ports.js`);
const ROUNDS = Number(process.env.ROUNDS ?? 15);
limitRunTime(5 * 60_000, 'barrier-round');

async function lockstep(args) {
  return run(process.execPath, [`${dist}coordinator/cli/main.js`, ...args], { timeout: 300_000 });
}

async function measure(nodes) {
  const root = mkdtempSync(join(tmpdir(), 'lockstep-bench-'));
  const removeRoot = removeAtExit(root);
  const dir = join(root, 'lab');
  const portBase = await freePortBase(nodes);
  // Whatever happens (an exception, Ctrl-C, the time limit), the lab is stopped.
  const labDown = onExit(() => {
    try {
      execFileSync(process.execPath, [`${dist}coordinator/cli/main.js`, 'lab', 'down', '--dir', dir], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Not running.
    }
  });
  await lockstep(['lab', 'up', '--dir', dir, '--nodes', String(nodes), '--detach', '--port-base', String(portBase)]);
  const engine = await createEngine({ dbFile: join(dir, 'bench.sqlite'), logger: silentLogger(), credentialsDirs: [dir] });
  try {
    const labRunbook = parse(readFileSync(join(dir, 'runbook.yaml'), 'utf8'));
    const steps = [];
    for (let round = 0; round < ROUNDS; round++) {
      steps.push({ id: `query-${round}`, kind: 'package.query', on: 'all', with: { name: 'clusterpro' } });
      steps.push({ id: `barrier-${round}`, kind: 'barrier' });
    }
    const yaml = stringify({ cluster: 'bench', nodes: labRunbook.nodes, procedure: 'custom', tls: labRunbook.tls, steps });
    const path = join(dir, 'bench.yaml');
    writeFileSync(path, yaml);
    const passed = [];
    const { runId } = await engine.submit({ runbookYaml: yaml, runbookPath: path, dryRun: false, autoApprove: true, requestedBy: 'bench' });
    await new Promise((resolve) => {
      const watch = watchEvents(engine, runId, (event) => {
        if (event.type === 'barrier.passed' && event.stepId.startsWith('barrier-')) passed.push(performance.now());
        if (event.type === 'run.succeeded' || event.type === 'run.blocked') {
          watch.stop();
          resolve();
        }
      });
    });
    // A round: from one barrier passing to the next (the first round also pays connection set-up).
    const rounds = passed.slice(1).map((t, i) => t - passed[i]).sort((a, b) => a - b);
    const pick = (q) => rounds[Math.min(rounds.length - 1, Math.floor(q * rounds.length))];
    return { nodes, rounds: rounds.length, medianMs: +pick(0.5).toFixed(1), p90Ms: +pick(0.9).toFixed(1), state: engine.getRun(runId).state };
  } finally {
    await engine.close();
    labDown();
    removeRoot();
  }
}

const sizes = process.argv.slice(2).map(Number);
for (const nodes of sizes.length > 0 ? sizes : [3, 32]) console.log(JSON.stringify(await measure(nodes)));
