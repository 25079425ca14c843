// The dashboard's timeline (SPEC §10), as geometry: one lane per node, a bar per step from its
// dispatch to its result, a vertical line where each barrier passed, and a band across the lanes
// where the run waited (gate, window, blocked, paused). Pure: the run's steps and events in,
// coordinates out. The run page draws it as SVG in the browser; the unit tests check it here.
import type { RunEvent, RunState, StepState, StepView } from '../../../shared/domain/run.js';

export interface TimelineInput {
  steps: readonly StepView[];
  /** The run's events in seq order (the page holds every one since run.created). */
  events: readonly RunEvent[];
  /** The instant a step still running, or a wait not over, is drawn up to. */
  nowMs: number;
  /** The drawing's width in SVG units; default 960. */
  width?: number;
}

export interface TimelineLane {
  node: string;
  y: number;
}

export interface TimelineBar {
  node: string;
  stepId: string;
  kind: string;
  state: StepState;
  x: number;
  y: number;
  width: number;
  startMs: number;
  endMs: number;
}

export interface TimelineBarrier {
  /** The barrier's step id (or, for the barrier implied after a stage, the stage's id). */
  stepId: string;
  x: number;
  atMs: number;
}

export type WaitReason = 'gate' | 'window' | 'blocked' | 'paused';

export interface TimelineWait {
  reason: WaitReason;
  x: number;
  width: number;
  startMs: number;
  endMs: number;
}

export interface TimelineTick {
  x: number;
  /** Time since the run started: "0s", "+30s", "+2m", "+1h30m". */
  label: string;
}

export interface TimelineLayout {
  width: number;
  height: number;
  /** Where the lanes (and the bars) start: the node names sit left of it. */
  plotLeft: number;
  plotTop: number;
  plotBottom: number;
  startMs: number;
  endMs: number;
  lanes: TimelineLane[];
  bars: TimelineBar[];
  barriers: TimelineBarrier[];
  waits: TimelineWait[];
  ticks: TimelineTick[];
}

export const LANE_HEIGHT = 22;
export const BAR_HEIGHT = 14;
const LABEL_WIDTH = 120;
const AXIS_HEIGHT = 20;
const RIGHT_PAD = 12;
const DEFAULT_WIDTH = 960;
const MAX_TICKS = 8;
const TICK_STEPS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map((s) => s * 1000);

const WAIT_REASONS: Partial<Record<RunState, WaitReason>> = {
  'awaiting-approval': 'gate',
  'waiting-window': 'window',
  scheduled: 'window',
  blocked: 'blocked',
  paused: 'paused',
};

export function layoutTimeline(input: TimelineInput): TimelineLayout {
  const width = input.width ?? DEFAULT_WIDTH;
  const nodes = [...new Set(input.steps.map((step) => step.node).filter((node) => node !== ''))];
  const lanes = nodes.map((node, index) => ({ node, y: AXIS_HEIGHT + index * LANE_HEIGHT }));
  const laneY = new Map(lanes.map((lane) => [lane.node, lane.y]));
  const spans = input.steps.filter((step) => step.node !== '' && step.startedAtMs > 0).map((step) => ({ step, startMs: step.startedAtMs, endMs: stepEnd(step, input.nowMs) }));
  const waitSpans = waitsOf(input.events, input.nowMs);
  const instants = [...input.events.map((event) => event.atMs), ...spans.flatMap((span) => [span.startMs, span.endMs]), ...waitSpans.map((wait) => wait.endMs)];
  const startMs = instants.length === 0 ? input.nowMs : Math.min(...instants);
  const endMs = Math.max(startMs + 1000, ...instants);
  const plotWidth = width - LABEL_WIDTH - RIGHT_PAD;
  const x = (ms: number): number => LABEL_WIDTH + ((ms - startMs) / (endMs - startMs)) * plotWidth;
  const plotBottom = AXIS_HEIGHT + lanes.length * LANE_HEIGHT;
  return {
    width,
    height: plotBottom + 4,
    plotLeft: LABEL_WIDTH,
    plotTop: AXIS_HEIGHT,
    plotBottom,
    startMs,
    endMs,
    lanes,
    bars: spans.map(({ step, startMs: from, endMs: to }) => ({
      node: step.node,
      stepId: step.id,
      kind: step.kind,
      state: step.state,
      x: x(from),
      y: (laneY.get(step.node) ?? 0) + (LANE_HEIGHT - BAR_HEIGHT) / 2,
      // A step quicker than the drawing's resolution still shows.
      width: Math.max(x(to) - x(from), 1),
      startMs: from,
      endMs: to,
    })),
    barriers: input.events.filter((event) => event.type === 'barrier.passed').map((event) => ({ stepId: event.stepId, x: x(event.atMs), atMs: event.atMs })),
    waits: waitSpans.map((wait) => ({ ...wait, x: x(wait.startMs), width: Math.max(x(wait.endMs) - x(wait.startMs), 1) })),
    ticks: ticksOf(startMs, endMs).map((ms) => ({ x: x(ms), label: ms === startMs ? '0s' : `+${durationText(ms - startMs)}` })),
  };
}

/** A step still running is drawn up to now; one that never reported an end, as an instant. */
function stepEnd(step: StepView, nowMs: number): number {
  if (step.finishedAtMs >= step.startedAtMs) return step.finishedAtMs;
  return step.state === 'dispatched' ? Math.max(nowMs, step.startedAtMs) : step.startedAtMs;
}

/** Every stretch in which the run's state was a waiting one, from the event that entered it to the one that left it. */
function waitsOf(events: readonly RunEvent[], nowMs: number): Array<{ reason: WaitReason; startMs: number; endMs: number }> {
  const waits: Array<{ reason: WaitReason; startMs: number; endMs: number }> = [];
  let open: { reason: WaitReason; startMs: number } | undefined;
  for (const event of events) {
    const reason = WAIT_REASONS[event.runState];
    if (open !== undefined && reason !== open.reason) {
      waits.push({ ...open, endMs: event.atMs });
      open = undefined;
    }
    if (reason !== undefined && open === undefined) open = { reason, startMs: event.atMs };
  }
  if (open !== undefined) waits.push({ ...open, endMs: Math.max(nowMs, open.startMs) });
  return waits;
}

/** Round instants after the start, at most MAX_TICKS of them, the start itself first. */
function ticksOf(startMs: number, endMs: number): number[] {
  const span = endMs - startMs;
  const step = TICK_STEPS_MS.find((candidate) => span / candidate <= MAX_TICKS) ?? Math.ceil(span / MAX_TICKS);
  const ticks = [startMs];
  for (let at = startMs + step; at <= endMs; at += step) ticks.push(at);
  return ticks;
}

function durationText(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  return minutes % 60 === 0 ? `${Math.floor(minutes / 60)}h` : `${Math.floor(minutes / 60)}h${minutes % 60}m`;
}
