// Maintenance windows in the engine (SPEC §4.4), on in-process agents and simulated nodes,
// with the engine's clock injected: a windowed run is `scheduled` until its window opens,
// checks before every segment that it fits the time left, waits at a safe point for the next
// opening when it does not, never stops inside a segment, and keeps waiting across a restart.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { SimFacts } from '../../lab/node/sim-facts.js';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import type { RunEvent } from '../../shared/domain/run.js';
import { isLockstepError } from '../../shared/errors.js';
import { REHEARSAL_DURATIONS_FORMAT } from '../../coordinator/schedule/rehearsal-durations.js';
import { silentLogger } from '../../shared/logger.js';
import { makePki, startTestAgent, type Pki, type TestAgent } from '../support/agent-harness.js';
import { waitFor } from '../support/processes.js';
import { writeSimLab } from '../support/sim-lab.js';
import { makeTempDir } from '../support/temp-dir.js';

const SERVERS = ['server1', 'server2'];
/** Daily at 01:00 UTC for 3 minutes; a package.query is expected to take a minute (+6 s margin). */
const WINDOW = { cron: '0 1 * * *', duration: '3m', timezone: 'UTC' };
const EXPECT = { 'package.query': '1m' };

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;
let agents: TestAgent[];
let engine: Engine | undefined;
let clock = 0;
const at = (text: string): number => Date.parse(text);

function runbook(steps: unknown[], extra: Record<string, unknown> = { window: WINDOW, expect: EXPECT }): { runbookYaml: string; runbookPath: string } {
  const nodes = agents.map((agent, index) => ({ name: SERVERS[index], address: `127.0.0.1:${agent.agent.port}` }));
  const tls = { ca: pki.ca, ...pki.coordinator };
  return { runbookYaml: stringify({ cluster: 'lab', nodes, procedure: 'custom', tls, steps, ...extra }), runbookPath: join(temp.dir, 'runbook.yaml') };
}

const ROLLING = [{ id: 'query', kind: 'package.query', on: { rolling: ['server1', 'server2'] }, with: { name: 'clusterpro' } }];

async function start(dbFile = join(temp.dir, 'runs.sqlite')): Promise<Engine> {
  engine = await createEngine({ dbFile, credentialsDirs: [join(temp.dir, 'pki')], logger: silentLogger(), now: () => clock, sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 20))) });
  return engine;
}

async function apply(steps: unknown[], extra?: Record<string, unknown>): Promise<string> {
  const { runId } = await (engine as Engine).submit({ ...runbook(steps, extra), dryRun: false, autoApprove: false, requestedBy: 'test' });
  return runId as string;
}

function until(runId: string, states: RunView['state'][]): Promise<RunView> {
  return waitFor(`run ${runId} to reach ${states.join('/')}`, () => {
    const run = (engine as Engine).getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, 15_000, 20);
}

/** The steps that run on nodes (the safe point between servers is the coordinator's). */
function nodeSteps(run: RunView): RunView['steps'] {
  return run.steps.filter((step) => step.node !== '');
}

/** The run's whole history, as a watcher replays it. */
function events(runId: string): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  return new Promise((resolve) => {
    const watch = (engine as Engine).watch(runId, 0, {
      event: (event) => seen.push(event) > 0,
      caughtUp: () => {
        watch.stop();
        resolve(seen);
      },
    });
  });
}

/** Moves the clock the moment `step` succeeds on `node` — before the engine looks at the next segment. */
function onSucceeded(runId: string, step: string, node: string, to: number): () => void {
  const watch = (engine as Engine).watch(runId, 0, {
    event: (event) => {
      if (event.type === 'step.succeeded' && event.stepId === step && event.node === node) clock = to;
      return true;
    },
    caughtUp: () => undefined,
  });
  return () => watch.stop();
}

beforeAll(async () => {
  temp = makeTempDir('lockstep-windows-');
  const lab = join(temp.dir, 'lab');
  writeSimLab(lab, SERVERS);
  pki = await makePki(join(temp.dir, 'pki'), SERVERS);
  agents = await Promise.all(
    SERVERS.map((node) => {
      const executor = new SimExecutor({ labDir: lab, node, exitProcess: async (powerOff) => powerOff() });
      return startTestAgent({ root: temp.dir, pki, node, environment: { executor, facts: new SimFacts(lab, node) } });
    }),
  );
}, 60_000);

afterEach(async () => {
  await engine?.close();
  engine = undefined;
});

afterAll(async () => {
  await Promise.all((agents ?? []).map((agent) => agent.stop()));
  temp?.remove();
});

