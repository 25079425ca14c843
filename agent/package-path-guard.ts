// SPEC §3.3: a package path must be absolute, normalised, inside a configured package
// directory, a regular file ending in .rpm. The file is opened once, with no symlink followed
// anywhere below the package directory, and that descriptor is all the agent reads: rpm never
// sees the path (package-staging.ts), because rpm re-opens and even glob-expands its file
// arguments (docs/security.md §2). On Solaris (format svr4) a package is a datastream file
// ending in .pkg or a package directory; the directory's tree is walked by package-tree.ts
// under the same rules.
import { constants, type Stats } from 'node:fs';
import { lstat, open, realpath, type FileHandle } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import { requireText } from '../shared/names.js';
import { assertTrustedDirectory, assertTrustedEntry } from './trusted-path.js';

/** Larger than any vendor update rpm; the copy in the state directory is bounded by it. */
export const MAX_PACKAGE_BYTES = 1024 * 1024 * 1024;

/** rpm glob-expands `*?[]{}` in file arguments; whitespace and control characters only mislead. */
const UNSAFE_CHARACTERS = /[*?[\]{}\s\p{Cc}]/u;
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

/** A package file opened for reading; the caller closes `handle`. */
export interface OpenedPackage {
  handle: FileHandle;
  /** The file's real path, for messages. */
  path: string;
  size: number;
}

/** rpm files on Linux; SVR4 datastreams (`.pkg`) and package directories on Solaris. */
export type PackageFormat = 'rpm' | 'svr4';

/** What a package path names: a file, opened; or a package directory (svr4), checked but not yet read. */
export type LocatedPackage = { kind: 'file'; opened: OpenedPackage } | { kind: 'directory'; path: string };

interface PackageDir {
  given: string;
  real: string;
}

export class PackagePathGuard {
  private resolvedDirs: Promise<PackageDir[]> | undefined;

  constructor(
    private readonly packageDirs: readonly string[],
    readonly format: PackageFormat = 'rpm',
  ) {}

  /** At start: every configured directory that exists, and each one above it, can be changed by root alone. */
  async verifyDirectories(): Promise<void> {
    for (const dir of await this.dirs()) {
      const exists = await lstat(dir.real).then(
        () => true,
        () => false,
      );
      if (exists) await assertTrustedDirectory('--package-dir', dir.real);
    }
  }

  /** Opens an acceptable package file, or refuses (INVALID_ARGUMENT / UNTRUSTED_PATH) naming `field`. */
  async open(field: string, path: string): Promise<OpenedPackage> {
    const located = await this.locate(field, path);
    if (located.kind === 'directory') throw invalidArgument(field, `"${path}" is a directory; a package file is expected here`);
    return located.opened;
  }

  /**
   * The package at `path`: a file (opened), or with format svr4 a package directory, every
   * directory on the way to it checked as the package directory is (no symlinks, root's).
   */
  async locate(field: string, path: string): Promise<LocatedPackage> {
    checkSyntax(field, path, this.format);
    const dirs = await this.dirs();
    if (dirs.length === 0) throw invalidArgument(field, 'no package directory is configured on this agent (--package-dir)');
    const dir = dirs.find((each) => path.startsWith(each.given + sep) || path.startsWith(each.real + sep));
    if (dir === undefined) throw invalidArgument(field, `"${path}" is outside the package directories (${dirs.map((each) => each.given).join(', ')})`);
    await assertTrustedDirectory(field, dir.real);
    const below = path.slice((path.startsWith(dir.given + sep) ? dir.given : dir.real).length + 1).split(sep);
    const { real, stats } = await walkBelow(field, path, dir.real, below);
    if (stats.isDirectory() && this.format === 'svr4' && !path.endsWith('.pkg')) {
      assertTrustedEntry(field, real, stats);
      return { kind: 'directory', path: real };
    }
    if (!stats.isFile()) throw invalidArgument(field, `"${path}" is not a regular file`);
    const suffix = FILE_SUFFIX_BY_FORMAT[this.format];
    if (!path.endsWith(suffix)) throw invalidArgument(field, `"${path}" is a file not ending in ${suffix}${this.format === 'svr4' ? ' (a datastream) nor a package directory' : ''}`);
    return { kind: 'file', opened: await openChecked(field, real, stats) };
  }

