// Every program prints the version of its package.json (issue 11: no hard-coded version), so
// a package built with a new version cannot report an old one.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LOCKSTEP_VERSION } from '../../shared/package-version.js';

const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };

describe('the version of lockstep', () => {
  it('is the version of package.json', () => {
    expect(LOCKSTEP_VERSION).toBe(manifest.version);
  });

  it.each(Object.entries(manifest.bin))('%s --version prints it', (_program, entry) => {
    const printed = execFileSync(process.execPath, [entry, '--version'], { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 20_000 });
    expect(printed.trim()).toBe(manifest.version);
  });
});
