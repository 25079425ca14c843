// The operator trail on a real coordinator (engine, gRPC API) and the built `lockstep` CLI,
// against agents on simulated nodes: a run that is submitted, blocks and is retried on one
// node, is paused and resumed at a gate, approved, and cancelled at a later gate. Every action
// is listed by `lockstep audit` with its operator, shown in the run's event log, and logged
// as one line with `audit: true`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readNodeState, withLabLock, writeNodeState } from '../../lab/state/lab-state.js';
import type { OperatorAction } from '../../shared/domain/operator-action.js';
import type { RunEvent, RunState } from '../../shared/domain/run.js';
import { createLogger } from '../../shared/logger.js';
import { startEngineCoordinator, type EngineCoordinator } from '../support/engine-coordinator.js';
import { waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

const SERVERS = ['server1', 'server2'];
const SERVICE = 'clusterpro_alertsync';

let logs: ReturnType<typeof makeTempDir>;
let logFile: string;
let lab: EngineCoordinator;

async function ok(user: string, args: string[]): Promise<string> {
  const result = await lab.cli(user, args);
  expect(result.code, `lockstep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

function untilState(runId: string, state: RunState): Promise<true> {
  return waitFor(`run ${runId} to be ${state}`, async () => ((await lab.client.getRun(runId)).state === state ? true : undefined), 30_000, 20);
}

beforeAll(async () => {
  logs = makeTempDir('lockstep-audit-log-');
  logFile = join(logs.dir, 'coordinator.log');
  lab = await startEngineCoordinator({ prefix: 'lockstep-audit-', servers: SERVERS, logger: createLogger({ name: 'lockstep-coordinator', level: 'info', destination: logFile }) });
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  logs?.remove();
});

describe('the operator trail', () => {
  it('lists submit, retry, pause, resume, approve and cancel with their operators, in the event log and the log too', async () => {
    // server2's first stop fails: the run blocks there until someone retries it.
    await withLabLock(lab.sim.lab, () => {
      const node = readNodeState(lab.sim.lab, 'server2');
      writeNodeState(lab.sim.lab, { ...node, faults: [{ match: [`/etc/init.d/${SERVICE}`, 'stop'], mode: 'fail', delayMs: 0, exitCode: 1, stderr: 'simulated: stop failed\n', times: 1 }] });
    });
    const runbook = join(lab.dir, 'runbook.yaml');
    const steps = [
      { id: 'stop', kind: 'service.stop', with: { services: [SERVICE] } },
      { id: 'stopped', kind: 'barrier' },
      { id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } },
      { id: 'start', kind: 'service.start', on: { rolling: SERVERS }, with: { services: [SERVICE] } },
      { id: 'sign-off', kind: 'gate', with: { message: 'application checked?' } },
    ];
    writeFileSync(runbook, stringify({ cluster: 'lab', nodes: lab.sim.nodes(), procedure: 'custom', tls: lab.sim.tls(), steps }));

    const runId = (await ok('alice', ['apply', runbook, '--comment', 'change CHG-1234'])).trim().split('\n').at(-1) as string;
    await untilState(runId, 'blocked');
    await ok('alice', ['retry', runId, '--node', 'server2', '--comment', 'rc script fixed']);
    await untilState(runId, 'awaiting-approval');
    await ok('alice', ['pause', runId, '--comment', 'waiting for the DBA']);
    await ok('alice', ['resume', runId]);
    await ok('bob', ['approve', runId, 'kernel', '--comment', 'kernels updated']);
    await waitFor('the sign-off gate', async () => ((await lab.client.getRun(runId)).pendingGates.includes('sign-off') ? true : undefined), 30_000, 20);
    await ok('carol', ['cancel', runId, '--comment', 'application owner said stop']);

    const listed = JSON.parse(await ok('dave', ['audit', runId, '--json'])) as OperatorAction[];
    const planHash = (await lab.client.getRun(runId)).planHash;
    expect(listed.map(({ action, operator, comment, detail }) => ({ action, operator, comment, detail }))).toEqual([
      { action: 'submit', operator: 'alice (unauthenticated)', comment: 'change CHG-1234', detail: `plan ${planHash}` },
      { action: 'retry', operator: 'alice (unauthenticated)', comment: 'rc script fixed', detail: 'node server2' },
      { action: 'pause', operator: 'alice (unauthenticated)', comment: 'waiting for the DBA', detail: expect.stringMatching(/^at safe point /) },
      { action: 'resume', operator: 'alice (unauthenticated)', comment: '', detail: 'withdraws the pause request' },
      { action: 'approve', operator: 'bob (unauthenticated)', comment: 'kernels updated', detail: 'gate kernel' },
      { action: 'cancel', operator: 'carol (unauthenticated)', comment: 'application owner said stop', detail: 'while awaiting-approval' },
    ]);
    for (const action of listed) {
      expect(action).toMatchObject({ runId, authenticated: false, transport: 'insecure-tcp', address: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    }
    const times = listed.map((action) => action.atMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));

    // The run's event log carries each action, before the change it made.
    const events: RunEvent[] = [];
    await lab.client.watch(runId, 0, (event) => events.push(event));
    const types = events.map((event) => event.type);
    expect(types.filter((type) => type.startsWith('operator.'))).toEqual(['operator.submit', 'operator.retry', 'operator.pause', 'operator.resume', 'operator.approve', 'operator.cancel']);
    expect(types.indexOf('operator.cancel')).toBe(types.indexOf('run.cancelled') - 1);
    expect(events.find((event) => event.type === 'operator.approve')).toMatchObject({ stepId: 'kernel', message: expect.stringMatching(/^approve by bob \(unauthenticated\) from 127\.0\.0\.1:\d+: gate kernel — "kernels updated"$/) });
    expect(events.find((event) => event.type === 'operator.retry')?.node).toBe('server2');

    // One log line per action, with the stable audit field.
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const logged = lines.filter((line) => line.audit === true && line.run === runId);
    expect(logged.map((line) => [line.action, line.operator])).toEqual(listed.map((action) => [action.action, action.operator]));

    // The table, every run's trail, and the filters.
    const table = await ok('dave', ['audit']);
    expect(table.split('\n')[0]).toMatch(/^TIME\s+RUN\s+ACTION\s+OPERATOR\s+FROM\s+DETAIL\s+COMMENT$/);
    expect(table).toMatch(new RegExp(`${runId}\\s+approve\\s+bob \\(unauthenticated\\)\\s+127\\.0\\.0\\.1:\\d+\\s+gate kernel\\s+kernels updated`));
    expect(await ok('dave', ['audit', runId, '--since', new Date(Date.now() + 60_000).toISOString()])).toBe('no operator actions\n');
    expect(JSON.parse(await ok('dave', ['audit', runId, '--since', '1h', '--json']))).toHaveLength(listed.length);
  }, 120_000);

  it('records apply --yes as such, and answers a run that never was with NOT_FOUND (exit 2)', async () => {
    const runbook = join(lab.dir, 'plain.yaml');
    writeFileSync(runbook, stringify({ cluster: 'lab', nodes: lab.sim.nodes(), procedure: 'custom', tls: lab.sim.tls(), steps: [{ id: 'stop', kind: 'service.stop', with: { services: [SERVICE] } }] }));
    const runId = (await ok('erin', ['apply', runbook, '--yes'])).trim().split('\n').at(-1) as string;
    const [submit] = JSON.parse(await ok('dave', ['audit', runId, '--json'])) as OperatorAction[];
    expect(submit).toMatchObject({ action: 'submit', operator: 'erin (unauthenticated)', detail: expect.stringMatching(/^plan \w+, every gate approved in advance \(--yes\)$/) });
    const missing = await lab.cli('dave', ['audit', 'r-nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no run "r-nope"/);
  });

  it('refuses a --since that is neither a time nor a duration, naming the flag (exit 2)', async () => {
    const result = await lab.cli('dave', ['audit', '--since', 'yesterday']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--since.*"yesterday" is neither an ISO 8601 time/);
  });
});
