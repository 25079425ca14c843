// Directories and files that only their owner may change (docs/security.md, "Directories
// someone else made"): a lab, a certificate directory, the coordinator's database directory,
// the agent's state directory. Another local user who made the directory first, or can write
// into it, could swap what root later installs, trusts or runs; so an existing one is accepted
// only when the caller owns it, it is not a symlink, and neither group nor others may write it.
import { chmodSync, closeSync, constants, fchmodSync, fstatSync, lstatSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { describeError, LockstepError } from './errors.js';
import type { Logger } from './logger.js';

const PRIVATE_DIR_MODE = 0o700;
const PRIVATE_FILE_MODE = 0o600;
const GROUP_OR_OTHER_WRITE = 0o022;
const GROUP_OR_OTHER_ANY = 0o077;
const STICKY = 0o1000;

export interface PrivateDirOptions {
  /** The flag named in errors, e.g. `--dir`. */
  field: string;
  /**
   * Given: an existing directory of ours that group or others may write is made 0700, and this
   * is told what was changed (a daemon logs it). Absent: such a directory is refused.
   */
  repair?: (message: string) => void;
  /**
   * Follow a symlink to the directory (an operator may put /var/lib/… on another volume); the
   * directory it leads to is checked all the same. A lab or certificate directory refuses one.
   */
  followSymlink?: boolean;
}

/**
 * Creates `path` (mode 0700, whatever the umask; missing parents as mkdir -p makes them), or
 * checks the existing one: a directory, not a symlink, owned by this process's user, not
 * writable by group or others.
 */
export function preparePrivateDir(path: string, options: PrivateDirOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  try {
    // Not recursive: EEXIST is how we learn someone (maybe not us) made it first.
    mkdirSync(path, { mode: PRIVATE_DIR_MODE });
    chmodSync(path, PRIVATE_DIR_MODE);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw refused(options.field, path, `cannot create it: ${describeError(error)}`, error);
  }
  const stats = options.followSymlink ? statSync(path) : lstatSync(path);
  if (stats.isSymbolicLink()) throw refused(options.field, path, 'it is a symbolic link; give the real directory, or a new path lockstep creates itself');
  if (!stats.isDirectory()) throw refused(options.field, path, 'it is not a directory');
  requireOwnedByCaller(options.field, path, stats);
  if ((stats.mode & GROUP_OR_OTHER_WRITE) === 0) return;
  const mode = octal(stats.mode);
  // A sticky directory (/tmp) is shared on purpose: never close it, refuse to live in it.
  if (options.repair === undefined || (stats.mode & STICKY) !== 0) {
    throw refused(options.field, path, `group or others may write it (mode ${mode}), so another user could replace what is in it; chmod go-w it, or give a new path`);
  }
  chmodSync(path, PRIVATE_DIR_MODE);
  options.repair(`${options.field}: ${path} was writable by group or others (mode ${mode}); made it 0700`);
}

/**
 * Creates `path` as an empty file of mode 0600 if it does not exist (whatever the umask), and
 * makes an existing one 0600; refuses a symlink or another user's file. For SQLite databases:
 * SQLite gives its -wal and -shm files the database's mode, so those are 0600 too.
 */
export function preparePrivateFile(path: string, field: string): void {
  let descriptor: number;
  try {
    descriptor = openSync(path, constants.O_RDONLY | constants.O_CREAT | constants.O_NOFOLLOW, PRIVATE_FILE_MODE);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'it is a symbolic link' : `cannot open it: ${describeError(error)}`;
    throw refused(field, path, reason, error);
  }
  try {
    const stats = fstatSync(descriptor);
    if (!stats.isFile()) throw refused(field, path, 'it is not a regular file');
    requireOwnedByCaller(field, path, stats);
    if ((stats.mode & 0o777) !== PRIVATE_FILE_MODE) fchmodSync(descriptor, PRIVATE_FILE_MODE);
  } finally {
    closeSync(descriptor);
  }
}

/** Logs a warning when group or others may read or change the private key `keyFile`. */
export function warnIfKeyExposed(keyFile: string, logger: Pick<Logger, 'warn'>): void {
  const mode = statSync(keyFile).mode;
  if ((mode & GROUP_OR_OTHER_ANY) === 0) return;
  logger.warn({ key: keyFile, mode: octal(mode) }, `the private key ${keyFile} is readable or writable by group or others: whoever reads it can impersonate this program; chmod 600 it`);
}

function requireOwnedByCaller(field: string, path: string, stats: Stats): void {
  const uid = process.geteuid?.();
  if (uid === undefined || stats.uid === uid) return;
  throw refused(field, path, `it belongs to uid ${stats.uid}, not to this user (uid ${uid}): another user made it and could change what is in it; give a new path`);
}

function refused(field: string, path: string, reason: string, cause?: unknown): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${field}: refusing ${path}: ${reason}`, { field, ...(cause !== undefined && { cause }) });
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}
