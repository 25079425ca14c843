// The agent installs packages and runs hooks as root, so what it takes them from must be
// changeable by root alone — the rule cron and sudo apply to their files (docs/security.md §2,
// §3). An agent run as an ordinary user (the lab) also trusts its own user: it could change
// those files itself anyway. Used for package directories and the hooks directory; Solaris
// package directories take the same check when the agent gets a Solaris driver.
import { lstatSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { LockstepError } from '../shared/errors.js';

const TRUSTED_UIDS: ReadonlySet<number> = new Set([0, process.geteuid?.() ?? 0]);
const GROUP_OR_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

/**
 * Every directory from `/` down to `dir` (a real path, no symlinks) is owned by root and not
 * writable by group or others. A directory above `dir` may be world-writable if it is
 * sticky (`/tmp`): there nobody but its owner can rename the root-owned entry below it.
 */
export async function assertTrustedDirectory(field: string, dir: string): Promise<void> {
  const chain: string[] = [];
  for (let path = dir; ; path = dirname(path)) {
    chain.unshift(path);
    if (path === dirname(path)) break;
  }
  for (const path of chain) {
    const stats = lstatOrRefuse(field, path);
    if (!stats.isDirectory()) throw untrusted(field, path, stats.isSymbolicLink() ? 'is a symbolic link, not a directory' : 'is not a directory');
    assertTrustedEntry(field, path, stats, { stickyAllowed: path !== dir });
  }
}

/** One file or directory the agent takes as given: owned by root, writable by nobody else. */
export function assertTrustedEntry(field: string, path: string, stats: Stats, options: { stickyAllowed?: boolean } = {}): void {
  if (!TRUSTED_UIDS.has(stats.uid)) throw untrusted(field, path, `is owned by uid ${stats.uid}, not root (chown root ${path})`);
  const writable = stats.mode & GROUP_OR_OTHER_WRITE;
  if (writable === 0 || (options.stickyAllowed === true && (stats.mode & STICKY) !== 0)) return;
  const who = writable === GROUP_OR_OTHER_WRITE ? 'group and others' : writable & 0o020 ? 'its group' : 'others';
  throw untrusted(field, path, `is writable by ${who} (mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}; chmod go-w ${path})`);
}

// Synchronous: one lstat of a local directory costs less than a thread-pool round trip, and
// every RunHook checks the hooks directory's whole chain (issue 19).
function lstatOrRefuse(field: string, path: string): Stats {
  try {
    return lstatSync(path);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `${field}: ${path} cannot be read: ${(error as Error).message}`, { field, cause: error });
  }
}

function untrusted(field: string, path: string, problem: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_UNTRUSTED_PATH', `${field}: ${path} ${problem}: a local user could change what the agent installs or runs as root`, { field });
}
