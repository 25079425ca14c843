// A windowed run's window as `status`, `watch`, `runs` and `apply` say it (SPEC §4.4): when
// the next window opens and in how long, or how long the current one has left, in the
// window's own zone.
import type { RunView } from '../../shared/domain/run.js';
import { describeInstant, roughDuration } from '../schedule/window-time-text.js';

/** One line, or undefined for a run without windows (or a final one). */
export function windowSummary(run: RunView, nowMs: number): string | undefined {
  const zone = run.windowTimezone ?? 'UTC';
  const opens = run.nextWindowAtMs === undefined ? undefined : `${describeInstant(run.nextWindowAtMs, zone)} (in ${roughDuration(run.nextWindowAtMs - nowMs)})`;
  if (run.state === 'scheduled' || run.state === 'waiting-window') return opens === undefined ? 'waiting for a window, but none opens within a century' : `waiting for the window that opens ${opens}`;
  if (run.windowClosesAtMs !== undefined) return `in a window until ${describeInstant(run.windowClosesAtMs, zone)} (${roughDuration(run.windowClosesAtMs - nowMs)} left)`;
  return opens === undefined ? undefined : `outside its windows; the next opens ${opens}`;
}

/** The `runs` table's WINDOW cell: short. */
export function windowCell(run: RunView, nowMs: number): string {
  if (run.state === 'scheduled' || run.state === 'waiting-window' || run.windowClosesAtMs === undefined) {
    return run.nextWindowAtMs === undefined ? '' : `opens in ${roughDuration(run.nextWindowAtMs - nowMs)}`;
  }
  return `${roughDuration(run.windowClosesAtMs - nowMs)} left`;
}
