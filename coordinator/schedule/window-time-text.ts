// Window instants as an operator reads them: in the window's own zone, with the zone's usual
// abbreviation ("Sat 2026-12-05 01:00 JST"). Intl knows an abbreviation for a zone only in
// some locales (JST in ja-JP, CET in en-GB, EST in en-US), so the first that has one is used.

const ABBREVIATION_LOCALES = ['en-US', 'en-GB', 'en-AU', 'en-IN', 'ja-JP'];

function zoneName(instantMs: number, timeZone: string): string {
  let fallback = timeZone;
  for (const locale of ABBREVIATION_LOCALES) {
    const name = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' }).formatToParts(new Date(instantMs)).find((part) => part.type === 'timeZoneName')?.value;
    if (name === undefined) continue;
    if (!name.startsWith('GMT') || name === 'GMT') return name;
    if (fallback === timeZone) fallback = name;
  }
  return fallback;
}

/** "Sat 2026-12-05 01:00 JST"; seconds only when they are not zero (a lab's windows). */
export function describeInstant(instantMs: number, timeZone: string): string {
  const parts: Record<string, string> = {};
  const format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  for (const part of format.formatToParts(new Date(instantMs))) parts[part.type] = part.value;
  const seconds = parts.second === '00' ? '' : `:${parts.second}`;
  return `${parts.weekday} ${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}${seconds} ${zoneName(instantMs, timeZone)}`;
}

/** The two largest units: "3d 14h", "7m 12s", "4s". */
export function roughDuration(ms: number): string {
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, ms);
  for (const [unit, size] of units) {
    const amount = Math.floor(rest / size);
    rest -= amount * size;
    if (amount > 0 || parts.length > 0) parts.push(`${amount}${unit}`);
    if (parts.length === 2) break;
  }
  return parts.filter((part) => !part.startsWith('0')).join(' ') || `${Math.max(0, Math.round(ms))}ms`;
}
