// A windowed run's schedule and segment predictions (SPEC §4.4), read from the runbook the run
// was created from — the journal keeps it — so a restarted coordinator knows the same windows.
import type { Plan } from '../plan/plan.js';
import type { Runbook } from '../runbook/runbook-schema.js';
import { planSegments, predictSegment, type Segment, type SegmentPrediction } from '../schedule/plan-segments.js';
import { predictStep, type KindHistory, type RehearsedKind } from '../schedule/step-predictions.js';
import { WindowSchedule } from '../schedule/window-schedule.js';

export interface RunWindow {
  schedule: WindowSchedule;
  segments: Segment[];
  predict(segment: Segment): SegmentPrediction;
}

/** Undefined for a runbook without `window:`: such a run goes at once, as always. `rehearsed`: the runbook's rehearsal (rehearsal-file.ts). */
export function runWindowOf(runbook: Runbook, plan: Plan, history: ReadonlyMap<string, KindHistory>, rehearsed: ReadonlyMap<string, RehearsedKind> = new Map()): RunWindow | undefined {
  if (runbook.window === undefined) return undefined;
  const expected = runbook.expect ?? {};
  return {
    schedule: new WindowSchedule(runbook.window),
    segments: planSegments(plan),
    predict: (segment) => predictSegment(plan, segment, (kind) => predictStep(kind, expected, history, rehearsed)),
  };
}
