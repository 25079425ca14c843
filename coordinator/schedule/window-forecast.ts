// What `lockstep plan` says about windows (SPEC §4.4): every segment's predicted duration and
// how many windows the run is predicted to take — the fit rule played forward from now with
// each segment taking its p90 — and which segment no window can hold.
import { invalidArgument } from '../../shared/errors.js';
import { formatDuration } from '../../shared/duration.js';
import type { Segment, SegmentPrediction } from './plan-segments.js';
import { neededMs } from './window-fit.js';
import type { WindowSchedule } from './window-schedule.js';

export interface ForecastSegment {
  segment: Segment;
  prediction: SegmentPrediction;
}

/** The windows the run is predicted to use: when it starts in each (now, or an opening). */
export function forecastWindows(schedule: WindowSchedule, nowMs: number, segments: readonly ForecastSegment[]): number[] {
  const starts: number[] = [];
  let lastClose: number | undefined;
  let at = nowMs;
  for (const { prediction } of segments) {
    // Bounded: a segment that fits some window finds one within a few hundred openings.
    for (let tries = 0; tries < 1000; tries++) {
      const closesAt = schedule.closesAt(at);
      if (closesAt !== undefined && at + neededMs(prediction) <= closesAt) {
        if (closesAt !== lastClose) starts.push(at);
        lastClose = closesAt;
        at += prediction.p90Ms;
        break;
      }
      const next = schedule.nextOpening(closesAt ?? at + 1);
      if (next === undefined) return starts;
      at = next;
    }
  }
  return starts;
}

/** Refuses a plan with a segment no window is long enough for, naming the segment and the window. */
export function refuseSegmentsLongerThanWindows(schedule: WindowSchedule, segments: readonly ForecastSegment[]): void {
  for (const { segment, prediction } of segments) {
    if (neededMs(prediction) <= schedule.longestMs) continue;
    const windows = schedule.windows.map((window) => `"${window.cron}" ${window.timezone} for ${formatDuration(window.durationMs)}`).join(', ');
    throw invalidArgument(
      'window',
      `segment ${segment.number} (${segment.label}) needs ~${formatDuration(prediction.p90Ms)} (${prediction.source}) plus a margin, longer than any window (${windows}): lengthen the window, add safe points, or correct expect`,
    );
  }
}
