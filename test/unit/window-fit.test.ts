// The window-fit rule (SPEC §4.4): a segment's duration predicted from `expect`, else the
// median and p90 of earlier runs, else the documented defaults; it starts only if its p90
// and a margin end before the window closes.
import { describe, expect, it } from 'vitest';
import type { Plan } from '../../coordinator/plan/plan.js';
import { planSegments, predictSegment } from '../../coordinator/schedule/plan-segments.js';
import { defaultExpectedMs, predictStep, type KindHistory } from '../../coordinator/schedule/step-predictions.js';
import { decideFit, marginMs } from '../../coordinator/schedule/window-fit.js';
import { WindowSchedule } from '../../coordinator/schedule/window-schedule.js';

const task = (stepId: string, kind: 'node.reboot' | 'package.upgrade' | 'service.disable') => ({ stepId, kind, params: { timeoutMs: 600_000 }, description: stepId });

/** A rolling update of two servers: prepare every node, then each server alone, a safe point between. */
const PLAN: Plan = {
  cluster: 'prod',
  procedure: 'custom',
  nodes: [
    { name: 'server1', address: '10.0.0.1:7451' },
    { name: 'server2', address: '10.0.0.2:7451' },
  ],
  lead: 'server1',
  warnings: [],
  stages: [
    { type: 'tasks', id: 'prepare', lanes: { server1: [task('disable', 'service.disable')], server2: [task('disable', 'service.disable')] } },
    { type: 'barrier', id: 'prepared', confirm: false, message: '' },
    { type: 'tasks', id: 'update@server1', lanes: { server1: [task('upgrade', 'package.upgrade'), task('reboot', 'node.reboot')] } },
    { type: 'safe-point', id: 'update@server1:safe-point' },
    { type: 'tasks', id: 'update@server2', lanes: { server2: [task('upgrade', 'package.upgrade'), task('reboot', 'node.reboot')] } },
  ],
};

const NO_HISTORY = new Map<string, KindHistory>();

describe('segments', () => {
  it('run from one safe point to the next, named by who works in them', () => {
    expect(planSegments(PLAN)).toEqual([
      { number: 1, label: 'every node', firstStage: 0, endStage: 3 },
      { number: 2, label: 'server2', firstStage: 4, endStage: 5 },
    ]);
  });
});

describe('predictions, by source', () => {
  it('expect wins over history and defaults', () => {
    const history = new Map([['node.reboot', { durationsMs: [1000, 2000], runs: 2 }]]);
    expect(predictStep('node.reboot', { 'node.reboot': 360_000 }, history)).toEqual({ medianMs: 360_000, p90Ms: 360_000, source: 'expect', runs: 0 });
  });

  it('history: the median and p90 (nearest rank) of earlier runs', () => {
    const history = new Map([['node.reboot', { durationsMs: [300_000, 420_000, 360_000], runs: 3 }]]);
    expect(predictStep('node.reboot', {}, history)).toEqual({ medianMs: 360_000, p90Ms: 420_000, source: 'history', runs: 3 });
  });

  it('defaults otherwise: long rather than short', () => {
    expect(predictStep('node.reboot', {}, NO_HISTORY)).toEqual({ medianMs: 15 * 60_000, p90Ms: 15 * 60_000, source: 'default', runs: 0 });
    expect(defaultExpectedMs('service.disable')).toBe(2 * 60_000);
  });

  it("a segment's stages add up; in a stage, the slowest node counts; the sources are named", () => {
    const [first, second] = planSegments(PLAN);
    const history = new Map([['node.reboot', { durationsMs: [300_000, 420_000, 360_000], runs: 3 }]]);
    const predict = (kind: Parameters<typeof predictStep>[0]) => predictStep(kind, { 'package.upgrade': 120_000 }, history);
    expect(predictSegment(PLAN, first!, predict)).toEqual({ medianMs: 120_000 + 120_000 + 360_000, p90Ms: 120_000 + 120_000 + 420_000, source: 'expect + p90 of 3 earlier runs + defaults' });
    expect(predictSegment(PLAN, second!, predict)).toEqual({ medianMs: 480_000, p90Ms: 540_000, source: 'expect + p90 of 3 earlier runs' });
  });
});

describe('the fit decision', () => {
  const saturdays = new WindowSchedule([{ cron: '0 1 * * 6', durationMs: 4 * 3_600_000, timezone: 'Asia/Tokyo' }]);
  const opening = Date.parse('2026-12-04T16:00:00Z');
  const prediction = { medianMs: 400_000, p90Ms: 432_000, source: 'p90 of 3 earlier runs' };

  it('fits when p90 and margin end before the window closes', () => {
    const decision = decideFit(saturdays, opening, 'server2', prediction);
    expect(decision).toEqual({ fits: true, closesAtMs: opening + 4 * 3_600_000, message: 'server2 needs ~7m12s (p90 of 3 earlier runs), 4h left in the window (closes Sat 2026-12-05 05:00 JST)' });
  });

  it('does not fit with less time left, and says when it resumes', () => {
    const now = opening + 4 * 3_600_000 - 245_000;
    expect(decideFit(saturdays, now, 'server2', prediction)).toEqual({
      fits: false,
      nextOpeningAtMs: Date.parse('2026-12-11T16:00:00Z'),
      message: 'server2 would need ~7m12s (p90 of 3 earlier runs), 4m5s left; resumes at Sat 2026-12-12 01:00 JST',
    });
  });

  it('counts the margin: a tenth of the p90, at most a minute', () => {
    expect(marginMs(432_000)).toBe(43_200);
    expect(marginMs(3_600_000)).toBe(60_000);
    const justEnough = opening + 4 * 3_600_000 - 432_000 - 43_200;
    expect(decideFit(saturdays, justEnough, 'server2', prediction).fits).toBe(true);
    expect(decideFit(saturdays, justEnough + 1, 'server2', prediction).fits).toBe(false);
  });

  it('outside every window it waits for the next opening', () => {
    const decision = decideFit(saturdays, Date.parse('2026-12-01T12:00:00Z'), 'server1', { ...prediction, source: 'defaults' });
    expect(decision.fits).toBe(false);
    expect(decision.message).toBe('server1 waits for a maintenance window: the window opens Sat 2026-12-05 01:00 JST (in 3d 4h); it needs ~7m12s (defaults)');
  });
});
