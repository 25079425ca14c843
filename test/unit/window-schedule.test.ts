// Maintenance windows read from their cron expressions at an injected instant (SPEC §4.4):
// next opening and time left across DST changes, in a zone without DST, for 5- and 6-field
// expressions, at month ends and on leap days — checked against node-cron's own walker.
import cron from 'node-cron';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CronOpenings } from '../../coordinator/schedule/cron-openings.js';
import { WindowSchedule } from '../../coordinator/schedule/window-schedule.js';
import { describeInstant, roughDuration } from '../../coordinator/schedule/window-time-text.js';

const HOUR = 3_600_000;
const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());
const utc = (text: string): number => Date.parse(text);

function schedule(cronText: string, durationMs: number, timezone: string): WindowSchedule {
  return new WindowSchedule([{ cron: cronText, durationMs, timezone }]);
}

describe('a Saturday window in Asia/Tokyo (no DST)', () => {
  const saturdays = schedule('0 1 * * 6', 4 * HOUR, 'Asia/Tokyo');

  it('outside: no window, the next one opens Saturday 01:00 JST', () => {
    const state = saturdays.at(utc('2026-12-01T12:00:00Z'));
    expect(state.closesAtMs).toBeUndefined();
    expect(iso(state.nextOpeningAtMs)).toBe('2026-12-04T16:00:00.000Z');
    expect(describeInstant(state.nextOpeningAtMs as number, 'Asia/Tokyo')).toBe('Sat 2026-12-05 01:00 JST');
  });

  it('inside: closes four hours after it opened; the next opening is a week later', () => {
    const state = saturdays.at(utc('2026-12-04T18:30:00Z'));
    expect(iso(state.closesAtMs)).toBe('2026-12-04T20:00:00.000Z');
    expect(iso(state.nextOpeningAtMs)).toBe('2026-12-11T16:00:00.000Z');
  });

  it('opens at its first instant and is closed at its last', () => {
    expect(saturdays.closesAt(utc('2026-12-04T16:00:00Z'))).toBe(utc('2026-12-04T20:00:00Z'));
    expect(saturdays.closesAt(utc('2026-12-04T15:59:59.999Z'))).toBeUndefined();
    expect(saturdays.closesAt(utc('2026-12-04T20:00:00Z'))).toBeUndefined();
    expect(saturdays.nextOpening(utc('2026-12-04T16:00:00Z'))).toBe(utc('2026-12-04T16:00:00Z'));
  });
});

describe('America/New_York across DST', () => {
  it('a 02:30 window on the day 02:00-03:00 is skipped opens at 03:30 EDT, then back to 02:30', () => {
    const daily = new CronOpenings('30 2 * * *', 'America/New_York');
    const first = daily.nextOpening(utc('2026-03-08T00:00:00Z')) as number;
    expect(iso(first)).toBe('2026-03-08T07:30:00.000Z');
    expect(describeInstant(first, 'America/New_York')).toBe('Sun 2026-03-08 03:30 EDT');
    expect(iso(daily.nextOpening(first + 1))).toBe('2026-03-09T06:30:00.000Z');
  });

  it('a 01:30 window on the day 01:00-02:00 happens twice opens once, at the first', () => {
    const daily = new CronOpenings('30 1 * * *', 'America/New_York');
    const first = daily.nextOpening(utc('2026-11-01T00:00:00Z')) as number;
    expect(describeInstant(first, 'America/New_York')).toBe('Sun 2026-11-01 01:30 EDT');
    expect(iso(daily.nextOpening(first + 1))).toBe('2026-11-02T06:30:00.000Z');
  });

  it('a window is elapsed time: 4h from 01:00 EST closes at 06:00 EDT on the spring-forward night', () => {
    const sundays = schedule('0 1 * * 0', 4 * HOUR, 'America/New_York');
    const state = sundays.at(utc('2026-03-08T09:00:00Z'));
    expect(iso(state.closesAtMs)).toBe('2026-03-08T10:00:00.000Z');
    expect(describeInstant(state.closesAtMs as number, 'America/New_York')).toBe('Sun 2026-03-08 06:00 EDT');
    expect(state.closesAtMs as number - utc('2026-03-08T09:00:00Z')).toBe(HOUR);
  });
});

describe('Europe/Berlin across DST', () => {
  it('spring: 02:30 does not exist on 2026-03-29 and opens at 03:30 CEST', () => {
    expect(iso(new CronOpenings('30 2 * * *', 'Europe/Berlin').nextOpening(utc('2026-03-28T12:00:00Z')))).toBe('2026-03-29T01:30:00.000Z');
  });

  it('autumn: 02:30 happens twice on 2026-10-25 and opens at the first (CEST)', () => {
    const opening = new CronOpenings('30 2 * * *', 'Europe/Berlin').nextOpening(utc('2026-10-24T12:00:00Z')) as number;
    expect(iso(opening)).toBe('2026-10-25T00:30:00.000Z');
    expect(describeInstant(opening, 'Europe/Berlin')).toBe('Sun 2026-10-25 02:30 CEST');
  });

  it('time left counts the extra hour of the autumn night', () => {
    const nightly = schedule('0 0 * * *', 4 * HOUR, 'Europe/Berlin');
    // Opened 00:00 CEST (22:00Z); four hours later is 03:00 CET (02:00Z).
    expect(iso(nightly.closesAt(utc('2026-10-25T00:30:00Z')))).toBe('2026-10-25T02:00:00.000Z');
  });
});

