// The RTR file's upgrade directives and the Tunable chosen from them (REFERENCE.md, "Solaris
// Cluster resource-type upgrades"; seed 004's warning that a developer may need a stricter
// Tunable than the table's example).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chooseTunable, parseRtr, registeredTypeName, rtrTunableFor } from '../../shared/solaris-rtr.js';
import { RT_CHANGE_ROWS, RT_CHANGES, TUNABLE_REQUIRES } from '../../coordinator/procedures/solaris/rt-change-rows.js';
import { stricterTunable, TUNABLES } from '../../shared/domain/solaris.js';
import { isLockstepError } from '../../shared/errors.js';

const RTR = `#
# LAB.app resource type registration
#
Resource_type = "app";
Vendor_id = LAB;
RT_description = "LAB application server";
RT_version = "2.0";
API_version = 2;
RT_basedir = /opt/LABapp/bin;
Start = app_svc_start;
Stop = app_svc_stop;

#$upgrade
#$upgrade_from "1.1" WHEN_OFFLINE
#$upgrade_from "1.0" WHEN_DISABLED
#$upgrade_from ""    WHEN_UNMANAGED

{
  PROPERTY = Port_list;
  DEFAULT = "8080/tcp";
  TUNABLE = ANYTIME;
}
{
  PROPERTY = Type_version;
  RT_version = "9.9";
}
`;

