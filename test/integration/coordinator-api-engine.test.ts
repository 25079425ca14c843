// The coordinator's API and the CLI against the real engine, with agents on simulated nodes
// started in this process: what a watch streams and replays, what an approval records, and
// how pause, resume and cancel move a run are the engine's behaviour, so they are checked on
// the engine itself. (coordinator-api.test.ts keeps a fake run service for what is only the
// CLI's rendering and exit codes, including outcomes the engine rarely produces on demand.)
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { readHistory } from '../../lab/state/lab-state.js';
import { FINAL_RUN_STATES, type RunEvent, type RunState } from '../../shared/domain/run.js';
import { isLockstepError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { builtProgram, waitFor } from '../support/processes.js';
import { startSimAgents, type SimAgents } from '../support/sim-agents.js';
import { makeTempDir } from '../support/temp-dir.js';

const SERVERS = ['server1', 'server2'];
const SERVICE = 'clusterpro_alertsync';

let temp: ReturnType<typeof makeTempDir>;
let sim: SimAgents;
let coordinator: RunningCoordinator;
let client: CoordinatorClient;
let cli: string;

/** Stop a service everywhere, a barrier, then (optionally) a gate, then start it node by node. */
function runbookFile(name: string, withGate: boolean): string {
  const steps = [
    { id: 'stop', kind: 'service.stop', with: { services: [SERVICE] } },
    { id: 'stopped', kind: 'barrier' },
    ...(withGate ? [{ id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } }] : []),
    { id: 'start', kind: 'service.start', on: { rolling: SERVERS }, with: { services: [SERVICE] } },
  ];
  const path = join(temp.dir, name);
  writeFileSync(path, stringify({ cluster: 'lab', nodes: sim.nodes(), procedure: 'custom', tls: sim.tls(), steps }));
  return path;
}

async function submit(withGate: boolean): Promise<string> {
  const path = runbookFile(withGate ? 'gate.yaml' : 'plain.yaml', withGate);
  const { runId } = await client.submit({ runbookYaml: readFileSync(path, 'utf8'), runbookPath: path, dryRun: false, autoApprove: false, requestedBy: 'alice' });
  return runId as string;
}

async function untilState(runId: string, states: RunState[]): Promise<RunState> {
  return waitFor(`run ${runId} to be ${states.join('/')}`, async () => {
    const { state } = await client.getRun(runId);
    return states.includes(state) ? state : undefined;
  }, 30_000, 20);
}

async function events(runId: string): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  await client.watch(runId, 0, (event) => seen.push(event));
  return seen;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built `lockstep` program, as an operator named alice runs it. */
