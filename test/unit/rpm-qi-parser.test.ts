import { describe, expect, it } from 'vitest';
import { parseRpmDate, parseRpmQi, parseRpmQiRecords, rpmQiToPackageInfo } from '../../agent/drivers/package/rpm-qi-parser.js';
import { notInstalled, type PackageInfo } from '../../shared/domain/package.js';
import { readFixture } from '../support/fixture.js';

const JST = 9 * 60;

/** The PackageInfo of a clusterpro 2.0.0-1 server. */
const clusterpro200 = (arch: string, summary: string, installTime: number): PackageInfo => ({
  installed: true,
  name: 'clusterpro',
  epoch: '',
  version: '2.0.0',
  release: '1',
  arch,
  summary,
  installTime,
});

/** The manual's x86_64 server (section 2.1.2); REFERENCE.md shows it in rpm 4.4's exact layout. */
const X86_64_SERVER = {
  installed: true,
  name: 'clusterpro',
  epoch: '',
  version: '2.0.0',
  release: '1',
  arch: '',
  installDate: 'Tue Oct 21 11:31:41 2008',
  buildDate: 'Thu Apr  3 19:52:23 2008',
  buildHost: 'clg232',
  group: 'Applications/System',
  size: '104583370',
  license: 'commercial',
  sourceRpm: 'clusterpro-2.0.0-1.src.rpm',
  vendor: '(none)',
  packager: '',
  url: '',
  bugUrl: '',
  distTag: '',
  summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)',
  description: 'CLUSTERPRO X 2.0 for Linux(x86_64)',
  otherFields: {},
};

describe('parseRpmQi on the seed manual (section 2.1, "rpm -qi clusterpro")', () => {
  it('2.1.1 IA32: tab-pasted two columns, "relocateable", "Install date", description on its label line', () => {
    expect(parseRpmQi(readFixture('rpm/manual-2.1.1-ia32-qi.txt'))).toEqual({
      ...X86_64_SERVER,
      installDate: 'Tue Oct 21 11:24:30 2008',
      buildDate: 'Thu Apr 3 19:38:32 2008',
      buildHost: 'clg239',
      size: '83213938',
      relocations: '(not relocateable)',
      signature: '',
      summary: 'CLUSTERPRO X 2.0 for Linux(i686)',
      description: 'CLUSTERPRO X 2.0 for Linux(i686)',
    });
  });

  it('2.1.2 x86_64: space-padded two columns with uneven widths', () => {
    expect(parseRpmQi(readFixture('rpm/manual-2.1.2-x86_64-qi.txt'))).toEqual({
      ...X86_64_SERVER,
      relocations: '(not relocateable)',
      signature: '',
    });
  });

  it.each([
    ['manual-2.1.3-ia64-qi.txt', '2.0.0', 'Thu 03 Apr 2008 08:09:55 PM JST', 'clg136', 'CLUSTERPRO X 2.0 for Linux(ia64)'],
    ['manual-2.1.4-ppc64-qi.txt', '2.0.0', 'Thu 03 Apr 2008 08:11:29 PM JST', 'clg80', 'CLUSTERPRO X 2.0 for Linux(ppc64)'],
    ['manual-2.1.5-vmware-qi.txt', '2.0.2', 'Thu Oct 9 11:55:25 2008', 'clg237', 'CLUSTERPRO X 2.0 for Linux(i386/vmware)'],
  ])('%s: a package file, "Install Date: (not installed)"', (file, version, buildDate, buildHost, summary) => {
    const record = parseRpmQi(readFixture(`rpm/${file}`));
    expect(record).toMatchObject({ installed: false, installDate: '', name: 'clusterpro', version, release: '1', buildDate, buildHost, summary });
    expect(record.description).toBe(summary);
    expect(rpmQiToPackageInfo(record)).toMatchObject({ installed: false, version, installTime: 0 });
  });

  it('2.1.3 IA64 signs with "(none)" and spells "relocatable"', () => {
    expect(parseRpmQi(readFixture('rpm/manual-2.1.3-ia64-qi.txt'))).toMatchObject({ signature: '(none)', relocations: '(not relocatable)' });
  });

  it('gives the manual\'s IA32 server as a PackageInfo, the date read as Japan time', () => {
    const record = parseRpmQi(readFixture('rpm/manual-2.1.1-ia32-qi.txt'));
    expect(rpmQiToPackageInfo(record, { utcOffsetMinutes: JST })).toEqual(
      clusterpro200('', 'CLUSTERPRO X 2.0 for Linux(i686)', Date.UTC(2008, 9, 21, 2, 24, 30) / 1000),
    );
  });
});

