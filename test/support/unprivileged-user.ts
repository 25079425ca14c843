// A local user with no privileges, for reproducing what another user on the machine could do
// (docs/security.md): created by the test (CI runs as root), commands run as it through
// setpriv, removed afterwards with its group.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { findOnPath, isRoot } from './require-tool.js';

export interface UnprivilegedUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs `argv` (no shell) as this user; returns its stdout, throws when it fails. */
  run(argv: string[]): string;
  remove(): void;
}

const TIMEOUT_MS = 30_000;

/**
 * True when this process can create users (root, with useradd and setpriv). Otherwise prints
 * why the tests will be skipped, or throws under CI=true, where they must run.
 */
export function canCreateUsers(): boolean {
  const missing = ['useradd', 'userdel', 'setpriv'].filter((tool) => findOnPath(tool) === undefined);
  const reason = !isRoot() ? 'not running as root (needed to create a user)' : missing.length > 0 ? `missing ${missing.join(', ')} (apt-get install -y passwd util-linux)` : undefined;
  if (reason === undefined) return true;
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}: these tests must run in CI`);
  console.warn(`SKIPPING: ${reason}`);
  return false;
}

/** A new user named `mallory` and a random suffix (tests running at once each get their own). */
export function createUnprivilegedUser(): UnprivilegedUser {
  const name = `mallory${randomBytes(4).toString('hex')}`;
  execFileSync('useradd', ['--no-create-home', '--user-group', '--shell', '/usr/sbin/nologin', name], { timeout: TIMEOUT_MS, stdio: 'pipe' });
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { timeout: TIMEOUT_MS, encoding: 'utf8' }).trim());
  const uid = id('-u');
  const gid = id('-g');
  return {
    name,
    uid,
    gid,
    run: (argv) =>
      execFileSync('setpriv', ['--reuid', String(uid), '--regid', String(gid), '--clear-groups', '--', ...argv], { timeout: TIMEOUT_MS, encoding: 'utf8', stdio: 'pipe' }),
    remove: () => {
      execFileSync('userdel', [name], { timeout: TIMEOUT_MS, stdio: 'pipe' });
      // userdel removes the user's own group where USERGROUPS_ENAB is set; elsewhere it stays.
      try {
        execFileSync('groupdel', [name], { timeout: TIMEOUT_MS, stdio: 'pipe' });
      } catch {
        // already gone with the user
      }
    },
  };
}
