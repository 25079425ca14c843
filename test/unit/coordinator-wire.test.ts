// The coordinator's wire: every run and step state crosses both ways, absent values stay
// absent, a state the client does not know is refused naming the field, and a plan reaches the
// CLI as one line per step with the nodes that run it.
import { describe, expect, it } from 'vitest';
import { plannedSteps } from '../../coordinator/grpc/planned-steps.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { RUN_STATES, STEP_STATES, type RunEvent, type RunView } from '../../shared/domain/run.js';
import { isLockstepError } from '../../shared/errors.js';
import { pb, runEventFromWire, runEventToWire, runFromWire, runStates, runToWire, stepStates, submittedRunFromWire, windowForecastToWire } from '../../shared/wire/coordinator-wire.js';

const run: RunView = {
  id: 'r-1',
  cluster: 'prod-db',
  procedure: 'clusterpro/rolling-update',
  state: 'blocked',
  planHash: 'abc123',
  steps: [
    { id: 'upgrade', kind: 'package.upgrade', node: 'server2', state: 'failed', attempt: 2, opId: 'r-1/upgrade/server2/2', message: 'rpm -U exited 1', outputTail: 'error: dependencies', startedAtMs: 1_700_000_000_000, finishedAtMs: 1_700_000_001_000 },
    { id: 'all-disabled', kind: 'barrier', node: '', state: 'pending', attempt: 0, opId: '', message: '', outputTail: '', startedAtMs: 0, finishedAtMs: 0 },
  ],
  blocker: { stepId: 'upgrade', node: 'server2', message: 'rpm -U exited 1', outputTail: 'error: dependencies', remedies: ['retry', 'cancel'] },
  createdAtMs: 1_700_000_000_000,
  updatedAtMs: 1_700_000_002_000,
  nextWindowAtMs: 1_700_003_600_000,
  windowClosesAtMs: 1_700_001_800_000,
  windowTimezone: 'Asia/Tokyo',
  pendingGates: ['kernel'],
};

/** Through the real protobuf encoding, as the bytes travel. */
function overTheWire(view: RunView): RunView {
  return runFromWire(pb.Run.decode(pb.Run.encode(runToWire(view)).finish()));
}

