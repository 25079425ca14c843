// A run's maintenance windows (SPEC §4.4): one or more `{cron, duration, timezone}`. Whether
// the run is inside one, when it closes and when the next one opens are read from the cron
// expressions at the instant asked about — never from a timer having fired — so a restart or
// a clock jump changes nothing but the answer's instant.
import { CronOpenings } from './cron-openings.js';

export interface MaintenanceWindow {
  cron: string;
  durationMs: number;
  /** IANA name, e.g. Asia/Tokyo. */
  timezone: string;
}

export interface WindowState {
  /** When the window the instant is in closes; undefined outside every window. */
  closesAtMs: number | undefined;
  /** The next opening after the instant (after the current window closes, inside one); undefined if none comes within a century. */
  nextOpeningAtMs: number | undefined;
  /** The zone a person reads these instants in: the first window's. */
  timezone: string;
}

/** Overlapping windows merge; this many hops bound the merge (fewer hops: less time left, never more). */
const MAX_MERGED = 64;

export class WindowSchedule {
  private readonly openings: Array<{ window: MaintenanceWindow; cron: CronOpenings }>;

  constructor(readonly windows: readonly MaintenanceWindow[]) {
    this.openings = windows.map((window) => ({ window, cron: new CronOpenings(window.cron, window.timezone) }));
  }

  get timezone(): string {
    return this.windows[0]?.timezone ?? 'UTC';
  }

  /** The longest any one window lasts: what a segment must fit in. */
  get longestMs(): number {
    return Math.max(0, ...this.windows.map((window) => window.durationMs));
  }

  at(nowMs: number): WindowState {
    const closesAtMs = this.closesAt(nowMs);
    return { closesAtMs, nextOpeningAtMs: this.nextOpening(closesAtMs ?? nowMs), timezone: this.timezone };
  }

  /** The first opening at or after `fromMs`. */
  nextOpening(fromMs: number): number | undefined {
    const next = this.openings.map(({ cron }) => cron.nextOpening(fromMs)).filter((instant): instant is number => instant !== undefined);
    return next.length === 0 ? undefined : Math.min(...next);
  }

  /** When the window `nowMs` is in closes (windows that overlap or touch count as one). */
  closesAt(nowMs: number): number | undefined {
    let end: number | undefined;
    for (let hop = 0; hop < MAX_MERGED; hop++) {
      const from = end ?? nowMs;
      let extended = end;
      for (const { window, cron } of this.openings) {
        // The latest opening at or before `from` whose window is still open at `from` (or, merging, that opens before `end`).
        const opening = cron.previousOpening(from, end === undefined ? nowMs - window.durationMs + 1 : nowMs + 1);
        if (opening !== undefined && opening + window.durationMs > (extended ?? nowMs)) extended = opening + window.durationMs;
      }
      if (extended === end) return end;
      end = extended;
    }
    return end;
  }
}
