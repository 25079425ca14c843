// When a maintenance window's cron expression opens it (SPEC §4.4), computed from the
// expression rather than from a timer having fired, so a coordinator restarted, or whose clock
// jumped, knows at once whether it is inside a window and when the next one opens. node-cron
// parses the expression (5 fields, or 6 with seconds first) and decides which days match
// (its L, W and # forms included); the times of day and the time zone are walked here.
import cron from 'node-cron';
import { instantOf, steadyOffset, wallTimeAt, type WallTime } from './wall-clock.js';

const DAY_MS = 86_400_000;
/** How far ahead an opening is looked for: node-cron's own bound. */
const SEARCH_DAYS = 366 * 100;

type Day = Pick<WallTime, 'year' | 'month' | 'day'>;

export class CronOpenings {
  private readonly seconds: number[];
  private readonly minutes: number[];
  private readonly hours: number[];
  private readonly dayMatcher: { match(date: Date): boolean };

  constructor(
    readonly expression: string,
    readonly timeZone: string,
  ) {
    const fields = cron.parse(expression);
    this.seconds = ascending(fields.second);
    this.minutes = ascending(fields.minute);
    this.hours = ascending(fields.hour);
    // The library's matcher, asked about a day at its first matching time of day (in UTC, so
    // the wall time is the date itself): true exactly when the day's fields match.
    const matcher = cron.createTask(expression, () => undefined, { timezone: 'UTC' });
    void matcher.destroy();
    this.dayMatcher = matcher;
  }

  /** The first opening at or after `fromMs`, or undefined when none comes within a century. */
  nextOpening(fromMs: number): number | undefined {
    // A day earlier: an opening skipped by DST lands after the jump, possibly on the next day.
    let day = dayOf(fromMs - DAY_MS, this.timeZone);
    for (let index = 0; index < SEARCH_DAYS; index++, day = nextDay(day, 1)) {
      if (!this.matchesDay(day)) continue;
      const found = this.firstOnDay(day, fromMs);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** The last opening at or before `atMs` and no earlier than `notBeforeMs`. */
  previousOpening(atMs: number, notBeforeMs: number): number | undefined {
    // From a day later (a wall time on it may map back to before the jump) to a day earlier.
    const days = Math.ceil((atMs - notBeforeMs) / DAY_MS) + 3;
    let day = dayOf(atMs + DAY_MS, this.timeZone);
    for (let index = 0; index < days; index++, day = nextDay(day, -1)) {
      if (!this.matchesDay(day)) continue;
      const found = this.lastOnDay(day, atMs);
      if (found !== undefined) return found >= notBeforeMs ? found : undefined;
    }
    return undefined;
  }

  private matchesDay(day: Day): boolean {
    return this.dayMatcher.match(new Date(Date.UTC(day.year, day.month - 1, day.day, this.hours[0], this.minutes[0], this.seconds[0])));
  }

  /** Instants of wall times on `day`: arithmetic when the zone's offset holds all day, Intl near a DST change. */
  private clockOn(day: Day): (hour: number, minute: number, second: number) => number {
    const offset = steadyOffset(day, this.timeZone);
    if (offset !== undefined) return (hour, minute, second) => Date.UTC(day.year, day.month - 1, day.day, hour, minute, second) - offset;
    return (hour, minute, second) => instantOf({ ...day, hour, minute, second }, this.timeZone);
  }

  /** Instants grow with the wall time (compatible disambiguation), so whole hours and minutes are skipped by their last second. */
  private firstOnDay(day: Day, fromMs: number): number | undefined {
    const at = this.clockOn(day);
    const lastMinute = this.minutes.at(-1) as number;
    const lastSecond = this.seconds.at(-1) as number;
    if (at(this.hours.at(-1) as number, lastMinute, lastSecond) < fromMs) return undefined;
    for (const hour of this.hours) {
      if (at(hour, lastMinute, lastSecond) < fromMs) continue;
      for (const minute of this.minutes) {
        if (at(hour, minute, lastSecond) < fromMs) continue;
        for (const second of this.seconds) {
          const instant = at(hour, minute, second);
          if (instant >= fromMs) return instant;
        }
      }
    }
    return undefined;
  }

  private lastOnDay(day: Day, atMs: number): number | undefined {
    const at = this.clockOn(day);
    const firstMinute = this.minutes[0] as number;
    const firstSecond = this.seconds[0] as number;
    if (at(this.hours[0] as number, firstMinute, firstSecond) > atMs) return undefined;
    for (const hour of [...this.hours].reverse()) {
      if (at(hour, firstMinute, firstSecond) > atMs) continue;
      for (const minute of [...this.minutes].reverse()) {
        if (at(hour, minute, firstSecond) > atMs) continue;
        for (const second of [...this.seconds].reverse()) {
          const instant = at(hour, minute, second);
          if (instant <= atMs) return instant;
        }
      }
    }
    return undefined;
  }
}

function ascending(values: ReadonlyArray<number | string>): number[] {
  return values.map(Number).sort((a, b) => a - b);
}

function dayOf(instantMs: number, timeZone: string): Day {
  const { year, month, day } = wallTimeAt(instantMs, timeZone);
  return { year, month, day };
}

function nextDay(day: Day, by: 1 | -1): Day {
  const date = new Date(Date.UTC(day.year, day.month - 1, day.day + by));
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}