describe('a windowed run', () => {
  it('is scheduled until the window opens, does one server, waits for the next window when the other would not fit, then ends', async () => {
    clock = at('2026-12-05T00:30:00Z');
    await start();
    const runId = await apply(ROLLING);
    const scheduled = (engine as Engine).getRun(runId);
    expect(scheduled.state).toBe('scheduled');
    expect(scheduled.nextWindowAtMs).toBe(at('2026-12-05T01:00:00Z'));
    expect(scheduled.windowClosesAtMs).toBeUndefined();
    expect((await events(runId)).map((event) => event.type)).not.toContain('step.dispatched');

    // server1 finishes with 30 s of the window left: server2 needs 1m + margin.
    const stop = onSucceeded(runId, 'query', 'server1', at('2026-12-05T01:02:30Z'));
    clock = at('2026-12-05T01:00:00Z');
    const waiting = await until(runId, ['waiting-window']);
    stop();
    expect(waiting.nextWindowAtMs).toBe(at('2026-12-06T01:00:00Z'));
    const why = (await events(runId)).find((event) => event.type === 'run.waiting-window');
    expect(why?.message).toBe('segment 2: server2 would need ~1m (expect), 30s left; resumes at Sun 2026-12-06 01:00 UTC');
    expect(waiting.steps.filter((step) => step.node === 'server2').map((step) => step.state)).toEqual(['pending']);

    clock = at('2026-12-06T01:00:00Z');
    const done = await until(runId, ['succeeded']);
    expect(nodeSteps(done).map((step) => `${step.node} ${step.state} ${step.attempt}`)).toEqual(['server1 succeeded 1', 'server2 succeeded 1']);
    const dispatched = (await events(runId)).filter((event) => event.type === 'step.dispatched').map((event) => `${event.node}@${new Date(event.atMs).toISOString()}`);
    expect(dispatched).toEqual(['server1@2026-12-05T01:00:00.000Z', 'server2@2026-12-06T01:00:00.000Z']);
  });

  it('never stops inside a segment: the window closes between two steps of one server, the server finishes, the overrun is reported', async () => {
    clock = at('2026-12-05T01:00:00Z');
    await start();
    const runId = await apply([
      { id: 'before', kind: 'package.query', on: { rolling: ['server1', 'server2'] }, with: { name: 'clusterpro' } },
      { id: 'after', kind: 'package.query', on: { rolling: ['server1', 'server2'] }, with: { name: 'clusterpro' } },
    ]);
    const stop = onSucceeded(runId, 'before', 'server1', at('2026-12-05T01:10:00Z'));
    const waiting = await until(runId, ['waiting-window']);
    stop();
    expect(waiting.steps.filter((step) => step.node === 'server1').map((step) => `${step.id} ${step.state}`)).toEqual(['before succeeded', 'after succeeded']);
    expect(waiting.steps.filter((step) => step.node === 'server2').every((step) => step.state === 'pending')).toBe(true);
    const overrun = (await events(runId)).find((event) => event.type === 'window.overrun');
    expect(overrun?.message).toBe('segment 1 (server1) ended 7m after its window closed; the run waits at this safe point for the next window');
    await (engine as Engine).cancel(runId);
  });

  it('keeps waiting across a coordinator restart and starts at the opening, no step twice', async () => {
    const dbFile = join(temp.dir, 'restart.sqlite');
    clock = at('2026-12-05T00:30:00Z');
    await start(dbFile);
    const runId = await apply(ROLLING);
    expect((engine as Engine).getRun(runId).state).toBe('scheduled');
    await (engine as Engine).close();

    // Down at the opening, back inside the window: starts then.
    clock = at('2026-12-05T01:01:00Z');
    await start(dbFile);
    const done = await until(runId, ['succeeded']);
    expect(nodeSteps(done).map((step) => step.attempt)).toEqual([1, 1]);
  });

  it('comes back after its window closed and waits for the next one', async () => {
    const dbFile = join(temp.dir, 'late.sqlite');
    clock = at('2026-12-05T00:30:00Z');
    await start(dbFile);
    const runId = await apply(ROLLING);
    await (engine as Engine).close();
    clock = at('2026-12-05T02:00:00Z');
    await start(dbFile);
    const run = (engine as Engine).getRun(runId);
    expect(run.state).toBe('scheduled');
    expect(run.nextWindowAtMs).toBe(at('2026-12-06T01:00:00Z'));
    expect((await events(runId)).filter((event) => event.type === 'step.dispatched')).toEqual([]);
    (engine as Engine).cancel(runId);
  });

  it('pauses while waiting; resumed outside its window it waits for the window again', async () => {
    clock = at('2026-12-05T00:30:00Z');
    await start();
    const runId = await apply(ROLLING);
    expect((engine as Engine).pause(runId).state).toBe('paused');
    expect((engine as Engine).resume(runId).state).toBe('waiting-window');
    clock = at('2026-12-05T01:00:00Z');
    await until(runId, ['succeeded']);
  });

  it('inside its window it starts at once, and status says when the window closes', async () => {
    clock = at('2026-12-05T01:00:30Z');
    await start();
    const runId = await apply(ROLLING.map((step) => ({ ...step, on: { node: 'server1' } })));
    const run = (engine as Engine).getRun(runId);
    expect(run.state).not.toBe('scheduled');
    expect(run.windowClosesAtMs).toBe(at('2026-12-05T01:03:00Z'));
    expect(run.windowTimezone).toBe('UTC');
    await until(runId, ['succeeded']);
  });
});

