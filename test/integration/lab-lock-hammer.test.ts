// Several processes change cluster.json at once, as every node's agent and the lab
// supervisor do (SPEC §9): under withLabLock no update is lost and every history line
// stays whole. The workers run the built code (dist/), rebuilt here when it is stale.
import { execFile, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readClusterState, readHistory } from '../../lab/state/lab-state.js';
import { writeSimLab } from '../support/sim-lab.js';
import { makeTempDir } from '../support/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = fileURLToPath(new URL('../support/lab-lock-hammer-worker.mjs', import.meta.url));
const WORKERS = 4;
const ROUNDS = 100;
/** The sources the worker runs, and what they compile to. */
const BUILT = [
  ['lab/state/lab-state.ts', 'dist/lab/state/lab-state.js'],
  ['lab/clusterpro/cluster-model.ts', 'dist/lab/clusterpro/cluster-model.js'],
  ['lab/node/lab-store.ts', 'dist/lab/node/lab-store.js'],
];

function isStale(): boolean {
  const modified = (path: string): number => statSync(`${ROOT}/${path}`, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return BUILT.some(([source, output]) => modified(output as string) < modified(source as string));
}

function runWorker(lab: string, node: string, via: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, lab, node, String(ROUNDS), via], { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${node} exited ${code}: ${stderr}`))));
  });
}

describe('the lab lock under concurrent writers', () => {
  let temp: ReturnType<typeof makeTempDir>;

  beforeAll(async () => {
    if (isStale()) await promisify(execFile)('npm', ['run', 'build'], { cwd: ROOT, timeout: 300_000 });
  }, 320_000);

  beforeEach(() => {
    temp = makeTempDir('lockstep-hammer-');
    writeSimLab(temp.dir, ['server1', 'server2', 'server3', 'server4'], { failoverMs: 0 });
  });

  afterEach(() => temp.remove());

  it.each(['lab-state', 'lab-store'])('through %s: loses no update and no history line', async (via) => {
    const nodes = Array.from({ length: WORKERS }, (_, index) => `server${index + 1}`);
    await Promise.all(nodes.map((node) => runWorker(temp.dir, node, via)));
    expect(readClusterState(temp.dir).failoverMs).toBe(WORKERS * ROUNDS);
    const history = readHistory(temp.dir);
    expect(history).toHaveLength(WORKERS * ROUNDS);
    for (const node of nodes) expect(history.filter((entry) => entry.node === node)).toHaveLength(ROUNDS);
  });
});
