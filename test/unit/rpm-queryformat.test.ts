import { describe, expect, it } from 'vitest';
import { parseRpmQueryOutput, RPM_QUERY_FORMAT } from '../../agent/drivers/package/rpm-queryformat.js';

describe('RPM_QUERY_FORMAT', () => {
  it("is REFERENCE.md's format with the install time added before the free-text summary", () => {
    expect(RPM_QUERY_FORMAT).toBe(
      '%{NAME}|%|EPOCH?{%{EPOCH}}:{(none)}||%{VERSION}|%{RELEASE}|%{ARCH}|%|INSTALLTIME?{%{INSTALLTIME}}:{0}||%{SUMMARY}\\n',
    );
  });
});

describe('parseRpmQueryOutput', () => {
  it('reads what rpm 4.18 prints for an installed package', () => {
    const output = 'clusterpro|(none)|2.0.0|1|x86_64|1795406393|CLUSTERPRO X 2.0 for Linux(x86_64)\n';
    expect(parseRpmQueryOutput(output, { installed: true })).toEqual([
      {
        installed: true,
        name: 'clusterpro',
        epoch: '',
        version: '2.0.0',
        release: '1',
        arch: 'x86_64',
        summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)',
        installTime: 1795406393,
      },
    ]);
  });

  it('reads a package file (`-qp`), which has no install time', () => {
    const [file] = parseRpmQueryOutput('clusterpro|(none)|2.1.3|1|ia64|0|CLUSTERPRO X 2.1 for Linux(ia64)\n', { installed: false });
    expect(file).toMatchObject({ installed: false, version: '2.1.3', arch: 'ia64', installTime: 0 });
  });

  it('keeps an epoch, and a summary that itself contains "|"', () => {
    const [info] = parseRpmQueryOutput('tool|3|1.0|2.el5|noarch|1200000000|a | b|c\n', { installed: true });
    expect(info).toMatchObject({ epoch: '3', summary: 'a | b|c' });
  });

  it('reads one package per line (two architectures of one name)', () => {
    const output = 'clusterpro|(none)|2.0.0|1|i686|1|CLUSTERPRO X 2.0 for Linux(i686)\nclusterpro|(none)|2.0.0|1|x86_64|2|CLUSTERPRO X 2.0 for Linux(x86_64)\n';
    expect(parseRpmQueryOutput(output, { installed: true }).map((info) => info.arch)).toEqual(['i686', 'x86_64']);
  });

  it('reads "(none)" as no architecture (gpg-pubkey has none)', () => {
    const [key] = parseRpmQueryOutput('gpg-pubkey|(none)|37017186|45761324|(none)|1300000000|gpg(Red Hat, Inc.)\n', { installed: true });
    expect(key?.arch).toBe('');
  });

  it.each([
    ['nothing', ''],
    ['a cut-off line', 'clusterpro|(none)|2.0.0|1|x86_64|1795406393|CLUSTERPRO'],
    ['too few fields', 'clusterpro|(none)|2.0.0|1|x86_64\n'],
    ['an empty name', '|(none)|2.0.0|1|x86_64|0|x\n'],
    ['a name with a space', 'cluster pro|(none)|2.0.0|1|x86_64|0|x\n'],
    ['a bad epoch', 'clusterpro|none|2.0.0|1|x86_64|0|x\n'],
    ['an empty version', 'clusterpro|(none)||1|x86_64|0|x\n'],
    ['a version with a dash', 'clusterpro|(none)|2.0-0|1|x86_64|0|x\n'],
    ['an empty release', 'clusterpro|(none)|2.0.0||x86_64|0|x\n'],
    ['a bad architecture', 'clusterpro|(none)|2.0.0|1|x86 64|0|x\n'],
    ['a bad install time', 'clusterpro|(none)|2.0.0|1|x86_64|(none)|x\n'],
    ['a blank line', 'clusterpro|(none)|2.0.0|1|x86_64|0|x\n\n'],
    ['an error message', 'error: rpmdb: damaged header\n'],
  ])('refuses %s with LOCKSTEP_E_PARSE', (_what, output) => {
    expect(() => parseRpmQueryOutput(output, { installed: true })).toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_PARSE' }));
  });
});
