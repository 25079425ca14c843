// SubmitRun's answer about windows (SPEC §4.4): each segment's predicted duration and source,
// and the windows the run is predicted to take. Refuses a segment no window can hold.
import type { WindowForecast } from '../../shared/domain/run.js';
import { forecastWindows, refuseSegmentsLongerThanWindows } from '../schedule/window-forecast.js';
import type { RunWindow } from './run-window.js';

export function windowForecast(window: RunWindow | undefined, nowMs: number): WindowForecast | undefined {
  if (window === undefined) return undefined;
  const segments = window.segments.map((segment) => ({ segment, prediction: window.predict(segment) }));
  refuseSegmentsLongerThanWindows(window.schedule, segments);
  return {
    timezone: window.schedule.timezone,
    segments: segments.map(({ segment, prediction }) => ({ number: segment.number, label: segment.label, ...prediction })),
    windowStartsMs: forecastWindows(window.schedule, nowMs, segments),
  };
}
