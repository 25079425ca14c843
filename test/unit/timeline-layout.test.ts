// The dashboard's timeline geometry: lanes, bars from dispatch to result, barrier lines and
// the bands where the run waited, computed from a run's steps and events.
import { describe, expect, it } from 'vitest';
import type { RunEvent, RunState, StepView } from '../../shared/domain/run.js';
import { LANE_HEIGHT, layoutTimeline } from '../../coordinator/http/browser/timeline-layout.js';

const T0 = Date.UTC(2026, 11, 1, 2, 0, 0);

function step(id: string, node: string, startS: number, endS: number, state: StepView['state'] = 'succeeded', kind = 'package.upgrade'): StepView {
  return { id, kind, node, state, attempt: 1, opId: '', message: '', outputTail: '', startedAtMs: startS < 0 ? 0 : T0 + startS * 1000, finishedAtMs: endS < 0 ? 0 : T0 + endS * 1000 };
}

let seq = 0;
function event(atS: number, type: string, runState: RunState, stepId = ''): RunEvent {
  return { seq: ++seq, runId: 'r-1', atMs: T0 + atS * 1000, type, stepId, node: '', message: '', runState };
}

/** A two-node rolling update: server2 then server1, a barrier between, a gate approved after 30 s. */
const steps = [
  step('upgrade', 'server2', 0, 10),
  step('upgrade', 'server1', 10, 20),
  step('installed', '', -1, -1, 'succeeded', 'barrier'),
  step('verify', 'server2', 50, 55),
  step('verify', 'server1', 50, 60),
];
const events = [
  event(0, 'run.created', 'running'),
  event(20, 'barrier.passed', 'running', 'installed'),
  event(20, 'gate.waiting', 'awaiting-approval', 'applications'),
  event(50, 'gate.approved', 'running', 'applications'),
  event(60, 'barrier.passed', 'running', 'verify'),
  event(60, 'run.succeeded', 'succeeded'),
];

describe('timeline layout', () => {
  const layout = layoutTimeline({ steps, events, nowMs: T0 + 3_600_000, width: 1000 });
  const xAt = (seconds: number): number => layout.plotLeft + (seconds / 60) * (layout.width - layout.plotLeft - 12);

  it('has one lane per node, in the order the steps name them, a lane apart', () => {
    expect(layout.lanes.map((lane) => lane.node)).toEqual(['server2', 'server1']);
    expect((layout.lanes[1]?.y ?? 0) - (layout.lanes[0]?.y ?? 0)).toBe(LANE_HEIGHT);
    expect(layout.plotBottom - layout.plotTop).toBe(2 * LANE_HEIGHT);
  });

  it('spans the run from its first event to its last result, whatever "now" is once it is over', () => {
    expect(layout.startMs).toBe(T0);
    expect(layout.endMs).toBe(T0 + 60_000);
  });

  it('draws a bar per node step from dispatch to result, in its node lane; coordinator steps get none', () => {
    expect(layout.bars.map((bar) => `${bar.stepId}@${bar.node}`)).toEqual(['upgrade@server2', 'upgrade@server1', 'verify@server2', 'verify@server1']);
    const [first, second] = layout.bars;
    expect(first?.x).toBeCloseTo(xAt(0));
    expect(first?.width).toBeCloseTo(xAt(10) - xAt(0));
    expect(second?.x).toBeCloseTo(xAt(10));
    expect(second?.y).toBeGreaterThan(first?.y ?? Infinity);
  });

  it('draws a line where each barrier passed', () => {
    expect(layout.barriers.map((barrier) => [barrier.stepId, barrier.x])).toEqual([
      ['installed', xAt(20)],
      ['verify', xAt(60)],
    ]);
  });

  it('shades the stretch the run waited at the gate, from gate.waiting to the approval', () => {
    expect(layout.waits).toHaveLength(1);
    expect(layout.waits[0]).toMatchObject({ reason: 'gate', startMs: T0 + 20_000, endMs: T0 + 50_000 });
    expect(layout.waits[0]?.x).toBeCloseTo(xAt(20));
    expect(layout.waits[0]?.width).toBeCloseTo(xAt(50) - xAt(20));
  });

  it('puts round ticks from the start, at most eight', () => {
    expect(layout.ticks.map((tick) => tick.label)).toEqual(['0s', '+10s', '+20s', '+30s', '+40s', '+50s', '+1m']);
    expect(layout.ticks[0]?.x).toBe(layout.plotLeft);
  });
});

describe('timeline layout of a run still going', () => {
  it('draws a running step, and a wait not over, up to now', () => {
    const now = T0 + 40_000;
    const layout = layoutTimeline({
      steps: [step('upgrade', 'server1', 0, 10), step('reboot', 'server1', 10, -1, 'dispatched'), step('upgrade', 'server2', -1, -1, 'pending')],
      events: [event(0, 'run.created', 'running'), event(30, 'run.blocked', 'blocked')],
      nowMs: now,
    });
    expect(layout.lanes.map((lane) => lane.node)).toEqual(['server1', 'server2']);
    expect(layout.endMs).toBe(now);
    const running = layout.bars.find((bar) => bar.stepId === 'reboot');
    expect(running).toMatchObject({ state: 'dispatched', startMs: T0 + 10_000, endMs: now });
    // A pending step has no dispatch yet, so no bar.
    expect(layout.bars.filter((bar) => bar.node === 'server2')).toEqual([]);
    expect(layout.waits).toEqual([expect.objectContaining({ reason: 'blocked', startMs: T0 + 30_000, endMs: now })]);
  });

  it('ends a wait when the state changes to another wait, and draws an instant step a unit wide', () => {
    const layout = layoutTimeline({
      steps: [step('notice', 'server1', 5, 5)],
      events: [event(0, 'run.created', 'waiting-window'), event(10, 'window.opened', 'running'), event(20, 'run.paused', 'paused'), event(25, 'run.blocked', 'blocked'), event(30, 'run.running', 'running')],
      nowMs: T0 + 30_000,
    });
    expect(layout.waits.map((wait) => [wait.reason, (wait.startMs - T0) / 1000, (wait.endMs - T0) / 1000])).toEqual([
      ['window', 0, 10],
      ['paused', 20, 25],
      ['blocked', 25, 30],
    ]);
    expect(layout.bars[0]?.width).toBe(1);
  });

  it('lays out a run with no steps dispatched yet without dividing by zero', () => {
    const layout = layoutTimeline({ steps: [step('upgrade', 'server1', -1, -1, 'pending')], events: [], nowMs: T0 });
    expect(layout.lanes).toHaveLength(1);
    expect(layout.bars).toEqual([]);
    expect(layout.ticks.every((tick) => Number.isFinite(tick.x))).toBe(true);
    expect(layout.endMs).toBeGreaterThan(layout.startMs);
  });
});
