// proto <-> domain for the coordinator service. Used by the coordinator's gRPC adapter and by
// the client the CLI and the tests use; nothing else sees generated types.
import * as pb from '../gen/lockstep/coordinator/v1/coordinator.js';
import type { Blocker, NodeView, PlannedStep, RunEvent, RunState, RunView, StepState, StepView, SubmittedRun, WindowForecast } from '../domain/run.js';
import { OPERATOR_ACTIONS, type OperatorAction, type OperatorActionKind } from '../domain/operator-action.js';
import { LockstepError } from '../errors.js';
import { EnumMap } from './enum-map.js';

export { pb };

export const runStates = new EnumMap<RunState, pb.RunState>('RunState', [
  ['scheduled', pb.RunState.RUN_STATE_SCHEDULED],
  ['waiting-window', pb.RunState.RUN_STATE_WAITING_WINDOW],
  ['running', pb.RunState.RUN_STATE_RUNNING],
  ['awaiting-approval', pb.RunState.RUN_STATE_AWAITING_APPROVAL],
  ['blocked', pb.RunState.RUN_STATE_BLOCKED],
  ['paused', pb.RunState.RUN_STATE_PAUSED],
  ['succeeded', pb.RunState.RUN_STATE_SUCCEEDED],
  ['failed', pb.RunState.RUN_STATE_FAILED],
  ['cancelled', pb.RunState.RUN_STATE_CANCELLED],
]);

export const stepStates = new EnumMap<StepState, pb.StepState>('StepState', [
  ['pending', pb.StepState.STEP_STATE_PENDING],
  ['dispatched', pb.StepState.STEP_STATE_DISPATCHED],
  ['succeeded', pb.StepState.STEP_STATE_SUCCEEDED],
  ['failed', pb.StepState.STEP_STATE_FAILED],
  ['skipped', pb.StepState.STEP_STATE_SKIPPED],
  ['waiting', pb.StepState.STEP_STATE_WAITING],
]);

export function stepToWire(step: StepView): pb.StepRun {
  return { ...step, state: stepStates.toWire(step.state) };
}

export function stepFromWire(step: pb.StepRun, field = 'step'): StepView {
  return {
    id: step.id,
    kind: step.kind,
    node: step.node,
    state: stepStates.toDomain(`${field}.state`, step.state),
    attempt: step.attempt,
    opId: step.opId,
    message: step.message,
    outputTail: step.outputTail,
    startedAtMs: step.startedAtMs,
    finishedAtMs: step.finishedAtMs,
  };
}

export function blockerToWire(blocker: Blocker): pb.Blocker {
  return { ...blocker, remedies: [...blocker.remedies] };
}

export function blockerFromWire(blocker: pb.Blocker): Blocker {
  return { stepId: blocker.stepId, node: blocker.node, message: blocker.message, outputTail: blocker.outputTail, remedies: [...blocker.remedies] };
}

export function runToWire(run: RunView): pb.Run {
  return {
    id: run.id,
    cluster: run.cluster,
    procedure: run.procedure,
    state: runStates.toWire(run.state),
    planHash: run.planHash,
    steps: run.steps.map(stepToWire),
    blocker: run.blocker && blockerToWire(run.blocker),
    createdAtMs: run.createdAtMs,
    updatedAtMs: run.updatedAtMs,
    // proto3 has no absent int64: 0 means "no window pending".
    nextWindowAtMs: run.nextWindowAtMs ?? 0,
    pendingGates: [...run.pendingGates],
    windowClosesAtMs: run.windowClosesAtMs ?? 0,
    windowTimezone: run.windowTimezone ?? '',
  };
}

