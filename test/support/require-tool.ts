// Tests that need a real tool skip with a printed reason when it is missing, and fail
// instead when CI=true: CI installs every tool, so a missing one there is a broken build.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function findOnPath(tool: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin', '/usr/bin'])) {
    const candidate = join(dir, tool);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * True when every tool is present. When one is missing: under CI=true it throws (the test
 * file fails); otherwise it prints why the tests will be skipped and returns false, for use
 * with `describe.skipIf(!haveTools(...))`.
 */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((tool) => findOnPath(tool) === undefined);
  if (missing.length === 0) return true;
  const reason = `missing ${missing.join(', ')} (install: apt-get install -y rpm iproute2 systemd)`;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}: these tests must run in CI`);
  console.warn(`SKIPPING: ${reason}`);
  return false;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
