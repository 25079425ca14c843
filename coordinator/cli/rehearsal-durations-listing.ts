// What `lockstep rehearse` prints of the durations it saves (issue 17): per step kind, what the
// twin measured and whether it predicts the real run's segments (lab time) or not (simulated);
// per segment, how long it took on the twin.
import { formatDuration } from '../../shared/duration.js';
import type { RehearsalDurations } from '../schedule/rehearsal-durations.js';
import { renderTable } from './text-table.js';

export function renderRehearsalDurations(durations: RehearsalDurations, file: string): string {
  const kinds = Object.entries(durations.kinds).map(([kind, entry]) => [
    kind,
    `${entry.count}`,
    formatDuration(entry.medianMs),
    formatDuration(entry.p90Ms),
    entry.timing === 'lab' ? 'lab time (the twin runs rpm): predicts' : "simulated (the lab's model): not used",
  ]);
  const segments = durations.segments.map((segment) => [`${segment.number}`, segment.label, formatDuration(segment.ms)]);
  return [
    `\ndurations on the twin, saved to ${file} (a runbook's "rehearsal: FILE" feeds its window fit with the lab-time kinds):`,
    renderTable(['KIND', 'STEPS', 'MEDIAN', 'P90', 'TIME'], kinds),
    renderTable(['SEGMENT', 'WHO', 'ON THE TWIN'], segments),
  ].join('\n');
}