describe('parseRtr', () => {
  it('reads the type, vendor and version outside property blocks, and every #$upgrade_from line with its line number', () => {
    const rtr = parseRtr(RTR, '/opt/LABapp/etc/LAB.app');
    expect(rtr).toMatchObject({ resourceType: 'app', vendorId: 'LAB', rtVersion: '2.0', upgradeAware: true });
    expect(rtr.upgradeFrom).toEqual([
      { line: 14, fromVersion: '1.1', tunable: 'WHEN_OFFLINE', text: '#$upgrade_from "1.1" WHEN_OFFLINE' },
      { line: 15, fromVersion: '1.0', tunable: 'WHEN_DISABLED', text: '#$upgrade_from "1.0" WHEN_DISABLED' },
      { line: 16, fromVersion: '', tunable: 'WHEN_UNMANAGED', text: '#$upgrade_from ""    WHEN_UNMANAGED' },
    ]);
    expect(registeredTypeName(rtr)).toBe('LAB.app:2.0');
  });

  it.each([
    ['an unknown Tunable', '#$upgrade\n#$upgrade_from "1.0" WHEN_SLEEPY\n', /line 2: .*expected a Tunable, one of ANYTIME/],
    ['an unquoted version', '#$upgrade\n#$upgrade_from 1.0 ANYTIME\n', /line 2: .*expected #\$upgrade_from "VERSION" TUNABLE/],
    ['trailing words', '#$upgrade\n#$upgrade_from "1.0" ANYTIME now\n', /line 2: .*expected #\$upgrade_from "VERSION" TUNABLE/],
    ['#$upgrade_from before #$upgrade', '#$upgrade_from "1.0" ANYTIME\n#$upgrade\n', /line 1: .*before the first #\$upgrade_from/],
    ['a version listed twice', '#$upgrade\n#$upgrade_from "1.0" ANYTIME\n#$upgrade_from "1.0" WHEN_OFFLINE\n', /line 3: .*"1.0" is listed twice/],
    ['an unknown directive', '#$upgrad\n', /line 1: .*expected #\$upgrade or/],
  ])('refuses %s naming the file and line', (_what, directives, message) => {
    const text = `Resource_type = "app";\nRT_version = "2.0";\n${directives}`.split('\n');
    // Directive lines start at line 3 here; the expectations count from the directives.
    const shifted = parseAttempt(text.join('\n'));
    expect(shifted).toMatch(/^\/x\/LAB\.app line \d+: /);
    expect(shifted.replace(/line (\d+)/, (_m, n: string) => `line ${Number(n) - 2}`)).toMatch(message);
  });

  it('refuses an RTR without Resource_type or RT_version, saying what was expected', () => {
    expect(() => parseRtr('RT_version = "2.0";\n', '/x/r')).toThrow(/declares no Resource_type/);
    expect(() => parseRtr('Resource_type = app;\n', '/x/r')).toThrow(/declares no RT_version/);
  });
});

function parseAttempt(text: string): string {
  try {
    parseRtr(text, '/x/LAB.app');
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('parseRtr accepted a malformed RTR');
}

describe('rtrTunableFor', () => {
  const rtr = parseRtr(RTR, 'LAB.app');
  it('takes the line for the installed version, then the "" line', () => {
    expect(rtrTunableFor(rtr, '1.0')).toMatchObject({ tunable: 'WHEN_DISABLED', reason: 'LAB.app line 15: #$upgrade_from "1.0" WHEN_DISABLED' });
    expect(rtrTunableFor(rtr, '0.9')).toMatchObject({ tunable: 'WHEN_UNMANAGED', from: { fromVersion: '' } });
  });

  it('falls back to WHEN_UNMANAGED with no line for the version and no "" line, or no #$upgrade at all', () => {
    const noEmpty = parseRtr('Resource_type = app;\nRT_version = "2.0";\n#$upgrade\n#$upgrade_from "1.1" ANYTIME\n', 'r');
    expect(rtrTunableFor(noEmpty, '1.0')).toMatchObject({ tunable: 'WHEN_UNMANAGED', from: null });
    const unaware = parseRtr('Resource_type = app;\nRT_version = "2.0";\n', 'r');
    expect(rtrTunableFor(unaware, '1.0')).toMatchObject({ tunable: 'WHEN_UNMANAGED', reason: expect.stringMatching(/no #\$upgrade directive/) });
  });
});

describe('chooseTunable', () => {
  const rtr = parseRtr(RTR, 'RTR');
  it('takes the stricter of the row and the RTR, and says why', () => {
    expect(chooseTunable('ANYTIME', rtrTunableFor(rtr, '1.0'), 'app-rs1')).toEqual({
      tunable: 'WHEN_DISABLED',
      why: 'RTR line 15: #$upgrade_from "1.0" WHEN_DISABLED is stricter than the row\'s ANYTIME',
    });
    expect(chooseTunable('WHEN_UNMANAGED', rtrTunableFor(rtr, '1.1'), 'app-rs1')).toMatchObject({ tunable: 'WHEN_UNMANAGED', why: expect.stringMatching(/row's WHEN_UNMANAGED is stricter/) });
    expect(chooseTunable('WHEN_OFFLINE', rtrTunableFor(rtr, '1.1'), 'app-rs1')).toMatchObject({ tunable: 'WHEN_OFFLINE', why: expect.stringMatching(/agrees/) });
  });

  it('refuses AT_CREATION, explaining that existing resources must be deleted and re-created', () => {
    const atCreation = parseRtr('Resource_type = app;\nRT_version = "2.0";\n#$upgrade\n#$upgrade_from "1.0" AT_CREATION\n', 'RTR');
    expect(() => chooseTunable('ANYTIME', rtrTunableFor(atCreation, '1.0'), 'app-rs1')).toThrow(/AT_CREATION for resource app-rs1.*delete it and create it again/);
  });

  it('orders the Tunables from least to most restrictive', () => {
    expect(stricterTunable('WHEN_OFFLINE', 'WHEN_UNMONITORED')).toBe('WHEN_OFFLINE');
    expect(stricterTunable('WHEN_DISABLED', 'WHEN_UNMANAGED')).toBe('WHEN_UNMANAGED');
    for (const tunable of TUNABLES) expect(stricterTunable(tunable, 'ANYTIME')).toBe(tunable);
  });
});

describe('table 3-1', () => {
  it('has the eight rows, each migrating under a Tunable its own steps satisfy', () => {
    expect(RT_CHANGES).toHaveLength(8);
    for (const change of RT_CHANGES) {
      const row = RT_CHANGE_ROWS[change];
      const steps = row.steps.map((entry) => entry.step);
      if (row.tunable === null) {
        expect(steps).not.toContain('migrate');
        continue;
      }
      const needed = TUNABLE_REQUIRES[row.tunable];
      if (needed !== null) expect(steps.indexOf(needed)).toBeLessThan(steps.indexOf('migrate'));
      expect(steps.indexOf('register')).toBeLessThan(steps.indexOf('migrate'));
      for (const entry of row.steps) expect(entry.seed).not.toBe('');
    }
  });
});

describe('parseRtr on arbitrary and mutated text', () => {
  const attempt = (text: string): void => {
    const started = performance.now();
    try {
      parseRtr(text, 'RTR');
    } catch (error) {
      if (!isLockstepError(error, 'LOCKSTEP_E_INVALID_ARGUMENT')) throw error;
    }
    // A backtracking regular expression takes seconds here, not milliseconds.
    expect(performance.now() - started).toBeLessThan(2_000);
  };

  it('returns a file or refuses with LOCKSTEP_E_INVALID_ARGUMENT, quickly', () => {
    const pieces = fc.constantFrom('#$upgrade', '#$upgrade_from', ' "1.0" ', 'ANYTIME', 'RT_version = ', 'Resource_type = ', '"', ';', '{', '}', '\n', ' ', '\t', '#', 'x');
    fc.assert(fc.property(fc.array(pieces, { maxLength: 200 }), (parts) => attempt(parts.join(''))), { numRuns: 1_000 });
    fc.assert(fc.property(fc.string({ maxLength: 2_000, unit: 'binary' }), attempt), { numRuns: 500 });
  });

  it('takes a 1 MiB file of blanks or of one long directive in stride', () => {
    attempt(' '.repeat(1024 * 1024 - 1));
    attempt(`#$upgrade_from "${' '.repeat(1024 * 1024 - 40)}`);
    attempt(`Resource_type = ${' '.repeat(1024 * 1024 - 40)}x`);
  });
});
