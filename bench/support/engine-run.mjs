// Runs a runbook on the real engine in this process and records when each barrier passed.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';
import { stringify } from 'yaml';
import { distModule } from './dist-modules.mjs';

const { createEngine } = await distModule('coordinator/engine/engine.js');
const { createLogger } = await distModule('shared/logger.js');

export const FINAL = new Set(['run.succeeded', 'run.blocked', 'run.failed', 'run.cancelled']);

/** A custom runbook for `nodes`, the coordinator's credentials from `pki`. */
export function runbookYaml({ cluster = 'bench', nodes, pki, steps }) {
  return stringify({ cluster, nodes, procedure: 'custom', tls: pki.coordinator, steps });
}

/** K warm-up-plus-measured rounds: every node runs hook `true`, then a barrier. */
export function barrierRoundSteps(rounds) {
  return Array.from({ length: rounds }, (_, round) => [
    { id: `hook-${round}`, kind: 'hook.run', on: 'all', with: { hook: 'true' } },
    { id: `barrier-${round}`, kind: 'barrier' },
  ]).flat();
}

/**
 * Submits the runbook to a new engine (SQLite journal `dbFile`, logs at the product's default
 * level into `logFile`) and resolves when the run ends or `timeoutMs` passes, with the time
 * (performance.now()) each watched event arrived. The listener runs right after the event's
 * transaction commits, in this process.
 */
// `credentialsDir`: every benchmark makes its certificates under the OS temp directory.
// `modules`: another build's engine and logger (engineModules), to compare two builds in one run.
export async function runOnEngine({ dbFile, logFile, logLevel = 'info', yaml, runbookPath, timeoutMs, onEvent = () => {}, credentialsDir = tmpdir(), modules = { createEngine, createLogger } }) {
  const engine = await modules.createEngine({ dbFile, credentialsDirs: [credentialsDir], logger: modules.createLogger({ name: 'lockstep-coordinator', level: logLevel, destination: logFile }) });
  const events = [];
  try {
    const submitted = performance.now();
    const { runId } = await engine.submit({ runbookYaml: yaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'bench' });
    const submitMs = performance.now() - submitted;
    const ended = await new Promise((resolve) => {
      const timer = setTimeout(() => {
        watch.stop();
        resolve('timeout');
      }, timeoutMs);
      const watch = watchEvents(engine, runId, (event) => {
        const record = { ...event, at: performance.now() };
        events.push(record);
        onEvent(record);
        if (FINAL.has(event.type)) {
          clearTimeout(timer);
          watch.stop();
          resolve(event.type);
        }
      });
    });
    if (ended === 'timeout') engine.cancel(runId);
    return { runId, ended, submitMs, events };
  } finally {
    await engine.close();
  }
}

/** The engine and logger of a built tree (`root`/dist), e.g. an anchor build beside this one. */
export async function engineModules(root) {
  const { createEngine: anchorEngine } = await import(join(root, 'dist/coordinator/engine/engine.js'));
  const { createLogger: anchorLogger } = await import(join(root, 'dist/shared/logger.js'));
  return { createEngine: anchorEngine, createLogger: anchorLogger };
}

/** When each `barrier-R` stage passed (the round boundaries), in order. */
export function barrierTimes(events) {
  return events.filter((event) => event.type === 'barrier.passed' && event.stepId.startsWith('barrier-')).map((event) => event.at);
}

/** The engine's events for `runId` from the first, each to `onEvent` (the benchmark never holds them back). */
export function watchEvents(engine, runId, onEvent) {
  // The engine may deliver from inside watch(): `stop` may be called before watch() returns.
  let watch;
  let stopped = false;
  watch = engine.watch(runId, 0, {
    event: (event) => {
      if (!stopped) onEvent(event);
      return true;
    },
    caughtUp: () => {},
  });
  return {
    stop() {
      stopped = true;
      watch?.stop();
    },
  };
}
