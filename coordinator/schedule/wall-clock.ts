// Wall-clock time in an IANA time zone, from Intl alone: what a cron expression means is the
// clock on the wall of the zone it names, and the instant of a wall time is found here. A wall
// time that does not exist (the hour skipped when DST starts) maps to the instant after the jump
// that many minutes past it (02:30 → 03:30); one that happens twice (DST ends) to its first
// occurrence — Temporal's "compatible" disambiguation, which is also when cron runs such jobs.

export interface WallTime {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let cached = formatters.get(timeZone);
  if (cached === undefined) {
    cached = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, cached);
  }
  return cached;
}

/** True for a time zone Intl knows by that IANA name (e.g. Asia/Tokyo, UTC). */
export function isTimeZone(name: string): boolean {
  if (name === '' || name.length > 64) return false;
  try {
    formatter(name);
    return true;
  } catch {
    return false;
  }
}

/** The wall time in `timeZone` at `instantMs` (to the second). */
export function wallTimeAt(instantMs: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatter(timeZone).formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year as number,
    month: parts.month as number,
    day: parts.day as number,
    hour: parts.hour as number,
    minute: parts.minute as number,
    second: parts.second as number,
  };
}

/** The wall time read as if it were UTC: ordering and arithmetic on wall times. */
export function wallAsUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second);
}

/** How far `timeZone`'s clock is ahead of UTC at `instantMs`. */
function offsetAt(instantMs: number, timeZone: string): number {
  const whole = Math.floor(instantMs / 1000) * 1000;
  return wallAsUtc(wallTimeAt(whole, timeZone)) - whole;
}

/**
 * The zone's offset all through a local day and the day either side of it, or undefined when
 * it changes then: on such days a wall time's instant is plain arithmetic.
 */
export function steadyOffset(day: Pick<WallTime, 'year' | 'month' | 'day'>, timeZone: string): number | undefined {
  const midnight = Date.UTC(day.year, day.month - 1, day.day);
  const before = offsetAt(midnight - 2 * 86_400_000, timeZone);
  return before === offsetAt(midnight + 3 * 86_400_000, timeZone) ? before : undefined;
}

/** The instant the wall clock of `timeZone` shows `wall` (compatible disambiguation, above). */
export function instantOf(wall: WallTime, timeZone: string): number {
  const asUtc = wallAsUtc(wall);
  // Offsets a day either side bracket any one transition (no zone changes twice in two days).
  const before = offsetAt(asUtc - 86_400_000, timeZone);
  const after = offsetAt(asUtc + 86_400_000, timeZone);
  if (before === after) return asUtc - before;
  const candidates = [asUtc - before, asUtc - after].filter((instant) => wallAsUtc(wallTimeAt(instant, timeZone)) === asUtc);
  if (candidates.length > 0) return Math.min(...candidates);
  // Skipped by the jump forward: read with the offset before it, i.e. that far after the jump.
  return asUtc - before;
}