export function runFromWire(run: pb.Run | undefined): RunView {
  const value = run ?? pb.Run.create();
  return {
    id: value.id,
    cluster: value.cluster,
    procedure: value.procedure,
    state: runStates.toDomain('run.state', value.state),
    planHash: value.planHash,
    steps: value.steps.map((step, index) => stepFromWire(step, `run.steps[${index}]`)),
    ...(value.blocker && { blocker: blockerFromWire(value.blocker) }),
    createdAtMs: value.createdAtMs,
    updatedAtMs: value.updatedAtMs,
    ...(value.nextWindowAtMs !== 0 && { nextWindowAtMs: value.nextWindowAtMs }),
    pendingGates: [...value.pendingGates],
    ...(value.windowClosesAtMs !== 0 && { windowClosesAtMs: value.windowClosesAtMs }),
    ...(value.windowTimezone !== '' && { windowTimezone: value.windowTimezone }),
  };
}

export function runEventToWire(event: RunEvent): pb.RunEvent {
  return { ...event, runState: runStates.toWire(event.runState) };
}

export function runEventFromWire(event: pb.RunEvent | undefined): RunEvent {
  const value = event ?? pb.RunEvent.create();
  return {
    seq: value.seq,
    runId: value.runId,
    atMs: value.atMs,
    type: value.type,
    stepId: value.stepId,
    node: value.node,
    message: value.message,
    runState: runStates.toDomain('event.run_state', value.runState),
  };
}

export function operatorActionToWire(action: OperatorAction): pb.OperatorAction {
  return { ...action };
}

export function operatorActionFromWire(action: pb.OperatorAction): OperatorAction {
  return {
    seq: action.seq,
    atMs: action.atMs,
    runId: action.runId,
    action: operatorActions.toDomain('action.action', action.action),
    operator: action.operator,
    authenticated: action.authenticated,
    transport: action.transport,
    address: action.address,
    comment: action.comment,
    detail: action.detail,
  };
}

const operatorActions = {
  toDomain(field: string, value: string): OperatorActionKind {
    const known = OPERATOR_ACTIONS.find((candidate) => candidate === value);
    if (known === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `${field}: the coordinator sent an unknown operator action "${value}" (expected ${OPERATOR_ACTIONS.join(', ')})`);
    return known;
  },
};

export function plannedStepToWire(step: PlannedStep): pb.PlannedStep {
  return { ...step, nodes: [...step.nodes] };
}

export function plannedStepFromWire(step: pb.PlannedStep): PlannedStep {
  return { id: step.id, kind: step.kind, nodes: [...step.nodes], description: step.description, stage: step.stage };
}

export function submittedRunFromWire(response: pb.SubmitRunResponse): SubmittedRun {
  return {
    ...(response.runId !== '' && { runId: response.runId }),
    planHash: response.planHash,
    steps: response.steps.map(plannedStepFromWire),
    warnings: [...response.warnings],
    ...(response.windowForecast && { windowForecast: windowForecastFromWire(response.windowForecast) }),
    ...(response.factsJson !== '' && { factsJson: response.factsJson }),
  };
}

export function windowForecastToWire(forecast: WindowForecast): pb.WindowForecast {
  return { timezone: forecast.timezone, segments: forecast.segments.map((segment) => ({ ...segment })), windowStartsMs: [...forecast.windowStartsMs] };
}

export function windowForecastFromWire(forecast: pb.WindowForecast): WindowForecast {
  return {
    timezone: forecast.timezone,
    segments: forecast.segments.map((segment) => ({ number: segment.number, label: segment.label, medianMs: segment.medianMs, p90Ms: segment.p90Ms, source: segment.source })),
    windowStartsMs: [...forecast.windowStartsMs],
  };
}

export function nodeViewToWire(node: NodeView): pb.NodeView {
  return { ...node };
}

export function nodeViewFromWire(node: pb.NodeView): NodeView {
  return {
    name: node.name,
    address: node.address,
    reachable: node.reachable,
    hostname: node.hostname,
    platform: node.platform,
    bootId: node.bootId,
    agentVersion: node.agentVersion,
    error: node.error,
  };
}
