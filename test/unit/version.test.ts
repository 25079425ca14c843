import { describe, expect, it } from 'vitest';
import { compareEvr, formatEvr, parseEvr, rpmvercmp } from '../../shared/version.js';

describe('rpm version ordering', () => {
  // Cases from rpm's own rpmvercmp test table.
  it.each([
    ['1.0', '1.0', 0],
    ['1.0', '2.0', -1],
    ['2.0.1', '2.0', 1],
    ['2.1.10', '2.1.9', 1],
    ['1.0a', '1.0', 1],
    ['1.0', '1.0a', -1],
    ['5.5p1', '5.5p10', -1],
    ['10xyz', '10.1xyz', -1],
    ['xyz10', 'xyz10.1', -1],
    ['1.0~rc1', '1.0', -1],
    ['1.0~rc1', '1.0~rc2', -1],
    ['1.0^', '1.0', 1],
    ['1.0^git1', '1.0.1', -1],
    ['a', '1', -1],
    ['001', '1', 0],
    ['2.0.0', '2.1.3', -1],
  ] as const)('rpmvercmp(%s, %s) = %i', (a, b, expected) => {
    expect(rpmvercmp(a, b)).toBe(expected);
    expect(rpmvercmp(b, a)).toBe(-expected || 0);
  });

  it('compares epoch first, then version, then release', () => {
    expect(compareEvr(parseEvr('1:1.0-1'), parseEvr('2.0-1'))).toBe(1);
    expect(compareEvr(parseEvr('2.1.3-1'), parseEvr('2.1.3-2'))).toBe(-1);
    expect(compareEvr(parseEvr('2.1.3'), parseEvr('2.1.3-9'))).toBe(0);
  });

  it('parses and formats epoch:version-release', () => {
    expect(parseEvr('3:2.1.3-1')).toEqual({ epoch: '3', version: '2.1.3', release: '1' });
    expect(formatEvr(parseEvr('2.1.3-1'))).toBe('2.1.3-1');
    expect(formatEvr(parseEvr('3:2.1.3-1'))).toBe('3:2.1.3-1');
  });
});
