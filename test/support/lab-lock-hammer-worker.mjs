// One of several processes that change the same lab at once (test/integration/
// lab-lock-hammer.test.ts): each does ROUNDS locked read-modify-writes of cluster.json and
// appends one history line per round. Runs the built code (dist/): plain node, no loader.
//
//   node lab-lock-hammer-worker.mjs LAB NODE ROUNDS lab-state|lab-store
import { performance } from 'node:perf_hooks';
import { LabStore } from '../../dist/lab/node/lab-store.js';
import { appendHistory, readClusterState, withLabLock, writeClusterState } from '../../dist/lab/state/lab-state.js';

const [labDir, node, roundsText, via] = process.argv.slice(2);
const rounds = Number(roundsText);
const store = new LabStore(labDir, node, Date.now);

/** failoverMs is the counter: a schema field, so it survives the schema's parse. */
async function increment() {
  if (via === 'lab-store') {
    await store.update((view) => {
      view.cluster.failoverMs += 1;
    });
    return;
  }
  await withLabLock(labDir, () => {
    const state = readClusterState(labDir);
    writeClusterState(labDir, { ...state, failoverMs: state.failoverMs + 1 });
  });
}

for (let round = 0; round < rounds; round += 1) {
  await increment();
  appendHistory(labDir, { t: performance.timeOrigin + performance.now(), node, argv: ['hammer', String(round)], exit: 0 });
}
