// The coordinator's API for the CLI (SPEC §4.5, §7, §8), end to end: the real composition root
// and gRPC service over a small in-memory RunService, driven by the real client and by the
// built `lockstep` program as an operator would type it. What the engine itself does behind the
// API (watch replay, approvals, pause and cancel) is tested on the real engine in
// coordinator-api-engine.test.ts.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { followRun, untilFinal, type Screen } from '../../coordinator/cli/run-follower.js';
import { resolveCoordinatorConfig } from '../../coordinator/coordinator-config.js';
import { startCoordinator, type ClosableRunService, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import type { AuditEntry, EventSink, RunWatch, SubmitResult } from '../../coordinator/engine/run-types.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { parseYamlWith } from '../../shared/config-file.js';
import type { OperatorAction } from '../../shared/domain/operator-action.js';
import { FINAL_RUN_STATES, type NodeView, type RunEvent, type RunState, type RunView, type StepView, type SubmitInput } from '../../shared/domain/run.js';
import { isLockstepError, LockstepError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { issueOperatorCertificates } from '../../shared/pki/operator-certificates.js';
import { clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { makePki } from '../support/agent-harness.js';
import { builtProgram, freePort, spawnNode, waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

// ---------------------------------------------------------------------------------------------
// A fake engine: runbooks say how their run goes (`outcome:`), and the run plays that out on
// timers, with events, gates and approvals like the real one.

const runbookSchema = z.object({ cluster: z.string(), outcome: z.enum(['succeed', 'fail', 'gate', 'block']) }).strict();
type Outcome = z.infer<typeof runbookSchema>['outcome'];

const NODES = ['server1', 'server2'];
const TICK_MS = 15;

interface FakeRun {
  view: RunView;
  events: RunEvent[];
  listeners: Set<(event: RunEvent) => void>;
  /** What is left to happen; the run stops at a gate or a failure until an operator acts. */
  script: Array<() => void>;
  autoApprover?: string;
  timer?: NodeJS.Timeout;
}

class FakeRuns implements ClosableRunService {
  readonly runs = new Map<string, FakeRun>();
  readonly approvals: Array<{ runId: string; gate: string; operator: string; comment: string }> = [];
  readonly submissions: SubmitInput[] = [];
  readonly audits: AuditEntry[] = [];
  private nextId = 1;

  recordAudit(entry: AuditEntry): void {
    this.audits.push(entry);
  }

  // The operator trail is the engine's journal, checked on the engine (test/integration/audit-trail.test.ts).
  operatorActions(): OperatorAction[] {
    return [];
  }

  async submit(input: SubmitInput): Promise<SubmitResult> {
    this.submissions.push(input);
    const runbook = parseYamlWith(input.runbookPath, input.runbookYaml, runbookSchema);
    const plan = fakePlan(runbook.cluster, runbook.outcome === 'gate');
    if (input.dryRun) return { planHash: 'fakehash', plan };
    const id = `r-${this.nextId++}`;
    const run: FakeRun = {
      view: {
        id,
        cluster: runbook.cluster,
        procedure: 'custom',
        state: 'running',
        planHash: 'fakehash',
        steps: initialSteps(runbook.outcome === 'gate'),
        createdAtMs: Date.now(),
        updatedAtMs: Date.now(),
        pendingGates: [],
      },
      events: [],
      listeners: new Set(),
      script: [],
      ...(input.autoApprove && { autoApprover: input.requestedBy }),
    };
    run.script = this.script(run, runbook.outcome);
    this.runs.set(id, run);
    this.emit(run, 'run.created', '', '');
    this.play(run);
    return { runId: id, planHash: 'fakehash', plan };
  }

  getRun(runId: string): RunView {
    return structuredClone(this.find(runId).view);
  }

  listRuns(limit: number): RunView[] {
    return [...this.runs.values()].reverse().slice(0, limit || undefined).map((run) => structuredClone(run.view));
  }

  /** As the engine does: the replay in a later turn, then live events (no backpressure here: event-feed.test.ts has it). */
  watch(runId: string, fromSeq: number, sink: EventSink): RunWatch {
    const run = this.find(runId);
    let replayed = false;
    const listener = (event: RunEvent): void => {
      if (replayed) sink.event(event);
    };
    run.listeners.add(listener);
    setImmediate(() => {
      for (const event of run.events) if (event.seq >= fromSeq && run.listeners.has(listener)) sink.event(event);
      replayed = true;
      if (run.listeners.has(listener)) sink.caughtUp();
    });
    return { resume: () => undefined, stop: () => run.listeners.delete(listener) };
  }

  approve(runId: string, gate: string, operator: string, comment: string): RunView {
    const run = this.find(runId);
    if (!run.view.pendingGates.includes(gate)) throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `gate: run ${runId} has no gate "${gate}" waiting`, { field: 'gate' });
    this.approvals.push({ runId, gate, operator, comment });
    run.view.pendingGates = [];
    this.setStep(run, gate, '', 'succeeded');
    this.emit(run, 'gate.approved', gate, '', 'running', `approved by ${operator}`);
    this.play(run);
    return this.getRun(runId);
  }

  pause(runId: string): RunView {
    return this.setState(runId, 'paused');
  }

  resume(runId: string): RunView {
    return this.setState(runId, 'running');
  }

  retry(runId: string, node: string | undefined): RunView {
    const run = this.find(runId);
    delete run.view.blocker;
    run.script = [() => this.stepOn(run, 'upgrade', node ?? 'server2', 'succeeded'), () => this.finish(run, 'succeeded')];
    this.emit(run, 'step.retried', 'upgrade', node ?? '', 'running');
    this.play(run);
    return this.getRun(runId);
  }

  cancel(runId: string): RunView {
    const run = this.find(runId);
    clearTimeout(run.timer);
    run.script = [];
    run.view.pendingGates = [];
    this.finish(run, 'cancelled');
    return this.getRun(runId);
  }

  /** The fake's runs changed nothing: a rollback says so, as the engine would for such a run. */
  async rollback(runId: string, requestedBy: string): Promise<SubmitResult> {
    this.find(runId);
    this.rollbackRequests.push({ runId, requestedBy });
    throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `run ${runId} changed no package on any node: there is nothing to roll back`);
  }

  readonly rollbackRequests: Array<{ runId: string; requestedBy: string }> = [];

  async listNodes(): Promise<NodeView[]> {
    return NODES.map((name, i) => ({ name, address: `10.0.0.${i + 1}:7451`, reachable: true, hostname: name, platform: 'x86_64', bootId: `boot-${name}`, agentVersion: '0.1.0', error: '' }));
  }

  async close(): Promise<void> {
    for (const run of this.runs.values()) clearTimeout(run.timer);
  }

  listenerCount(runId: string): number {
    return this.find(runId).listeners.size;
  }

  private script(run: FakeRun, outcome: Outcome): Array<() => void> {
    const stop = NODES.map((node) => () => this.stepOn(run, 'stop', node, 'succeeded'));
    const barrier = (): void => {
      this.setStep(run, 'stopped', '', 'succeeded');
      this.emit(run, 'barrier.passed', 'stopped', '');
    };
    const gate = (): void => this.openGate(run, 'kernel');
    const upgrade = (last: 'succeeded' | 'failed') => [() => this.stepOn(run, 'upgrade', 'server1', 'succeeded'), () => this.stepOn(run, 'upgrade', 'server2', last)];
    switch (outcome) {
      case 'succeed':
        return [...stop, barrier, ...upgrade('succeeded'), () => this.finish(run, 'succeeded')];
      case 'gate':
        return [...stop, barrier, gate, ...upgrade('succeeded'), () => this.finish(run, 'succeeded')];
      case 'fail':
        return [...stop, barrier, ...upgrade('failed'), () => this.finish(run, 'failed')];
      case 'block':
        return [...stop, barrier, ...upgrade('failed'), () => this.block(run)];
    }
  }

  /** Runs the script one move per tick until it ends or a move leaves the run waiting. */
  private play(run: FakeRun): void {
    run.timer = setTimeout(() => {
      const move = run.script.shift();
      if (move === undefined) return;
      move();
      if (run.view.state === 'running') this.play(run);
    }, TICK_MS);
  }

  private openGate(run: FakeRun, gate: string): void {
    this.setStep(run, gate, '', 'waiting', 'kernel updated on every server?');
    run.view.pendingGates = [gate];
    this.emit(run, 'gate.waiting', gate, '', 'awaiting-approval');
    if (run.autoApprover !== undefined) this.approve(run.view.id, gate, run.autoApprover, 'apply --yes');
  }

  private block(run: FakeRun): void {
    run.view.blocker = { stepId: 'upgrade', node: 'server2', message: 'rpm -U exited 1', outputTail: 'error: Failed dependencies', remedies: ['retry', 'cancel'] };
    this.emit(run, 'run.blocked', 'upgrade', 'server2', 'blocked', 'rpm -U exited 1');
  }

  private stepOn(run: FakeRun, stepId: string, node: string, state: 'succeeded' | 'failed'): void {
    this.setStep(run, stepId, node, state);
    this.emit(run, `step.${state}`, stepId, node);
  }

  private finish(run: FakeRun, state: RunState): void {
    this.emit(run, `run.${state}`, '', '', state);
  }

  private setState(runId: string, state: RunState): RunView {
    const run = this.find(runId);
    this.emit(run, `run.${state}`, '', '', state);
    if (state === 'running') this.play(run);
    else clearTimeout(run.timer);
    return this.getRun(runId);
  }

  private setStep(run: FakeRun, stepId: string, node: string, state: StepView['state'], message = ''): void {
    const step = run.view.steps.find((candidate) => candidate.id === stepId && candidate.node === node);
    if (step) Object.assign(step, { state, message, attempt: 1, finishedAtMs: Date.now() });
  }

  private emit(run: FakeRun, type: string, stepId: string, node: string, runState: RunState = run.view.state, message = ''): void {
    run.view.state = runState;
    run.view.updatedAtMs = Date.now();
    const event: RunEvent = { seq: run.events.length + 1, runId: run.view.id, atMs: Date.now(), type, stepId, node, message, runState };
    run.events.push(event);
    for (const listener of [...run.listeners]) listener(event);
  }

  private find(runId: string): FakeRun {
    const run = this.runs.get(runId);
    if (run === undefined) throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `run ${runId}: no such run`, { field: 'run_id' });
    return run;
  }
}

function fakePlan(cluster: string, withGate: boolean): Plan {
  const task = (stepId: string, kind: 'service.stop' | 'package.upgrade', description: string) => ({ stepId, kind, params: { timeoutMs: 60_000 }, description });
  return {
    cluster,
    procedure: 'custom',
    nodes: NODES.map((name, i) => ({ name, address: `10.0.0.${i + 1}:7451` })),
    lead: 'server1',
    warnings: [],
    stages: [
      { type: 'tasks', id: 'stop', lanes: Object.fromEntries(NODES.map((node) => [node, [task('stop', 'service.stop', 'stop clusterpro_alertsync, clusterpro_webmgr')]])) },
      { type: 'barrier', id: 'stopped', confirm: false, message: 'every server has stopped its services' },
      ...(withGate ? [{ type: 'gate' as const, id: 'kernel', message: 'kernel updated on every server?' }] : []),
      ...NODES.map((node) => ({ type: 'tasks' as const, id: `rolling:${node}`, lanes: { [node]: [task('upgrade', 'package.upgrade', 'rpm -U clusterpro-2.1.3-1.x86_64.rpm')] } })),
    ],
  };
}

function initialSteps(withGate: boolean): StepView[] {
  const step = (id: string, kind: string, node: string): StepView => ({ id, kind, node, state: 'pending', attempt: 0, opId: '', message: '', outputTail: '', startedAtMs: 0, finishedAtMs: 0 });
  return [
    ...NODES.map((node) => step('stop', 'service.stop', node)),
    step('stopped', 'barrier', ''),
    ...(withGate ? [step('kernel', 'gate', '')] : []),
    ...NODES.map((node) => step('upgrade', 'package.upgrade', node)),
  ];
}

// ---------------------------------------------------------------------------------------------

let temp: ReturnType<typeof makeTempDir>;
let fake: FakeRuns;
let coordinator: RunningCoordinator;
let client: CoordinatorClient;
let cli: string;

function runbook(name: string, text: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return path;
}

const runbooks = {
  succeed: (): string => runbook('succeed.yaml', 'cluster: lab\noutcome: succeed\n'),
  fail: (): string => runbook('fail.yaml', 'cluster: lab\noutcome: fail\n'),
  gate: (): string => runbook('gate.yaml', 'cluster: lab\noutcome: gate\n'),
  block: (): string => runbook('block.yaml', 'cluster: lab\noutcome: block\n'),
};

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The built `lockstep` program, as an operator named alice runs it. */
function lockstep(args: string[], options: { coordinator?: string; onStdout?: (text: string) => void } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, '--coordinator', options.coordinator ?? coordinator.address, ...args], {
      env: { ...process.env, USER: 'alice', LOCKSTEP_TLS_CA: '', LOCKSTEP_TLS_CERT: '', LOCKSTEP_TLS_KEY: '', LOCKSTEP_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      options.onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

function lastLine(text: string): string {
  return text.trimEnd().split('\n').at(-1) ?? '';
}

async function untilState(runId: string, state: RunState): Promise<void> {
  await waitFor(`run ${runId} to be ${state}`, async () => ((await client.getRun(runId)).state === state ? true : undefined));
}

beforeAll(async () => {
  cli = builtProgram('coordinator/cli/main.js');
  temp = makeTempDir();
  fake = new FakeRuns();
  const config = { socket: undefined, listen: '127.0.0.1:0', http: '127.0.0.1:0', dbFile: join(temp.dir, 'db', 'runs.sqlite'), tls: undefined, credentialsDirs: [temp.dir], fourEyes: false, logLevel: 'silent' };
  coordinator = await startCoordinator(config, silentLogger(), { createRunService: async () => fake });
  client = new CoordinatorClient(coordinator.address, credentials.createInsecure(), { deadlineMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await coordinator?.stop();
  temp?.remove();
});

describe('the coordinator API through the client', () => {
  it('compiles a dry run into planned steps, one line per step with its nodes, and starts nothing', async () => {
    const plan = await client.submit({ runbookYaml: 'cluster: lab\noutcome: gate\n', runbookPath: '/srv/rb.yaml', dryRun: true, autoApprove: false, requestedBy: 'alice' });
    expect(plan.runId).toBeUndefined();
    expect(plan.steps.map((step) => [step.id, step.kind, step.nodes.join(',')])).toEqual([
      ['stop', 'service.stop', 'server1,server2'],
      ['stopped', 'barrier', ''],
      ['kernel', 'gate', ''],
      ['upgrade', 'package.upgrade', 'server1'],
      ['upgrade', 'package.upgrade', 'server2'],
    ]);
  });

  it('streams every event of a run and ends the stream after the final one', async () => {
    const { runId } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: succeed\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    const events: RunEvent[] = [];
    await client.watch(runId ?? '', 0, (event) => events.push(event));
    expect(events.map((event) => event.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)).toMatchObject({ type: 'run.succeeded', runState: 'succeeded' });
    expect(fake.listenerCount(runId ?? '')).toBe(0);
  });

  it('stops watching on the server when the client goes away', async () => {
    const { runId = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: gate\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    await untilState(runId, 'awaiting-approval');
    const stop = new AbortController();
    const watching = client.watch(runId, 0, () => undefined, { signal: stop.signal });
    await waitFor('the server to watch', () => (fake.listenerCount(runId) === 1 ? true : undefined));
    stop.abort();
    await watching;
    await waitFor('the server to stop watching', () => (fake.listenerCount(runId) === 0 ? true : undefined));
    await client.cancel(runId);
  });

  it('on a terminal, follows a run as one grid redrawn in place', async () => {
    const { runId = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: succeed\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    let written = '';
    const terminal = { isTTY: true, columns: 100, rows: 40, write: (chunk: string) => ((written += chunk), true) } as unknown as Screen;
    expect(await followRun(client, runId, { screen: terminal, stopWhen: untilFinal })).toBe(0);
    // Each redraw goes back up to the previous frame's first line and clears below it.
    const frames = written.split('\u001b[J');
    expect(frames.length).toBeGreaterThan(1);
    expect(frames.at(-1)).toContain(`run ${runId}  lab  custom  SUCCEEDED`);
    expect(written).not.toContain('step.succeeded');
  });

  it('serves /healthz on the HTTP port', async () => {
    const response = await fetch(`http://127.0.0.1:${coordinator.httpPort}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});

describe('lockstep, the CLI, against the coordinator (SPEC §7)', () => {
  it('apply prints the new run id alone on the last line and exits 0', async () => {
    const file = runbooks.succeed();
    const result = await lockstep(['apply', file]);
    expect(result.code, result.stderr).toBe(0);
    const runId = lastLine(result.stdout);
    expect(runId).toMatch(/^r-\d+$/);
    expect(fake.runs.has(runId)).toBe(true);
    // The coordinator resolves the runbook's relative paths against its absolute path.
    expect(fake.submissions.at(-1)).toMatchObject({ runbookPath: file, dryRun: false, autoApprove: false, requestedBy: 'alice (unauthenticated)' });
  });

  it('status --json has the contract shape', async () => {
    const { runId = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: succeed\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    await untilState(runId, 'succeeded');
    const result = await lockstep(['status', runId, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(status).toMatchObject({ id: runId, state: 'succeeded', cluster: 'lab', pendingGates: [], blocker: null });
    const steps = status.steps as Array<Record<string, unknown>>;
    expect(steps).toContainEqual(expect.objectContaining({ id: 'stop', kind: 'service.stop', node: 'server1', state: 'succeeded' }));
    expect(steps).toContainEqual(expect.objectContaining({ id: 'stopped', kind: 'barrier', node: '', state: 'succeeded' }));
  });

  it('status without --json shows the node × step grid', async () => {
    const [run] = await client.listRuns(1);
    const result = await lockstep(['status', run?.id ?? '']);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/STEP\s+KIND\s+server1\s+server2/);
    expect(result.stdout).toMatch(/upgrade\s+package\.upgrade\s+ok\s+ok/);
  });

  it('apply --wait exits 0 when the run succeeds and 1 when it fails', async () => {
    const succeeded = await lockstep(['apply', '--wait', runbooks.succeed()]);
    expect(succeeded.code, succeeded.stderr).toBe(0);
    expect(succeeded.stdout).toContain('run.succeeded');
    const failed = await lockstep(['apply', '--wait', runbooks.fail()]);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/upgrade\s+package\.upgrade\s+ok\s+FAILED/);
  });

  it('apply --wait exits 4 at a gate without --yes, naming the command that approves it', async () => {
    const result = await lockstep(['apply', '--wait', runbooks.gate()]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout).toMatch(/lockstep approve r-\d+ kernel/);
  });

  it('apply --wait exits 4 when the run is blocked, even with --yes', async () => {
    const result = await lockstep(['apply', '--wait', '--yes', runbooks.block()]);
    expect(result.code, result.stderr).toBe(4);
    expect(result.stdout).toMatch(/BLOCKED at step upgrade on server2: rpm -U exited 1/);
    expect(result.stdout).toMatch(/lockstep retry r-\d+ --node server2/);
  });

  it('exits 2 and prints the file, line and field of an invalid runbook', async () => {
    const file = runbook('invalid.yaml', 'cluster: lab\noutcome: explode\n');
    const result = await lockstep(['apply', file]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file}:2: outcome:`);
    expect(result.stdout).toBe('');
  });

  it('exits 2 for a runbook that cannot be read, and for a usage error', async () => {
    expect((await lockstep(['apply', join(temp.dir, 'missing.yaml')])).code).toBe(2);
    expect((await lockstep(['apply'])).code).toBe(2);
  });

  it('exits 3 when nothing listens at --coordinator', async () => {
    const port = await freePort();
    const result = await lockstep(['runs'], { coordinator: `127.0.0.1:${port}` });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`coordinator 127.0.0.1:${port}`);
    expect(result.stderr).toContain('Is lockstep-coordinator running there?');
  });

  it('pause, resume, retry and cancel say where the run stands', async () => {
    const { runId = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: block\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    await untilState(runId, 'blocked');
    const retried = await lockstep(['retry', runId, '--node', 'server2']);
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toContain('the failed step on server2');
    await untilState(runId, 'succeeded');

    const { runId: gated = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: gate\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' });
    expect((await lockstep(['pause', gated])).stdout).toBe(`run ${gated} is paused\n`);
    expect((await lockstep(['resume', gated])).stdout).toBe(`run ${gated} is running\n`);
    expect((await lockstep(['cancel', gated])).stdout).toBe(`run ${gated} is cancelled\n`);
    expect(FINAL_RUN_STATES.has((await client.getRun(gated)).state)).toBe(true);
  });

  it('rollback reaches the engine in the invoking user\'s name, and prints its refusal with exit 1', async () => {
    const [run] = await client.listRuns(1);
    const result = await lockstep(['rollback', run?.id ?? '']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('there is nothing to roll back');
    expect(fake.rollbackRequests.at(-1)).toEqual({ runId: run?.id, requestedBy: expect.any(String) });
  });

  it('plan prints the steps under their nodes, barriers and gates between, and starts nothing', async () => {
    const runsBefore = fake.runs.size;
    const result = await lockstep(['plan', runbooks.gate()]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/on server1, server2:\n\s+stop\s+service\.stop\s+stop clusterpro_alertsync/);
    expect(result.stdout).toContain('── barrier stopped: every server has stopped its services');
    expect(result.stdout).toContain('── gate kernel: kernel updated on every server?');
    expect(fake.runs.size).toBe(runsBefore);
  });

  it('runs lists the runs and nodes lists the nodes', async () => {
    const runs = await lockstep(['runs']);
    expect(runs.code, runs.stderr).toBe(0);
    expect(runs.stdout).toMatch(/^RUN\s+STATE\s+CLUSTER/);
    expect(runs.stdout).toMatch(/r-\d+\s+succeeded\s+lab/);
    const nodes = await lockstep(['nodes', runbooks.succeed()]);
    expect(nodes.code, nodes.stderr).toBe(0);
    expect(nodes.stdout).toMatch(/server2\s+10\.0\.0\.2:7451\s+up\s+server2\s+x86_64/);
  });
});

describe('who approves (SPEC §8)', () => {
  it('under TLS the operator is the client certificate, whatever the request claims, and its roles decide', async () => {
    const pki = await makePki(join(temp.dir, 'pki'));
    await issueOperatorCertificates({ dir: pki.dir, operator: 'alice', roles: ['operator', 'approver'] });
    await issueOperatorCertificates({ dir: pki.dir, operator: 'victor', roles: ['viewer'] });
    const tlsFake = new FakeRuns();
    const tlsCoordinator = await startCoordinator(
      { socket: undefined, listen: '127.0.0.1:0', http: '127.0.0.1:0', dbFile: join(temp.dir, 'tls', 'runs.sqlite'), tls: { ca: pki.ca, ...pki.coordinator }, credentialsDirs: [pki.dir], fourEyes: false, logLevel: 'silent' },
      silentLogger(),
      { createRunService: async () => tlsFake },
    );
    const clientAs = async (name: string): Promise<CoordinatorClient> => {
      const material = await loadTlsMaterial({ ca: pki.ca, cert: join(pki.dir, 'operators', `${name}.pem`), key: join(pki.dir, 'operators', `${name}.key`) });
      return new CoordinatorClient(tlsCoordinator.address, clientCredentials(material), { deadlineMs: 10_000, serverName: 'coordinator' });
    };
    const alice = await clientAs('alice');
    const victor = await clientAs('victor');
    try {
      const { runId = '' } = await alice.submit({ runbookYaml: 'cluster: lab\noutcome: gate\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'mallory' });
      await waitFor('the gate', async () => ((await victor.getRun(runId)).state === 'awaiting-approval' ? true : undefined));
      // A viewer reads but does not approve: refused, naming the role, and audited.
      const refused = await victor.approve(runId, 'kernel', { operator: 'alice', planHash: 'f'.repeat(64) }).catch((thrown: unknown) => thrown);
      expect(isLockstepError(refused, 'LOCKSTEP_E_PERMISSION_DENIED')).toBe(true);
      expect((refused as Error).message).toMatch(/Approve needs the approver role; victor has only viewer/);
      expect(tlsFake.audits).toContainEqual(expect.objectContaining({ caller: 'victor', transport: 'tls', rpc: 'Approve', role: 'approver', allowed: false }));
      expect(tlsFake.approvals).toEqual([]);
      await alice.approve(runId, 'kernel', { operator: 'mallory', planHash: 'f'.repeat(64) });
      expect(tlsFake.approvals).toEqual([expect.objectContaining({ operator: 'alice' })]);
      expect(tlsFake.submissions[0]?.requestedBy).toBe('alice');
      // The coordinator's own certificate is no operator's: it holds no role on the API.
      const coordinatorCert = new CoordinatorClient(tlsCoordinator.address, clientCredentials(await loadTlsMaterial({ ca: pki.ca, ...pki.coordinator })), { deadlineMs: 5_000, serverName: 'coordinator' });
      const noRole = await coordinatorCert.listRuns().catch((thrown: unknown) => thrown);
      coordinatorCert.close();
      expect(isLockstepError(noRole, 'LOCKSTEP_E_PERMISSION_DENIED')).toBe(true);
      // The client checks the server's role too (issue 21 §4): a coordinator is no agent, and vice versa.
      const material = await loadTlsMaterial({ ca: pki.ca, cert: join(pki.dir, 'operators', 'alice.pem'), key: join(pki.dir, 'operators', 'alice.key') });
      const wantsAgent = new CoordinatorClient(tlsCoordinator.address, clientCredentials(material, { expectedServerName: 'coordinator', requiredRole: 'agent' }), { deadlineMs: 5_000, serverName: 'coordinator' });
      const notAgent = await wantsAgent.listRuns().catch((thrown: unknown) => thrown);
      wantsAgent.close();
      expect(isLockstepError(notAgent, 'LOCKSTEP_E_UNAVAILABLE')).toBe(true);
      expect((notAgent as Error).message).toMatch(/role coordinator\) is not a certificate of the agent role/);
      const wantsCoordinator = new CoordinatorClient(tlsCoordinator.address, clientCredentials(material, { expectedServerName: 'coordinator', requiredRole: 'coordinator' }), { deadlineMs: 5_000, serverName: 'coordinator' });
      await expect(wantsCoordinator.listRuns()).resolves.toBeInstanceOf(Array);
      wantsCoordinator.close();
      // A plaintext client is refused in the handshake.
      const plaintext = new CoordinatorClient(tlsCoordinator.address, credentials.createInsecure(), { deadlineMs: 5_000 });
      const error = await plaintext.listRuns().catch((thrown: unknown) => thrown);
      plaintext.close();
      expect(isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')).toBe(true);
    } finally {
      alice.close();
      victor.close();
      await tlsCoordinator.stop();
    }
  });

  it('takes --tls-crl for its API under TLS and for every dial to an agent, with or without API TLS', () => {
    const tlsFiles = { 'tls-ca': '/etc/lockstep/ca.pem', 'tls-cert': '/etc/lockstep/admin1.pem', 'tls-key': '/etc/lockstep/admin1.key' };
    expect(resolveCoordinatorConfig(undefined, { 'tls-crl': '/etc/lockstep/crl.pem' })).toMatchObject({ tls: undefined, tlsCrl: '/etc/lockstep/crl.pem' });
    expect(resolveCoordinatorConfig(undefined, { ...tlsFiles, 'tls-crl': '/etc/lockstep/crl.pem' })).toMatchObject({
      tls: { ca: tlsFiles['tls-ca'], cert: tlsFiles['tls-cert'], key: tlsFiles['tls-key'], crl: '/etc/lockstep/crl.pem' },
      tlsCrl: '/etc/lockstep/crl.pem',
    });
  });

  it('journals a name claimed over --insecure TCP as unauthenticated', async () => {
    const { runId = '' } = await client.submit({ runbookYaml: 'cluster: lab\noutcome: gate\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'carol' });
    expect(fake.submissions.at(-1)?.requestedBy).toBe('carol (unauthenticated)');
    await untilState(runId, 'awaiting-approval');
    await client.approve(runId, 'kernel', { operator: 'dave', planHash: 'f'.repeat(64) });
    expect(fake.approvals.at(-1)).toMatchObject({ runId, operator: 'dave (unauthenticated)' });
  });

  it.each([
    [['--listen', '127.0.0.1:0'], /--listen: 127\.0\.0\.1:0 without TLS .*--insecure on a loopback address/],
    [['--listen', '0.0.0.0:0', '--insecure'], /--insecure: refuses 0\.0\.0\.0:0, which is not a loopback address/],
    [['--http', '0.0.0.0:0'], /--http: 0\.0\.0\.0:0 is not a loopback address.*--tls-ca, --tls-cert and --tls-key/],
  ])('lockstep-coordinator %j refuses to start (exit 2), saying what to use', async (args, message) => {
    const started = spawnNode(builtProgram('coordinator/main.js'), [...args, '--db', join(temp.dir, 'refused', 'runs.sqlite')]);
    expect((await started.exited).code).toBe(2);
    expect(started.output()).toMatch(message);
  });

  it('serves TCP only with TLS, or with --insecure on loopback; the Unix socket otherwise', () => {
    expect(() => resolveCoordinatorConfig(undefined, { listen: '127.0.0.1:7450' })).toThrow(/--listen: 127\.0\.0\.1:7450 without TLS .*--tls-ca.*--insecure on a loopback address.*--socket/);
    expect(() => resolveCoordinatorConfig(undefined, { listen: '0.0.0.0:7450', insecure: true })).toThrow(/--insecure: refuses 0\.0\.0\.0:7450, which is not a loopback address/);
    expect(() => resolveCoordinatorConfig(undefined, { listen: '10.0.0.5:7450', insecure: true })).toThrow(/not a loopback address/);
    expect(resolveCoordinatorConfig(undefined, { listen: '127.0.0.1:7450', insecure: true })).toMatchObject({ listen: '127.0.0.1:7450', socket: undefined, tls: undefined });
    expect(resolveCoordinatorConfig(undefined, {})).toMatchObject({
      socket: { path: '/run/lockstep/coordinator.sock', group: 'lockstep', roleGroups: { viewer: 'lockstep', operator: 'lockstep-operator', approver: 'lockstep-approver' } },
      listen: undefined,
      http: '127.0.0.1:7452',
      dbFile: '/var/lib/lockstep-coordinator/runs.sqlite',
      credentialsDirs: ['/etc/lockstep/pki'],
      fourEyes: false,
      tls: undefined,
    });
  });
});
