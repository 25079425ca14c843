// Issue 17: a rehearsal's durations feed the window fit (SPEC §4.4). What `lockstep rehearse
// --save-durations` measures on the twin (lab-time kinds predict, simulated ones never), the
// file's checks (each refusal names the runbook's `rehearsal` and the field in the file), and
// where the rehearsal stands among the sources: after `expect`, before the cluster's history
// only while that history holds fewer steps of the kind, before the defaults.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlannedStep, RunView, StepView } from '../../shared/domain/run.js';
import { isLockstepError } from '../../shared/errors.js';
import { readRunbookRehearsal } from '../../coordinator/engine/rehearsal-file.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { parseRunbook, resolveRunbookPaths } from '../../coordinator/runbook/load-runbook.js';
import { predictSegment, planSegments } from '../../coordinator/schedule/plan-segments.js';
import {
  checkRehearsalFits,
  measureRehearsal,
  parseRehearsalDurations,
  rehearsedKinds,
  REHEARSAL_DURATIONS_FORMAT,
  type RehearsalDurations,
} from '../../coordinator/schedule/rehearsal-durations.js';
import { defaultExpectedMs, predictStep, type KindHistory } from '../../coordinator/schedule/step-predictions.js';
import { makeTempDir } from '../support/temp-dir.js';

const NODES = ['server1', 'server2', 'server3'];
const T0 = Date.parse('2026-12-02T01:00:00Z');

function step(id: string, kind: string, node: string, startedAtMs: number, tookMs: number, state: StepView['state'] = 'succeeded'): StepView {
  return { id, kind, node, state, attempt: 1, opId: '', message: '', outputTail: '', startedAtMs, finishedAtMs: startedAtMs + tookMs };
}

/** A twin's rolling update as the API shows it: each server alone, a safe point between; a barrier on the coordinator. */
const PLAN: PlannedStep[] = [
  { id: 'upgrade', kind: 'package.upgrade', nodes: ['server3'], description: '', stage: 'update@server3' },
  { id: 'reboot', kind: 'node.reboot', nodes: ['server3'], description: '', stage: 'update@server3' },
  { id: 'safe-point@server3', kind: 'safe-point', nodes: [], description: '', stage: 'safe-point@server3' },
  { id: 'upgrade', kind: 'package.upgrade', nodes: ['server1'], description: '', stage: 'update@server1' },
  { id: 'reboot', kind: 'node.reboot', nodes: ['server1'], description: '', stage: 'update@server1' },
  { id: 'healthy', kind: 'barrier', nodes: [], description: '', stage: 'healthy' },
];

const RUN: RunView = {
  id: 'r-1',
  cluster: 'prod-db',
  procedure: 'clusterpro/rolling-update',
  state: 'succeeded',
  planHash: 'h',
  createdAtMs: T0,
  updatedAtMs: T0 + 20_000,
  pendingGates: [],
  steps: [
    step('upgrade', 'package.upgrade', 'server3', T0, 400),
    step('reboot', 'node.reboot', 'server3', T0 + 500, 3_900),
    step('upgrade', 'package.upgrade', 'server1', T0 + 10_000, 700),
    step('reboot', 'node.reboot', 'server1', T0 + 10_800, 4_100),
    // Failed, then not retried to success: no duration of a kind comes from it.
    step('verify', 'verify.package-version', 'server2', T0 + 15_000, 50_000, 'failed'),
    step('healthy', 'barrier', '', T0 + 15_000, 10),
  ],
};

const CONTEXT = { cluster: 'prod-db', nodes: NODES, seed: 7, faults: '', realRpm: true };

describe('what a rehearsal measures', () => {
  it('per kind: median, p90 and count of the succeeded node steps; package kinds in lab time, the rest simulated', () => {
    const durations = measureRehearsal(RUN, PLAN, CONTEXT);
    expect(durations.kinds).toEqual({
      'package.upgrade': { medianMs: 400, p90Ms: 700, count: 2, timing: 'lab' },
      'node.reboot': { medianMs: 3_900, p90Ms: 4_100, count: 2, timing: 'simulated' },
    });
    expect(durations).toMatchObject({ format: REHEARSAL_DURATIONS_FORMAT, cluster: 'prod-db', procedure: 'clusterpro/rolling-update', nodes: NODES, runId: 'r-1', seed: 7 });
  });

  it("an emulated rpm (no rpm on the lab's host) is simulated too", () => {
    expect(measureRehearsal(RUN, PLAN, { ...CONTEXT, realRpm: false }).kinds['package.upgrade']?.timing).toBe('simulated');
  });

  it('per segment: the plan cut at its safe points, first start to last finish', () => {
    expect(measureRehearsal(RUN, PLAN, CONTEXT).segments).toEqual([
      { number: 1, label: 'server3', ms: 4_400 },
      { number: 2, label: 'server1', ms: 15_010 - 10_000 },
    ]);
  });

  it('only the lab-time kinds predict', () => {
    expect([...rehearsedKinds(measureRehearsal(RUN, PLAN, CONTEXT))]).toEqual([['package.upgrade', { medianMs: 400, p90Ms: 700, count: 2 }]]);
  });
});