describe('parseRpmQi on REFERENCE.md', () => {
  it('rpm 4.4: the canonical %-27{TAG} two columns (the manual\'s x86_64 server)', () => {
    expect(parseRpmQi(readFixture('rpm/rpm-4.4-qi.txt'))).toEqual({
      ...X86_64_SERVER,
      relocations: '(not relocatable)',
      signature: '(none)',
    });
  });

  it('rpm 4.18: one field a line, with Architecture', () => {
    const record = parseRpmQi(readFixture('rpm/rpm-4.18-qi.txt'));
    expect(record).toMatchObject({
      installed: true,
      arch: 'x86_64',
      installDate: 'Sun Nov 22 10:18:11 2026',
      group: 'Unspecified',
      size: '0',
      license: 'commercial',
      buildHost: 'vm',
      relocations: '',
      otherFields: {},
    });
    expect(rpmQiToPackageInfo(record)).toEqual(
      clusterpro200('x86_64', 'CLUSTERPRO X 2.0 for Linux(x86_64)', Date.UTC(2026, 10, 22, 10, 18, 11) / 1000),
    );
  });
});

describe('parseRpmQi, tolerance and refusals', () => {
  const rpm418 = (name: string, description: string): string =>
    [
      `Name        : ${name}`,
      'Epoch       : 3',
      'Version     : 1.2',
      'Release     : 4.el9',
      'Architecture: noarch',
      'Install Date: Sun Nov 22 10:18:11 2026',
      'Bug URL     : https://bugs.example/',
      'Translations: ja',
      'Summary     : a tool',
      'Description :',
      description,
    ].join('\n');

  it('reads "package NAME is not installed" as a package that is not installed', () => {
    const record = parseRpmQi('package clusterpro is not installed\n');
    expect(record).toMatchObject({ installed: false, name: 'clusterpro', version: '' });
    expect(rpmQiToPackageInfo(record)).toEqual(notInstalled('clusterpro'));
  });

  it('keeps unknown labels, skips a pasted prompt, and keeps a multi-line description', () => {
    const record = parseRpmQi(`# rpm -qi tool\n${rpm418('tool', 'First line.\n\n  Indented: not a label.\n\n')}`);
    expect(record).toMatchObject({ name: 'tool', epoch: '3', arch: 'noarch', bugUrl: 'https://bugs.example/', otherFields: { Translations: 'ja' } });
    expect(record.description).toBe('First line.\n\n  Indented: not a label.');
  });

  it('splits the output of `rpm -qi a b c` into one record per package', () => {
    const text = `${rpm418('a', 'A.')}\n${rpm418('b', 'B.')}\npackage c is not installed\n`;
    expect(parseRpmQiRecords(text).map((record) => [record.name, record.installed, record.description])).toEqual([
      ['a', true, 'A.'],
      ['b', true, 'B.'],
      ['c', false, ''],
    ]);
    expect(() => parseRpmQi(text)).toThrow(/expected one package, found a, b, c/);
  });

  it.each([
    ['no package at all', 'error: rpmdb open failed\n'],
    ['no Version line', 'Name        : clusterpro\nRelease     : 1\n'],
    ['no Release line', 'Name        : clusterpro\nVersion     : 2.0.0\n'],
    ['an empty Name', 'Name        :\nVersion     : 2.0.0\nRelease     : 1\n'],
  ])('refuses %s with LOCKSTEP_E_PARSE', (_what, text) => {
    expect(() => parseRpmQi(text)).toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_PARSE' }));
  });
});

describe('parseRpmDate', () => {
  it.each([
    ['Tue Oct 21 11:24:30 2008', 0, Date.UTC(2008, 9, 21, 11, 24, 30)],
    ['Tue Oct 21 11:24:30 2008', JST, Date.UTC(2008, 9, 21, 2, 24, 30)],
    ['Thu Apr  3 19:52:23 2008', 0, Date.UTC(2008, 3, 3, 19, 52, 23)],
    ['Thu 03 Apr 2008 08:09:55 PM JST', 0, Date.UTC(2008, 3, 3, 11, 9, 55)],
    ['Thu 03 Apr 2008 12:09:55 AM JST', 0, Date.UTC(2008, 3, 2, 15, 9, 55)],
    ['Thu 03 Apr 2008 12:09:55 PM UTC', JST, Date.UTC(2008, 3, 3, 12, 9, 55)],
  ])('%s (offset %i min)', (text, offset, utcMs) => {
    expect(parseRpmDate(text, offset)).toBe(utcMs / 1000);
  });

  it.each(['(not installed)', '', 'Thu 03 Apr 2008 08:09:55 PM CEST', 'Thu Foo 3 19:52:23 2008'])('does not guess at %j', (text) => {
    expect(parseRpmDate(text)).toBeUndefined();
  });
});