describe("a windowed run with a rehearsal's durations (issue 17)", () => {
  /** What `lockstep rehearse --save-durations` writes: a package.query measured five times in lab time, p90 50 s. */
  function writeRehearsal(name: string): string {
    const file = join(temp.dir, name);
    const kinds = { 'package.query': { medianMs: 30_000, p90Ms: 50_000, count: 5, timing: 'lab' } };
    writeFileSync(file, JSON.stringify({ format: REHEARSAL_DURATIONS_FORMAT, cluster: 'lab', procedure: 'custom', nodes: SERVERS, rehearsedAt: '2026-12-04T12:00:00.000Z', runId: 'r', seed: 1, faults: '', kinds, segments: [] }));
    return file;
  }

  it('fits a segment by the rehearsal where the default would not: server2 starts with 1m left', async () => {
    clock = at('2026-12-05T01:00:00Z');
    await start(join(temp.dir, 'rehearsed.sqlite'));
    const runId = await apply(ROLLING, { window: WINDOW, rehearsal: writeRehearsal('fits.durations.json') });
    // With the default (2m and its 12 s margin) server2 would wait a day; by the rehearsal it needs 50 s + 5 s.
    const stop = onSucceeded(runId, 'query', 'server1', at('2026-12-05T01:02:00Z'));
    const done = await until(runId, ['succeeded']);
    stop();
    const segments = (await events(runId)).filter((event) => event.type === 'window.segment').map((event) => event.message);
    expect(segments).toContain('segment 2: server2 needs ~50s (rehearsal), 1m left in the window (closes Sat 2026-12-05 01:03 UTC)');
    expect(nodeSteps(done).map((step) => `${step.node} ${step.state}`)).toEqual(['server1 succeeded', 'server2 succeeded']);
  });

  it('a restarted coordinator that finds the file gone predicts without it rather than stop the run', async () => {
    const dbFile = join(temp.dir, 'rehearsed-restart.sqlite');
    const file = writeRehearsal('gone.durations.json');
    clock = at('2026-12-05T00:30:00Z');
    await start(dbFile);
    const runId = await apply(ROLLING, { window: WINDOW, rehearsal: file });
    await (engine as Engine).close();
    rmSync(file);
    clock = at('2026-12-05T01:00:00Z');
    await start(dbFile);
    await until(runId, ['succeeded']);
    const segments = (await events(runId)).filter((event) => event.type === 'window.segment').map((event) => event.message);
    expect(segments).toContain('segment 2: server2 needs ~2m (defaults), 3m left in the window (closes Sat 2026-12-05 01:03 UTC)');
  });

  it('refuses a missing file at apply, naming rehearsal; no run is created', async () => {
    clock = at('2026-12-05T00:30:00Z');
    await start(join(temp.dir, 'rehearsal-refused.sqlite'));
    const refusal = await apply(ROLLING, { window: WINDOW, rehearsal: 'nowhere.json' }).catch((error: unknown) => error);
    expect(isLockstepError(refusal, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect((refusal as Error).message).toContain(`rehearsal: cannot read ${join(temp.dir, 'nowhere.json')}`);
    expect((engine as Engine).listRuns(10)).toEqual([]);
  });
});

describe('plan with windows', () => {
  it('shows each segment, its prediction and source, and how many windows the run takes', async () => {
    clock = at('2026-12-05T00:30:00Z');
    await start(join(temp.dir, 'plan.sqlite'));
    const result = await (engine as Engine).submit({ ...runbook(ROLLING, { window: { ...WINDOW, duration: '100s' }, expect: EXPECT }), dryRun: true, autoApprove: false, requestedBy: 'test' });
    expect(result.windowForecast?.segments.map((segment) => `${segment.number} ${segment.label} ${segment.p90Ms} ${segment.source}`)).toEqual(['1 server1 60000 expect', '2 server2 60000 expect']);
    // 100 s holds one server (66 s) a window: two windows.
    expect(result.windowForecast?.windowStartsMs).toEqual([at('2026-12-05T01:00:00Z'), at('2026-12-06T01:00:00Z')]);
  });

  it('refuses a segment no window can hold, naming the segment and the window; no run is created', async () => {
    clock = at('2026-12-05T00:30:00Z');
    await start(join(temp.dir, 'refuse.sqlite'));
    const refusal = await (engine as Engine)
      .submit({ ...runbook(ROLLING, { window: { ...WINDOW, duration: '1m' }, expect: { 'package.query': '2m' } }), dryRun: false, autoApprove: false, requestedBy: 'test' })
      .catch((error: unknown) => error);
    expect(isLockstepError(refusal, 'LOCKSTEP_E_INVALID_ARGUMENT')).toBe(true);
    expect((refusal as Error).message).toBe(
      'window: segment 1 (server1) needs ~2m (expect) plus a margin, longer than any window ("0 1 * * *" UTC for 1m): lengthen the window, add safe points, or correct expect',
    );
    expect((engine as Engine).listRuns(10)).toEqual([]);
  });
});