function lockstep(args: string[], onStdout?: (text: string) => void): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--coordinator', coordinator.address, ...args], {
      env: { ...process.env, USER: 'alice', LOCKSTEP_TLS_CA: '', LOCKSTEP_TLS_CERT: '', LOCKSTEP_TLS_KEY: '', LOCKSTEP_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  cli = builtProgram('coordinator/cli/main.js');
  temp = makeTempDir('lockstep-api-engine-');
  sim = await startSimAgents(temp.dir, SERVERS);
  const config = { listen: '127.0.0.1:0', socket: undefined, http: '127.0.0.1:0', dbFile: join(temp.dir, 'db', 'runs.sqlite'), tls: undefined, credentialsDirs: [join(temp.dir, 'pki')], fourEyes: false, logLevel: 'silent' };
  coordinator = await startCoordinator(config, silentLogger(), { createRunService: (options) => createEngine(options) });
  client = new CoordinatorClient(coordinator.address, credentials.createInsecure(), { deadlineMs: 10_000 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await coordinator?.stop();
  await sim?.stop();
  temp?.remove();
});

describe('the coordinator API on the real engine', () => {
  it('streams every event of a run in order and ends the stream after the final one', async () => {
    const runId = await submit(false);
    const streamed = await events(runId);
    // Sequence numbers rise through the whole journal (every run's events share one sequence).
    const seqs = streamed.map((event) => event.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(streamed.at(-1)).toMatchObject({ type: 'run.succeeded', runState: 'succeeded' });
    // What the stream said happened is what the nodes did: every stop before any start.
    const history = readHistory(sim.lab).map((entry) => entry.argv.join(' '));
    expect(history.lastIndexOf(`/etc/init.d/${SERVICE} stop`)).toBeLessThan(history.indexOf(`/etc/init.d/${SERVICE} start`));
  });

  it('replays from a sequence number, and ends at once for a final run with nothing left to send', async () => {
    const runId = await submit(false);
    await untilState(runId, ['succeeded']);
    const seqs = (await events(runId)).map((event) => event.seq);
    const [beforeLast, last] = seqs.slice(-2) as [number, number];
    const tail: RunEvent[] = [];
    await client.watch(runId, beforeLast, (event) => tail.push(event));
    expect(tail.map((event) => event.seq)).toEqual([beforeLast, last]);
    const none: RunEvent[] = [];
    await client.watch(runId, last + 1, (event) => none.push(event));
    expect(none).toEqual([]);
  });

  it('refuses a bad maintenance window through SubmitRun (INVALID_ARGUMENT) and the CLI (exit 2), naming the field; no run is created', async () => {
    const before = (await client.listRuns(100)).length;
    const path = runbookFile('bad-window.yaml', false);
    writeFileSync(path, `${readFileSync(path, 'utf8')}window: {cron: "0 1 * * 6", duration: 4h, timezone: Asia/Tokio}\n`);
    const error = await client.submit({ runbookYaml: readFileSync(path, 'utf8'), runbookPath: path, dryRun: false, autoApprove: false, requestedBy: 'alice' }).catch((thrown: unknown) => thrown);
    // On the wire INVALID_ARGUMENT; the client gives back the engine's own code.
    expect(((error as Error).cause as { code?: number } | undefined)?.code).toBe(status.INVALID_ARGUMENT);
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect(String(error)).toContain('window.timezone: expected an IANA time zone such as Asia/Tokyo or UTC, got "Asia/Tokio"');
    writeFileSync(path, readFileSync(path, 'utf8').replace('Asia/Tokio', 'Asia/Tokyo').replace('"0 1 * * 6"', '"0 1 * * 8"'));
    const refused = await lockstep(['apply', path]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/bad-window\.yaml:\d+: window\.cron: expected a cron expression/);
    expect((await client.listRuns(100)).length).toBe(before);
  });

  it('apply of a windowed runbook outside its window creates the run scheduled and says when the window opens', async () => {
    const path = runbookFile('windowed.yaml', false);
    // Midnight on 31 December, for a second: outside it nearly always (and so the run's next window is named).
    writeFileSync(path, `${readFileSync(path, 'utf8')}window: {cron: "0 0 31 12 *", duration: 1s, timezone: Asia/Tokyo}\n`);
    const applied = await lockstep(['apply', path]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/waiting for the window that opens Thu 2026-12-31 00:00 JST \(in \d+d \d+h\)|waiting for the window that opens \w{3} \d{4}-12-31 00:00 JST/);
    const runId = applied.stdout.trim().split('\n').pop() as string;
    const status = await lockstep(['status', runId, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'scheduled', windowTimezone: 'Asia/Tokyo', windowClosesAtMs: null, nextWindowAtMs: expect.any(Number) });
    const listed = await lockstep(['runs']);
    // roughDuration leaves out a zero part: "28d" in the hour the window's opening time comes round, else "28d 3h".
    expect(listed.stdout).toMatch(new RegExp(`${runId}\\s+scheduled .* opens in \\d+[dhms]( \\d+[hms])?`));
    await client.cancel(runId);
  });

  it('answers an unknown run with NOT_FOUND, as the engine said it', async () => {
    const error = await client.getRun('r-nope').catch((thrown: unknown) => thrown);
    expect(isLockstepError(error, 'LOCKSTEP_E_NOT_FOUND')).toBe(true);
    expect(String(error)).toContain('no run "r-nope"');
    const watchError = await client.watch('r-nope', 0, () => undefined).catch((thrown: unknown) => thrown);
    expect(isLockstepError(watchError, 'LOCKSTEP_E_NOT_FOUND')).toBe(true);
  });

  it('approve records the invoking operator and the comment, and refuses a gate the run does not have', async () => {
    const runId = await submit(true);
    await untilState(runId, ['awaiting-approval']);
    const unknownGate = await lockstep(['approve', runId, 'nope']);
    expect(unknownGate.code).toBe(2);
    expect(unknownGate.stderr).toContain('has no gate "nope"');
    const result = await lockstep(['approve', runId, 'kernel', '--comment', 'kernel 5.14 on both']);
    expect(result.code, result.stderr).toBe(0);
    await untilState(runId, ['succeeded']);
    const approved = (await events(runId)).filter((event) => event.type === 'gate.approved');
    expect(approved.map((event) => `${event.stepId}: ${event.message}`)).toEqual(['kernel: approved by alice (unauthenticated): kernel 5.14 on both']);
  });

  it('apply --wait --yes approves the gates in the invoking user\'s name and exits 0', async () => {
    const result = await lockstep(['apply', '--wait', '--yes', runbookFile('gate-yes.yaml', true)]);
    expect(result.code, result.stderr).toBe(0);
    const runId = /^run (\S+) started/m.exec(result.stdout)?.[1] ?? '';
    const approved = (await events(runId)).filter((event) => event.type === 'gate.approved');
    expect(approved.map((event) => event.message)).toEqual([expect.stringMatching(/^approved by alice\b/)]);
  });

  it('watch streams the run live and exits 0 when it succeeds after an approval', async () => {
    const runId = await submit(true);
    await untilState(runId, ['awaiting-approval']);
    let seen = '';
    const watching = lockstep(['watch', runId], (text) => (seen = text));
    await waitFor('watch to show the waiting gate', () => (seen.includes('gate.waiting') ? true : undefined));
    await client.approve(runId, 'kernel', { operator: 'bob', planHash: (await client.getRun(runId)).planHash });
    const result = await watching;
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.indexOf('gate.waiting')).toBeLessThan(result.stdout.indexOf('gate.approved'));
    expect(result.stdout).toContain('run.succeeded');
  });

  it('pause at a gate asks for the next safe point, resume withdraws it, cancel ends the run', async () => {
    const runId = await submit(true);
    await untilState(runId, ['awaiting-approval']);
    // The run already waits at the gate; the pause takes effect at the safe point after it.
    expect((await lockstep(['pause', runId])).stdout).toBe(`run ${runId} is awaiting-approval\n`);
    expect((await lockstep(['resume', runId])).stdout).toBe(`run ${runId} is awaiting-approval\n`);
    expect((await lockstep(['cancel', runId])).stdout).toBe(`run ${runId} is cancelled\n`);
    expect((await events(runId)).map((event) => event.type)).toEqual(expect.arrayContaining(['run.pause-requested', 'run.pause-withdrawn']));
    expect(FINAL_RUN_STATES.has((await client.getRun(runId)).state)).toBe(true);
    // Nothing past the gate ran.
    const started = readHistory(sim.lab).filter((entry) => entry.argv.join(' ') === `/etc/init.d/${SERVICE} start`).length;
    const runsThatStarted = (await client.listRuns()).filter((run) => run.state === 'succeeded').length;
    expect(started).toBe(runsThatStarted * SERVERS.length);
  });
});