describe('the prediction sources, in order', () => {
  const rehearsed = new Map([['package.upgrade', { medianMs: 400, p90Ms: 700, count: 3 }]]);
  const history = (durationsMs: number[]): Map<string, KindHistory> => new Map([['package.upgrade', { durationsMs, runs: 1 }]]);

  it('expect wins over a rehearsal', () => {
    expect(predictStep('package.upgrade', { 'package.upgrade': 120_000 }, new Map(), rehearsed).source).toBe('expect');
  });

  it('a rehearsal wins over a history of fewer steps', () => {
    expect(predictStep('package.upgrade', {}, history([90_000, 95_000]), rehearsed)).toEqual({ medianMs: 400, p90Ms: 700, source: 'rehearsal', runs: 0 });
  });

  it('the cluster’s history wins once it holds as many steps', () => {
    expect(predictStep('package.upgrade', {}, history([90_000, 95_000, 99_000]), rehearsed)).toEqual({ medianMs: 95_000, p90Ms: 99_000, source: 'history', runs: 1 });
  });

  it('a rehearsal wins over the defaults; a kind it did not measure keeps its default', () => {
    expect(predictStep('package.upgrade', {}, new Map(), rehearsed).source).toBe('rehearsal');
    expect(predictStep('node.reboot', {}, new Map(), rehearsed)).toEqual({ medianMs: defaultExpectedMs('node.reboot'), p90Ms: defaultExpectedMs('node.reboot'), source: 'default', runs: 0 });
  });

  it('a segment names the rehearsal among its sources', () => {
    const task = (kind: 'package.upgrade' | 'node.reboot') => ({ stepId: kind, kind, params: { timeoutMs: 600_000 }, description: kind });
    const plan: Plan = {
      cluster: 'prod-db',
      procedure: 'custom',
      nodes: [{ name: 'server1', address: '10.0.0.1:7451' }],
      lead: 'server1',
      warnings: [],
      stages: [{ type: 'tasks', id: 'update', lanes: { server1: [task('package.upgrade'), task('node.reboot')] } }],
    };
    const [segment] = planSegments(plan);
    const prediction = predictSegment(plan, segment as NonNullable<typeof segment>, (kind) => predictStep(kind, {}, new Map(), rehearsed));
    expect(prediction).toEqual({ medianMs: 400 + defaultExpectedMs('node.reboot'), p90Ms: 700 + defaultExpectedMs('node.reboot'), source: 'rehearsal + defaults' });
  });
});

function refusal(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    return error as Error;
  }
  throw new Error('accepted');
}