  /**
   * Opens the file at `relative` inside a package directory this guard located, following
   * no symlink and taking only directories root alone can change (the RTR file a package
   * installs, read before it is installed). At most `maxBytes` are accepted.
   */
  async openInside(field: string, packageDir: string, relative: string, maxBytes: number): Promise<OpenedPackage> {
    const parts = relative.split(sep);
    if (relative === '' || isAbsolute(relative) || parts.some((part) => part === '' || part === '.' || part === '..')) {
      throw invalidArgument(field, `"${relative}" is not a relative path inside the package`);
    }
    const { real, stats } = await walkBelow(field, join(packageDir, relative), packageDir, parts);
    if (!stats.isFile()) throw invalidArgument(field, `"${join(packageDir, relative)}" is not a regular file`);
    return openChecked(field, real, stats, maxBytes);
  }

  private dirs(): Promise<PackageDir[]> {
    // Resolved once: the directories are configuration, not request input.
    this.resolvedDirs ??= Promise.all(
      this.packageDirs.map(async (dir) => ({ given: normalize(dir).replace(/\/$/, ''), real: await realpath(dir).catch(() => normalize(dir).replace(/\/$/, '')) })),
    );
    return this.resolvedDirs;
  }
}

const FILE_SUFFIX_BY_FORMAT: Record<PackageFormat, string> = { rpm: '.rpm', svr4: '.pkg' };

function checkSyntax(field: string, path: string, format: PackageFormat): void {
  const wanted = format === 'rpm' ? 'an .rpm file' : 'an SVR4 package directory or .pkg datastream file';
  if (path === '') throw invalidArgument(field, `is required: the absolute path of ${wanted} on the node`);
  requireText(field, path, 1024);
  const unsafe = UNSAFE_CHARACTERS.exec(path);
  if (unsafe !== null) throw invalidArgument(field, `"${JSON.stringify(path).slice(1, -1)}" contains ${JSON.stringify(unsafe[0])}: package paths may not contain * ? [ ] { }, whitespace or control characters`);
  if (!isAbsolute(path)) throw invalidArgument(field, `"${path}" is not absolute`);
  if (normalize(path) !== path || path.endsWith(sep)) throw invalidArgument(field, `"${path}" is not normalised (expected ${normalize(path).replace(/\/$/, '')})`);
  if (format === 'rpm' && !path.endsWith('.rpm')) throw invalidArgument(field, `"${path}" does not end in .rpm`);
}

/** Each entry from `base` down along `below`: none a symlink, every directory on the way root's. */
async function walkBelow(field: string, path: string, base: string, below: readonly string[]): Promise<{ real: string; stats: Stats }> {
  let real = base;
  let stats: Stats | undefined;
  for (const [index, name] of below.entries()) {
    real = join(real, name);
    stats = await lstatEntry(field, path, real);
    if (stats.isSymbolicLink()) throw invalidArgument(field, `"${path}": ${real} is a symbolic link; symbolic links are not followed in a package directory, give the file itself`);
    if (index < below.length - 1) {
      if (!stats.isDirectory()) throw invalidArgument(field, `"${path}": ${real} is not a directory`);
      assertTrustedEntry(field, real, stats);
    }
  }
  return { real, stats: stats as Stats };
}

async function lstatEntry(field: string, path: string, real: string): Promise<Stats> {
  try {
    return await lstat(real);
  } catch {
    throw invalidArgument(field, `"${path}" does not exist on this node`);
  }
}

/** O_NOFOLLOW, then fstat on the descriptor: the file read is the one checked, whatever the path names meanwhile. */
async function openChecked(field: string, real: string, checked: Stats, maxBytes = MAX_PACKAGE_BYTES): Promise<OpenedPackage> {
  let handle: FileHandle;
  try {
    handle = await open(real, OPEN_FLAGS);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${field}: "${real}" cannot be opened: ${(error as Error).message}`, { field, cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile() || stats.dev !== checked.dev || stats.ino !== checked.ino) throw invalidArgument(field, `"${real}" was replaced while it was being opened`);
    if (stats.size > maxBytes) throw invalidArgument(field, `"${real}" is ${stats.size} bytes; at most ${maxBytes} are accepted`);
    return { handle, path: real, size: stats.size };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
