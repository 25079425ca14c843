// The window-fit rule (SPEC §4.4): a segment starts only if its predicted p90, plus a margin,
// ends before the window closes; otherwise the run waits at this safe point for the next
// opening. A segment longer than any window could never start: plan/apply refuse it, and one
// whose history has since grown past the window starts at an opening rather than never.
import { formatDuration } from '../../shared/duration.js';
import type { SegmentPrediction } from './plan-segments.js';
import type { WindowSchedule } from './window-schedule.js';
import { describeInstant, roughDuration } from './window-time-text.js';

/** A tenth of the prediction, at most a minute: room for the step that runs a little long. */
export function marginMs(p90Ms: number): number {
  return Math.min(60_000, Math.ceil(p90Ms / 10));
}

/** What a segment needs of a window: its p90 and the margin. */
export function neededMs(prediction: SegmentPrediction): number {
  return prediction.p90Ms + marginMs(prediction.p90Ms);
}

export type FitDecision =
  | { fits: true; closesAtMs: number; message: string }
  | { fits: false; nextOpeningAtMs: number | undefined; message: string };

export function decideFit(schedule: WindowSchedule, nowMs: number, label: string, prediction: SegmentPrediction): FitDecision {
  const { closesAtMs, nextOpeningAtMs } = schedule.at(nowMs);
  const needs = `~${formatDuration(prediction.p90Ms)} (${prediction.source})`;
  const zone = schedule.timezone;
  const resumes = nextOpeningAtMs === undefined ? 'no window opens within a century' : `resumes at ${describeInstant(nextOpeningAtMs, zone)}`;
  if (closesAtMs === undefined) {
    const when = nextOpeningAtMs === undefined ? 'no window opens within a century' : `the window opens ${describeInstant(nextOpeningAtMs, zone)} (in ${roughDuration(nextOpeningAtMs - nowMs)})`;
    return { fits: false, nextOpeningAtMs, message: `${label} waits for a maintenance window: ${when}; it needs ${needs}` };
  }
  const left = closesAtMs - nowMs;
  const tooLongForAny = neededMs(prediction) > schedule.longestMs;
  if (nowMs + neededMs(prediction) <= closesAtMs || tooLongForAny) {
    const warning = tooLongForAny ? `; longer than any window (earlier runs took longer than when it was planned): started in a window all the same, or it would never start` : '';
    return { fits: true, closesAtMs, message: `${label} needs ${needs}, ${formatDuration(left)} left in the window (closes ${describeInstant(closesAtMs, zone)})${warning}` };
  }
  return { fits: false, nextOpeningAtMs, message: `${label} would need ${needs}, ${formatDuration(left)} left; ${resumes}` };
}
