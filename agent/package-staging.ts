// A package file is read once, from the descriptor the path guard opened, into a root-only
// directory of the agent's state directory, and hashed as it is copied. rpm gets the copy
// only: its `-qp` and its `-U` read the bytes the digest describes, wherever the original path
// points by then (docs/security.md §2). An SVR4 package directory is copied whole
// (package-tree.ts) and pkgadd reads that copy.
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import { copyHashed } from './hashed-copy.js';
import { MAX_PACKAGE_BYTES, type PackagePathGuard } from './package-path-guard.js';
import { copyPackageTree } from './package-tree.js';

/** The copy rpm reads. `remove` deletes it; call it once the operation is over. */
export interface StagedPackage {
  path: string;
  /** A package file (rpm, SVR4 datastream) or an SVR4 package directory. */
  kind: 'file' | 'directory';
  size: number;
  sha256: string;
  remove(): Promise<void>;
}

export class PackageStaging {
  private readonly dir: string;
  private prepared: Promise<void> | undefined;

  /** `stateDir`: the agent's state directory; the copies live in its `staging/`. */
  constructor(
    private readonly guard: PackagePathGuard,
    stateDir: string,
  ) {
    this.dir = join(stateDir, 'staging');
  }

  /**
   * The staging directory exists, is the agent's own and 0700, and holds nothing left from
   * before. Done once; the agent calls it at start so that a problem shows then.
   */
  prepare(): Promise<void> {
    this.prepared ??= this.create();
    return this.prepared;
  }

  private async create(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const stats = await lstat(this.dir);
    if (!stats.isDirectory() || stats.uid !== (process.geteuid?.() ?? 0)) {
      throw new LockstepError('LOCKSTEP_E_UNTRUSTED_PATH', `--state-dir: ${this.dir} is not a directory of the agent's own user; remove it and start again`, { field: '--state-dir' });
    }
    await chmod(this.dir, 0o700);
    const leftovers = await readdir(this.dir);
    await Promise.all(leftovers.map((entry) => rm(join(this.dir, entry), { recursive: true, force: true })));
  }

  /** Checks and copies the package at `path` (refusing as the path guard does, naming `field`). */
  async stage(field: string, path: string): Promise<StagedPackage> {
    await this.prepare();
    const located = await this.guard.locate(field, path);
    // A directory per copy keeps the file's own name, so rpm's messages and the journal's
    // command lines still say which package it was (and pkgadd finds a package directory by it).
    const holder = join(this.dir, randomBytes(12).toString('hex'));
    const remove = (): Promise<void> => rm(holder, { recursive: true, force: true });
    try {
      await mkdir(holder, { mode: 0o700 });
      if (located.kind === 'directory') {
        const copy = join(holder, basename(located.path));
        const { size, sha256 } = await copyPackageTree(field, path, located.path, copy);
        return { path: copy, kind: 'directory', size, sha256, remove };
      }
      const copy = join(holder, basename(located.opened.path));
      // The file may grow while it is read: the bound holds for what is copied, not only for fstat's size.
      const { size, sha256 } = await copyHashed(located.opened.handle, copy, {
        maxBytes: MAX_PACKAGE_BYTES,
        tooLarge: () => invalidArgument(field, `"${path}" grew past ${MAX_PACKAGE_BYTES} bytes while it was read`),
        sync: true,
      });
      return { path: copy, kind: 'file', size, sha256, remove };
    } catch (error) {
      await remove();
      throw error;
    } finally {
      if (located.kind === 'file') await located.opened.handle.close();
    }
  }
}
