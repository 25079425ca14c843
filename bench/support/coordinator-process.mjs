// The real coordinator process (dist/coordinator/main.js) on free loopback ports, its log in
// a file, and a CLI-side client of it. Run apart from the benchmark so that its memory and
// CPU are its own.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitFor } from './bounded-process.mjs';
import { COORDINATOR_MAIN, distModule } from './dist-modules.mjs';

const { CoordinatorClient } = await distModule('shared/wire/coordinator-client.js');

/**
 * `nodeArgs` go to node itself, e.g. ['--cpu-prof', '--cpu-prof-dir', DIR]. `waitForApi`
 * false: resolves once the process is spawned (a coordinator resuming a big run may be too
 * busy to answer for a while).
 */
// `credentialsDir`: every benchmark makes its certificates under the OS temp directory.
export async function startCoordinator({ dir, logLevel = 'info', nodeArgs = [], maxMs, dbFile = join(dir, 'coordinator.sqlite'), waitForApi = true, credentialsDir = tmpdir() }) {
  const address = `127.0.0.1:${await freePort()}`;
  const http = `127.0.0.1:${await freePort()}`;
  const client = new CoordinatorClient(address, undefined, { deadlineMs: 300_000 });
  const spawnIt = () =>
    startProcess([process.execPath, ...nodeArgs, COORDINATOR_MAIN, '--listen', address, '--insecure', '--credentials-dir', credentialsDir, '--http', http, '--db', dbFile, '--log-level', logLevel], {
      timeoutMs: maxMs,
      log: join(dir, 'coordinator.log'),
    });
  const coordinator = {
    address,
    dbFile,
    client,
    process: spawnIt(),
    get pid() {
      return this.process.pid;
    },
    /** Resolves once the API answers (ListRuns), polled every 10 ms on a fresh channel each time. */
    answers(timeoutMs = 30_000) {
      return waitFor('the coordinator to answer', () => pingable(address), timeoutMs, 10);
    },
    /** Starts it again on the same ports and database (after a kill). */
    respawn() {
      this.process = spawnIt();
      return this.process;
    },
    /** SIGKILL, as a crash; resolves when it is gone. */
    async kill() {
      process.kill(this.process.pid, 'SIGKILL');
      await this.process.exited;
    },
    /** How long one ListRuns takes on a fresh channel (an operator's `lockstep runs`). */
    async apiLatencyMs(timeoutMs) {
      const probe = new CoordinatorClient(address, undefined, { deadlineMs: timeoutMs });
      const started = performance.now();
      try {
        await probe.listRuns(1);
        return performance.now() - started;
      } catch {
        return Number.POSITIVE_INFINITY;
      } finally {
        probe.close();
      }
    },
    /** SIGTERM: it stops cleanly (and writes its CPU profile, if one was asked for). */
    async stop() {
      client.close();
      await this.process.stop(10_000);
    },
  };
  if (waitForApi) await coordinator.answers();
  return coordinator;
}

// A fresh channel per attempt: a channel that failed once waits out grpc's reconnect backoff
// (a second by default), which would hide the moment the coordinator is back.
async function pingable(address) {
  const probe = new CoordinatorClient(address, undefined, { deadlineMs: 1_000 });
  try {
    await probe.listRuns(1);
    return true;
  } finally {
    probe.close();
  }
}