describe('reading a durations file', () => {
  const saved = measureRehearsal(RUN, PLAN, CONTEXT);
  const text = (change: (file: Record<string, unknown>) => void): string => {
    const file = structuredClone(saved) as unknown as Record<string, unknown>;
    change(file);
    return JSON.stringify(file);
  };
  const kinds = (file: Record<string, unknown>) => file.kinds as Record<string, Record<string, unknown>>;

  it('reads back what a rehearsal saved', () => {
    expect(parseRehearsalDurations(JSON.stringify(saved), 'd.json', 'rehearsal')).toEqual(saved);
  });

  it.each<[string, string, RegExp]>([
    ['not JSON, without echoing the text', 'root:x:0:0:root:/root:/bin/bash', /^rehearsal: d\.json: \(file\): not JSON: expected a file "lockstep rehearse --save-durations" writes$/],
    ['another format', text((file) => (file.format = 'lockstep.facts/1')), /rehearsal: d\.json: format: expected "lockstep\.rehearsal-durations\/1"/],
    ['a negative median', text((file) => (kinds(file)['package.upgrade'] = { medianMs: -5, p90Ms: 700, count: 2, timing: 'lab' })), /rehearsal: d\.json: kinds\.package\.upgrade\.medianMs: expected 0 or more milliseconds, got -5/],
    ['a fractional count', text((file) => (kinds(file)['package.upgrade'] = { medianMs: 5, p90Ms: 700, count: 1.5, timing: 'lab' })), /kinds\.package\.upgrade\.count/],
    ['a p90 below the median', text((file) => (kinds(file)['package.upgrade'] = { medianMs: 900, p90Ms: 700, count: 2, timing: 'lab' })), /kinds\.package\.upgrade\.p90Ms: p90Ms is below medianMs/],
    ['a simulated kind claimed as lab time', text((file) => (kinds(file)['node.reboot'] = { medianMs: 1, p90Ms: 1, count: 2, timing: 'lab' })), /kinds\.node\.reboot\.timing: the lab simulates how long node\.reboot takes: expected "simulated"/],
    ['an unknown kind', text((file) => (kinds(file)['node.restart'] = { medianMs: 1, p90Ms: 1, count: 2, timing: 'simulated' })), /kinds\.node\.restart: "node\.restart" is not a node step kind/],
    ['an unknown field', text((file) => (file.extra = 1)), /rehearsal: d\.json: /],
  ])('refuses %s', (_what, body, message) => {
    expect(refusal(() => parseRehearsalDurations(body, 'd.json', 'rehearsal')).message).toMatch(message);
  });

  it.each<[string, Partial<{ cluster: string; procedure: string; nodes: Array<{ name: string }> }>, RegExp]>([
    ['another cluster', { cluster: 'prod-web' }, /rehearsal: d\.json: cluster: the durations are of cluster "prod-db", the runbook's is "prod-web"/],
    ['another procedure', { procedure: 'custom' }, /rehearsal: d\.json: procedure: the durations are of clusterpro\/rolling-update, the runbook runs custom/],
    ['other nodes', { nodes: [{ name: 'server1' }, { name: 'server2' }] }, /rehearsal: d\.json: nodes: the durations are of nodes server1, server2, server3, the runbook names server1, server2/],
  ])('refuses the durations of %s', (_what, change, message) => {
    const runbook = { cluster: 'prod-db', procedure: 'clusterpro/rolling-update', nodes: NODES.map((name) => ({ name })), ...change };
    expect(refusal(() => checkRehearsalFits(saved as RehearsalDurations, runbook, 'd.json', 'rehearsal')).message).toMatch(message);
  });
});

describe("a runbook's rehearsal: FILE", () => {
  let temp: ReturnType<typeof makeTempDir>;
  beforeEach(() => {
    temp = makeTempDir('lockstep-rehearsal-file-');
  });
  afterEach(() => temp.remove());

  const runbookText = (rehearsal: string): string =>
    [
      'cluster: prod-db',
      'nodes:',
      ...NODES.map((name, index) => `  - {name: ${name}, address: 10.0.0.${index + 1}:7451}`),
      'procedure: clusterpro/rolling-update',
      'window: {cron: "0 1 * * 6", duration: 4h, timezone: UTC}',
      `rehearsal: ${rehearsal}`,
      '',
    ].join('\n');
  const runbookIn = (dir: string, rehearsal: string) => {
    const path = join(dir, 'runbook.yaml');
    return resolveRunbookPaths(parseRunbook(path, runbookText(rehearsal)), path);
  };

  it("resolves against the runbook's directory and predicts its lab-time kinds", () => {
    writeFileSync(join(temp.dir, 'tonight.json'), JSON.stringify(measureRehearsal(RUN, PLAN, CONTEXT)));
    const runbook = runbookIn(temp.dir, 'tonight.json');
    expect(runbook.rehearsal).toBe(join(temp.dir, 'tonight.json'));
    expect([...readRunbookRehearsal(runbook).keys()]).toEqual(['package.upgrade']);
  });

  it('refuses a missing file, naming the field and how to write it', () => {
    const message = refusal(() => readRunbookRehearsal(runbookIn(temp.dir, 'missing.json'))).message;
    expect(message).toContain(`rehearsal: cannot read ${join(temp.dir, 'missing.json')}`);
    expect(message).toContain('lockstep rehearse RUNBOOK --save-durations');
  });

  it('refuses what is not a regular file', () => {
    mkdirSync(join(temp.dir, 'a-dir'));
    expect(refusal(() => readRunbookRehearsal(runbookIn(temp.dir, 'a-dir'))).message).toMatch(/^rehearsal: .*a-dir is not a regular file/);
  });

  it('refuses an oversized file without reading it', () => {
    writeFileSync(join(temp.dir, 'big.json'), Buffer.alloc((1 << 20) + 1, 32));
    expect(refusal(() => readRunbookRehearsal(runbookIn(temp.dir, 'big.json'))).message).toMatch(/^rehearsal: .*big\.json is 1048577 bytes/);
  });

  it("refuses another cluster's durations", () => {
    writeFileSync(join(temp.dir, 'other.json'), JSON.stringify({ ...measureRehearsal(RUN, PLAN, CONTEXT), cluster: 'prod-web' }));
    expect(refusal(() => readRunbookRehearsal(runbookIn(temp.dir, 'other.json'))).message).toContain('cluster: the durations are of cluster "prod-web"');
  });
});
