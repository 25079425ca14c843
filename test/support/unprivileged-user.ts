// A throwaway unprivileged local user — "mallory" of docs/security.md — for the tests that
// reproduce what such a user could do to a root agent. Needs root (CI runs as root): without
// it the tests skip with a printed reason, and fail under CI=true.
import { execFileSync } from 'node:child_process';
import { isRoot, haveTools } from './require-tool.js';

export interface LocalUser {
  name: string;
  uid: number;
  gid: number;
  /** Runs argv as this user (setpriv, no supplementary groups); returns stdout. */
  run(argv: string[]): string;
  remove(): void;
}

/** True when the tests can create and become a user; prints why not otherwise (throws under CI=true). */
export function canActAsAnotherUser(): boolean {
  if (!haveTools('useradd', 'userdel', 'setpriv')) return false;
  if (isRoot()) return true;
  if (process.env.CI === 'true') throw new Error('CI=true but not root: the unprivileged-user tests must run in CI');
  console.warn('SKIPPING: not root, so no user can be created to act as mallory');
  return false;
}

/** A new user named `prefix` + this process's pid (tests in parallel do not share one). */
export function createUser(prefix = 'mallory'): LocalUser {
  const name = `${prefix}${process.pid}`;
  execFileSync('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--user-group', name]);
  const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
  const uid = id('-u');
  const gid = id('-g');
  return {
    name,
    uid,
    gid,
    run: (argv) => execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', '--', ...argv], { encoding: 'utf8' }),
    remove: () => execFileSync('userdel', [name]),
  };
}
