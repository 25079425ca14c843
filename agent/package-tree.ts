// An SVR4 package directory (Solaris, SPEC §5.3) copied into the agent's staging directory
// under the rules of package-path-guard.ts, applied to every entry of the tree: no symlink,
// nothing but directories and regular files, each one root's and writable by nobody else, and
// bounded in entries, depth and bytes. pkgadd reads the copy; the digest is over the tree's
// manifest (each entry's path, type, mode, size and content sha256, sorted), so it names the
// bytes pkgadd installs as an rpm's sha256 does (docs/security.md §2).
import { createHash } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidArgument } from '../shared/errors.js';
import { copyHashed } from './hashed-copy.js';
import { MAX_PACKAGE_BYTES } from './package-path-guard.js';
import { assertTrustedEntry } from './trusted-path.js';

/** Far more than any data service package holds (pkgmap lines); a tree past it is refused, not walked on. */
export const MAX_TREE_ENTRIES = 10_000;
export const MAX_TREE_DEPTH = 32;

const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

export interface CopiedTree {
  /** Bytes of every file together. */
  size: number;
  /** sha256 of the manifest. */
  sha256: string;
  entries: number;
}

interface Walk {
  field: string;
  /** The path as requested, for messages. */
  path: string;
  manifest: string[];
  size: number;
}

/**
 * Copies the package directory `source` (a real path the guard located) to `target`, which
 * must not exist. A tree without `pkginfo` at its top is not a package directory.
 */
export async function copyPackageTree(field: string, path: string, source: string, target: string): Promise<CopiedTree> {
  const top = await lstat(join(source, 'pkginfo')).catch(() => undefined);
  if (top === undefined || !top.isFile()) throw invalidArgument(field, `"${path}" is not an SVR4 package directory: it holds no pkginfo file`);
  const walk: Walk = { field, path, manifest: [], size: 0 };
  await copyDirectory(walk, source, target, '', 0);
  walk.manifest.sort();
  return { size: walk.size, sha256: createHash('sha256').update(walk.manifest.join('\n')).digest('hex'), entries: walk.manifest.length };
}

async function copyDirectory(walk: Walk, source: string, target: string, relative: string, depth: number): Promise<void> {
  if (depth > MAX_TREE_DEPTH) throw invalidArgument(walk.field, `"${walk.path}": ${source} is nested more than ${MAX_TREE_DEPTH} directories deep`);
  await mkdir(target, { mode: 0o700 });
  const names = (await readdir(source)).sort();
  for (const name of names) {
    if (walk.manifest.length >= MAX_TREE_ENTRIES) throw invalidArgument(walk.field, `"${walk.path}" holds more than ${MAX_TREE_ENTRIES} entries; a package tree that large is refused`);
    const from = join(source, name);
    const to = join(target, name);
    const entry = relative === '' ? name : `${relative}/${name}`;
    const stats = await lstat(from);
    if (stats.isSymbolicLink()) throw invalidArgument(walk.field, `"${walk.path}": ${from} is a symbolic link; a package tree may hold only directories and regular files`);
    if (!stats.isDirectory() && !stats.isFile()) throw invalidArgument(walk.field, `"${walk.path}": ${from} is neither a directory nor a regular file`);
    assertTrustedEntry(walk.field, from, stats);
    if (stats.isDirectory()) {
      walk.manifest.push(`${entry}\td\t${modeOf(stats)}`);
      await copyDirectory(walk, from, to, entry, depth + 1);
    } else {
      const sha256 = await copyFile(walk, from, to, stats);
      walk.manifest.push(`${entry}\tf\t${modeOf(stats)}\t${stats.size}\t${sha256}`);
    }
  }
}

/** O_NOFOLLOW and fstat on the descriptor: the bytes copied are those of the entry checked. */
async function copyFile(walk: Walk, from: string, to: string, checked: Stats): Promise<string> {
  const input = await open(from, READ_FLAGS);
  try {
    const stats = await input.stat();
    if (!stats.isFile() || stats.dev !== checked.dev || stats.ino !== checked.ino) throw invalidArgument(walk.field, `"${walk.path}": ${from} was replaced while it was being read`);
    // No fsync per file: a copy lost to a crash is no loss, staging is emptied at every start.
    const copied = await copyHashed(input, to, {
      maxBytes: MAX_PACKAGE_BYTES - walk.size,
      tooLarge: () => invalidArgument(walk.field, `"${walk.path}" is larger than ${MAX_PACKAGE_BYTES} bytes`),
      sync: false,
    });
    walk.size += copied.size;
    return copied.sha256;
  } finally {
    await input.close();
  }
}

function modeOf(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}