describe('6-field expressions (seconds first): a lab rehearses windows in seconds', () => {
  const lab = schedule('*/30 * * * * *', 5000, 'UTC');

  it('is inside for the first five seconds of every half minute', () => {
    expect(iso(lab.closesAt(utc('2026-01-01T00:00:32Z')))).toBe('2026-01-01T00:00:35.000Z');
    expect(lab.closesAt(utc('2026-01-01T00:00:35Z'))).toBeUndefined();
    expect(iso(lab.at(utc('2026-01-01T00:00:36Z')).nextOpeningAtMs)).toBe('2026-01-01T00:01:00.000Z');
  });

  it('answers in milliseconds, not by walking every second', () => {
    const started = performance.now();
    for (let index = 0; index < 200; index++) lab.at(utc('2026-01-01T00:00:00Z') + index * 7919);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('merges windows that overlap: every minute for 90 s is always open', () => {
    const overlapping = schedule('0 * * * * *', 90_000, 'UTC');
    const now = utc('2026-01-01T00:00:10Z');
    // Merged hop by hop (64 at most): less time left than the truth, never more.
    expect(overlapping.closesAt(now)).toBeGreaterThan(now + 60 * 60_000);
  });
});

describe('month ends and leap days', () => {
  it('the 31st skips months that have 30 days', () => {
    expect(iso(new CronOpenings('0 1 31 * *', 'UTC').nextOpening(utc('2026-04-01T00:00:00Z')))).toBe('2026-05-31T01:00:00.000Z');
  });

  it('L is the last day of each month, 28 in a common February', () => {
    expect(iso(new CronOpenings('0 22 L * *', 'Asia/Tokyo').nextOpening(utc('2027-02-01T00:00:00Z')))).toBe('2027-02-28T13:00:00.000Z');
  });

  it('29 February waits for the next leap year', () => {
    const opening = new CronOpenings('0 1 29 2 *', 'Europe/Berlin').nextOpening(utc('2026-03-01T00:00:00Z')) as number;
    expect(describeInstant(opening, 'Europe/Berlin')).toBe('Tue 2028-02-29 01:00 CET');
  });

  it('a window across midnight at a year end closes in the new year', () => {
    expect(iso(schedule('0 22 31 12 *', 4 * HOUR, 'UTC').closesAt(utc('2026-12-31T23:00:00Z')))).toBe('2027-01-01T02:00:00.000Z');
  });
});

describe('several windows', () => {
  it('open when any is open; the next opening is the soonest of them', () => {
    const windows = new WindowSchedule([
      { cron: '0 1 * * 6', durationMs: 4 * HOUR, timezone: 'Asia/Tokyo' },
      { cron: '0 22 * * 3', durationMs: 2 * HOUR, timezone: 'Europe/Berlin' },
    ]);
    const tuesday = utc('2026-12-01T12:00:00Z');
    expect(iso(windows.at(tuesday).nextOpeningAtMs)).toBe('2026-12-02T21:00:00.000Z');
    expect(iso(windows.closesAt(utc('2026-12-02T22:00:00Z')))).toBe('2026-12-02T23:00:00.000Z');
    expect(windows.longestMs).toBe(4 * HOUR);
  });
});

describe("agrees with node-cron's own next-run walker away from DST changes", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const expressions = ['0 1 * * 6', '*/15 3-5 * * 1-5', '0 0 L * *', '0 12 1W * *', '0 2 * * 5#2', '*/20 */7 * * * *', '30 4 29 2 *', '0 0 1,15 * 1'];
  const zones = ['Asia/Tokyo', 'UTC', 'America/New_York', 'Europe/Berlin'];

  it.each(expressions)('%s', (expression) => {
    fc.assert(
      fc.property(fc.constantFrom(...zones), fc.integer({ min: utc('2024-01-01T00:00:00Z') / 1000, max: utc('2030-01-01T00:00:00Z') / 1000 }), (zone, seconds) => {
        const from = seconds * 1000;
        const ours = new CronOpenings(expression, zone).nextOpening(from) as number;
        vi.useFakeTimers({ toFake: ['Date'] });
        vi.setSystemTime(from - 1);
        const task = cron.createTask(expression, () => undefined, { timezone: zone });
        const theirs = task.getNextRuns(1)[0]?.getTime();
        void task.destroy();
        vi.useRealTimers();
        // The library skips wall times DST removes; windows open after the jump instead.
        if (theirs !== ours && nearDstChange(zone, Math.min(ours, theirs ?? ours))) return;
        expect(iso(ours)).toBe(iso(theirs));
        expect(task.match(new Date(ours))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});

/** A DST change within a day of the instant. */
function nearDstChange(zone: string, instantMs: number): boolean {
  const offset = (ms: number): string => new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).format(new Date(ms));
  return offset(instantMs - 86_400_000) !== offset(instantMs + 86_400_000);
}

describe('rough durations for people', () => {
  it.each([
    [432_000, '7m 12s'],
    [3 * 86_400_000 + 14 * HOUR + 5000, '3d 14h'],
    [4000, '4s'],
    [HOUR, '1h'],
    [500, '500ms'],
  ])('%d ms → %s', (ms, text) => {
    expect(roughDuration(ms)).toBe(text);
  });
});
