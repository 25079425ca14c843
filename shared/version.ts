// rpm's version ordering (rpmvercmp), so that "2.1.10" > "2.1.9" and "1.0a" sorts as rpm
// sorts it. Used to tell upgrades from downgrades and to check versions against bundles.

export interface Evr {
  epoch?: string | undefined;
  version: string;
  release?: string | undefined;
}

const SEGMENT = /~|\^|[0-9]+|[A-Za-z]+/g;

/** Compares two version (or release) strings the way rpm's rpmvercmp does: -1, 0 or 1. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  const left = a.match(SEGMENT) ?? [];
  const right = b.match(SEGMENT) ?? [];
  let i = 0;
  for (;;) {
    const x = left[i];
    const y = right[i];
    // A tilde sorts before everything, even the end of the string.
    if (x === '~' || y === '~') {
      if (x !== '~') return 1;
      if (y !== '~') return -1;
      i++;
      continue;
    }
    // A caret sorts after the end of the string but before anything else.
    if (x === '^' || y === '^') {
      if (x === undefined) return -1;
      if (y === undefined) return 1;
      if (x !== '^') return 1;
      if (y !== '^') return -1;
      i++;
      continue;
    }
    if (x === undefined || y === undefined) {
      if (x === undefined && y === undefined) return 0;
      return x === undefined ? -1 : 1;
    }
    const xNumeric = /^[0-9]/.test(x);
    const yNumeric = /^[0-9]/.test(y);
    // A numeric segment is newer than an alphabetic one.
    if (xNumeric !== yNumeric) return xNumeric ? 1 : -1;
    const order = xNumeric ? compareNumeric(x, y) : compareText(x, y);
    if (order !== 0) return order;
    i++;
  }
}

function compareNumeric(x: string, y: string): -1 | 0 | 1 {
  const a = x.replace(/^0+/, '');
  const b = y.replace(/^0+/, '');
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return compareText(a, b);
}

function compareText(x: string, y: string): -1 | 0 | 1 {
  if (x === y) return 0;
  return x < y ? -1 : 1;
}

/** Compares epoch, then version, then release (a missing release compares equal). */
export function compareEvr(a: Evr, b: Evr): -1 | 0 | 1 {
  const epochOrder = compareNumeric(a.epoch || '0', b.epoch || '0');
  if (epochOrder !== 0) return epochOrder;
  const versionOrder = rpmvercmp(a.version, b.version);
  if (versionOrder !== 0) return versionOrder;
  if (!a.release || !b.release) return 0;
  return rpmvercmp(a.release, b.release);
}

/** "2.1.3-1" → {version: "2.1.3", release: "1"}; "3:2.1-1" carries an epoch. */
export function parseEvr(text: string): Evr {
  const epochMatch = /^(\d+):(.*)$/.exec(text);
  const rest = epochMatch ? (epochMatch[2] ?? '') : text;
  const dash = rest.lastIndexOf('-');
  const evr: Evr = dash > 0 ? { version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { version: rest };
  if (epochMatch) evr.epoch = epochMatch[1];
  return evr;
}

export function formatEvr(evr: Evr): string {
  const base = evr.release ? `${evr.version}-${evr.release}` : evr.version;
  return evr.epoch ? `${evr.epoch}:${base}` : base;
}