describe('coordinator wire', () => {
  it('carries a run, its steps, blocker, gates and window unchanged', () => {
    expect(overTheWire(run)).toEqual(run);
  });

  it('keeps an absent blocker and window absent', () => {
    const { blocker: _blocker, nextWindowAtMs: _window, windowClosesAtMs: _closes, windowTimezone: _zone, ...plain } = run;
    const back = overTheWire({ ...plain, state: 'running' });
    expect(back).not.toHaveProperty('blocker');
    expect(back).not.toHaveProperty('nextWindowAtMs');
    expect(back).not.toHaveProperty('windowClosesAtMs');
    expect(back).not.toHaveProperty('windowTimezone');
  });

  it.each(RUN_STATES)('run state %s crosses both ways', (state) => {
    expect(runStates.toDomain('state', runStates.toWire(state))).toBe(state);
  });

  it.each(STEP_STATES)('step state %s crosses both ways', (state) => {
    expect(stepStates.toDomain('state', stepStates.toWire(state))).toBe(state);
  });

  it('refuses an unspecified run state, naming the field', () => {
    let error: unknown;
    try {
      runFromWire({ ...runToWire(run), state: pb.RunState.RUN_STATE_UNSPECIFIED });
    } catch (thrown) {
      error = thrown;
    }
    expect(isLockstepError(error, 'LOCKSTEP_E_INVALID_ARGUMENT')).toBe(true);
    expect(isLockstepError(error) && error.field).toBe('run.state');
  });

  it('names the step whose state is unknown', () => {
    const wire = runToWire(run);
    const steps = wire.steps.map((step, i) => (i === 1 ? { ...step, state: 42 as pb.StepState } : step));
    expect(() => runFromWire({ ...wire, steps })).toThrow(/run\.steps\[1\]\.state/);
  });

  it('carries an event', () => {
    const event: RunEvent = { seq: 7, runId: 'r-1', atMs: 1_700_000_000_500, type: 'step.failed', stepId: 'upgrade', node: 'server2', message: 'exit 1', runState: 'blocked' };
    expect(runEventFromWire(pb.RunEvent.decode(pb.RunEvent.encode(runEventToWire(event)).finish()))).toEqual(event);
  });

  it('reads a dry run as a plan without a run id', () => {
    expect(submittedRunFromWire({ runId: '', planHash: 'h', steps: [], warnings: ['read this'], windowForecast: undefined, factsJson: '' })).toEqual({ planHash: 'h', steps: [], warnings: ['read this'] });
  });

  it("carries a windowed plan's forecast through the encoding", () => {
    const windowForecast = { timezone: 'Asia/Tokyo', segments: [{ number: 1, label: 'server1', medianMs: 360_000, p90Ms: 432_000, source: 'p90 of 3 earlier runs' }], windowStartsMs: [1_796_400_000_000] };
    const wire = pb.SubmitRunResponse.decode(pb.SubmitRunResponse.encode({ runId: 'r-1', planHash: 'h', steps: [], warnings: [], windowForecast: windowForecastToWire(windowForecast), factsJson: '' }).finish());
    expect(submittedRunFromWire(wire)).toEqual({ runId: 'r-1', planHash: 'h', steps: [], warnings: [], windowForecast });
  });

  it("carries a dry run's facts file through the encoding", () => {
    const wire = pb.SubmitRunResponse.decode(pb.SubmitRunResponse.encode({ runId: '', planHash: 'h', steps: [], warnings: [], windowForecast: undefined, factsJson: '{"format":"lockstep-facts"}' }).finish());
    expect(submittedRunFromWire(wire)).toEqual({ planHash: 'h', steps: [], warnings: [], factsJson: '{"format":"lockstep-facts"}' });
    const request = pb.SubmitRunRequest.decode(pb.SubmitRunRequest.encode(pb.SubmitRunRequest.fromPartial({ dryRun: true, includeFacts: true })).finish());
    expect(request.includeFacts).toBe(true);
  });
});

describe('a plan as the API lists it', () => {
  const task = (stepId: string, description: string) => ({ stepId, kind: 'service.disable' as const, params: { timeoutMs: 1000 }, description });
  const plan: Plan = {
    cluster: 'prod-db',
    procedure: 'custom',
    nodes: [
      { name: 'server1', address: '10.0.0.1:7451' },
      { name: 'server2', address: '10.0.0.2:7451' },
    ],
    lead: 'server1',
    warnings: [],
    stages: [
      { type: 'tasks', id: 'first', lanes: { server1: [task('stop', 'stop services'), task('disable', 'disable services')], server2: [task('stop', 'stop services')] } },
      { type: 'barrier', id: 'all-stopped', confirm: true, message: 'every server stopped' },
      { type: 'gate', id: 'kernel', message: 'kernel updated?' },
      { type: 'notice', id: 'java', message: 'clear the Java cache' },
      { type: 'safe-point', id: 'sp' },
      { type: 'tasks', id: 'rolling:server2', lanes: { server2: [task('upgrade', 'rpm -U')] } },
    ],
  };

  it('has one line per step of a stage with its nodes, and one per coordinator stage', () => {
    expect(plannedSteps(plan)).toEqual([
      { id: 'stop', kind: 'service.disable', nodes: ['server1', 'server2'], description: 'stop services', stage: 'first' },
      { id: 'disable', kind: 'service.disable', nodes: ['server1'], description: 'disable services', stage: 'first' },
      { id: 'all-stopped', kind: 'barrier', nodes: [], description: 'every server stopped (an operator confirms)', stage: 'all-stopped' },
      { id: 'kernel', kind: 'gate', nodes: [], description: 'kernel updated?', stage: 'kernel' },
      { id: 'java', kind: 'notice', nodes: [], description: 'clear the Java cache', stage: 'java' },
      { id: 'sp', kind: 'safe-point', nodes: [], description: 'lockstep pause takes effect here', stage: 'sp' },
      { id: 'upgrade', kind: 'service.disable', nodes: ['server2'], description: 'rpm -U', stage: 'rolling:server2' },
    ]);
  });
});
