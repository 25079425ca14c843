// The engine against real agents started in this process on simulated nodes: the same
// constructors as the programs (createEngine, startAgent), with the parts a test replaces
// passed in (the store, how the engine reaches the agents), and no lab processes.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import { connectOverTls } from '../../coordinator/engine/agent-pool.js';
import type { ConnectAgents } from '../../coordinator/engine/run-agents.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import type { RunEvent } from '../../shared/domain/run.js';
import { readHistory } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { waitFor } from '../support/processes.js';
import { startSimAgents, type SimAgents } from '../support/sim-agents.js';
import { makeTempDir } from '../support/temp-dir.js';

const SERVERS = ['server1', 'server2'];

let temp: ReturnType<typeof makeTempDir>;
let sim: SimAgents;
let engine: Engine;
const connects: string[][] = [];

function runbook(steps: unknown[]): { runbookYaml: string; runbookPath: string } {
  return { runbookYaml: stringify({ cluster: 'lab', nodes: sim.nodes(), procedure: 'custom', tls: sim.tls(), steps }), runbookPath: join(temp.dir, 'runbook.yaml') };
}

async function apply(steps: unknown[]): Promise<string> {
  const { runId } = await engine.submit({ ...runbook(steps), dryRun: false, autoApprove: false, requestedBy: 'test' });
  return runId as string;
}

function until(runId: string, states: RunView['state'][]): Promise<RunView> {
  return waitFor(`run ${runId} to reach ${states.join('/')}`, () => {
    const run = engine.getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, 30_000, 20);
}

/** The run's whole history, as a watcher replays it. */
function events(runId: string): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  return new Promise((resolve) => {
    const watch = engine.watch(runId, 0, {
      event: (event) => seen.push(event) > 0,
      caughtUp: () => {
        watch.stop();
        resolve(seen);
      },
    });
  });
}

beforeAll(async () => {
  temp = makeTempDir('lockstep-engine-');
  sim = await startSimAgents(temp.dir, SERVERS);
  const connect: ConnectAgents = (nodes, tls, deadlineMs) => {
    connects.push(nodes.map((node) => node.name));
    return connectOverTls(nodes, tls, deadlineMs);
  };
  engine = await createEngine({ store: new RunStore(join(temp.dir, 'runs.sqlite')), connect, credentialsDirs: [join(temp.dir, 'pki')], logger: silentLogger(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))) });
}, 60_000);

afterAll(async () => {
  await engine?.close();
  await sim?.stop();
  temp?.remove();
});

describe('the engine on in-process agents', () => {
  it('runs a rolling block node by node after a barrier, through the agents it was given', async () => {
    const runId = await apply([
      { id: 'stop', kind: 'service.stop', with: { services: ['clusterpro_alertsync'] } },
      { id: 'stopped', kind: 'barrier' },
      { id: 'start', kind: 'service.start', on: { rolling: ['server2', 'server1'] }, with: { services: ['clusterpro_alertsync'] } },
    ]);
    expect((await until(runId, ['succeeded', 'blocked'])).state).toBe('succeeded');
    const history = readHistory(sim.lab).map((entry) => `${entry.node} ${entry.argv.join(' ')}`);
    const stops = SERVERS.map((node) => history.indexOf(`${node} /etc/init.d/clusterpro_alertsync stop`));
    const starts = ['server2', 'server1'].map((node) => history.indexOf(`${node} /etc/init.d/clusterpro_alertsync start`));
    expect(Math.min(...stops, ...starts)).toBeGreaterThan(-1);
    expect(Math.max(...stops)).toBeLessThan(starts[0] as number);
    expect(starts[0]).toBeLessThan(starts[1] as number);
    // One dial for the preflight, handed over to the run.
    expect(connects).toEqual([SERVERS]);
  });

  it('reports a barrier the runbook states once, not once for the stage before it and again for itself', async () => {
    const runId = await apply([
      { id: 'query', kind: 'package.query', with: { name: 'clusterpro' } },
      { id: 'queried', kind: 'barrier' },
      { id: 'query-again', kind: 'package.query', with: { name: 'clusterpro' } },
    ]);
    await until(runId, ['succeeded']);
    const passed = (await events(runId)).filter((event) => event.type.endsWith('.passed'));
    expect(passed.map((event) => `${event.type} ${event.stepId}`)).toEqual(['barrier.passed queried', 'barrier.passed query-again']);
  });

  it('waits at a gate until it is approved, and names the step and node of each event once', async () => {
    const runId = await apply([
      { id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } },
      { id: 'query', kind: 'package.query', on: { rolling: ['server1', 'server2'] }, with: { name: 'clusterpro' } },
    ]);
    expect((await until(runId, ['awaiting-approval'])).pendingGates).toEqual(['kernel']);
    const { planHash } = engine.getRun(runId);
    expect(() => engine.approve(runId, 'nope', 'alice', '', planHash)).toThrow('has no gate "nope" (its gates: kernel)');
    engine.approve(runId, 'kernel', 'alice', 'done', planHash);
    await until(runId, ['succeeded']);
    const succeeded = (await events(runId)).filter((event) => event.type === 'step.succeeded');
    expect(succeeded.map((event) => `${event.stepId} on ${event.node}`)).toEqual(['query on server1', 'query on server2']);
  });
});
