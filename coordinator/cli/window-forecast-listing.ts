// What `lockstep plan` adds for a windowed runbook (SPEC §4.4): each segment's predicted
// duration and where the prediction comes from, the total, and how many windows the run is
// predicted to take.
import type { WindowForecast } from '../../shared/domain/run.js';
import { formatDuration } from '../../shared/duration.js';
import { describeInstant } from '../schedule/window-time-text.js';
import { renderTable } from './text-table.js';

export function renderWindowForecast(forecast: WindowForecast, nowMs = Date.now()): string {
  const rows = forecast.segments.map((segment) => [`${segment.number}`, segment.label, `~${formatDuration(segment.medianMs)}`, formatDuration(segment.p90Ms), segment.source]);
  const median = forecast.segments.reduce((total, segment) => total + segment.medianMs, 0);
  const p90 = forecast.segments.reduce((total, segment) => total + segment.p90Ms, 0);
  const table = renderTable(['SEGMENT', 'WHO', 'PREDICTED', 'P90', 'FROM'], [...rows, ['total', '', `~${formatDuration(median)}`, formatDuration(p90), '']]);
  const starts = forecast.windowStartsMs.map((start) => (start <= nowMs ? 'now (inside a window)' : describeInstant(start, forecast.timezone)));
  const windows =
    starts.length === 0
      ? 'fits in no window within a century'
      : starts.length === 1
        ? `fits in 1 window: ${starts[0]}`
        : `needs ${starts.length} windows: ${starts.join(', ')}`;
  return `\nmaintenance windows — one segment between two safe points, each started only if its p90 fits the time left:\n${table}${windows}\n`;
}
