// Reads one file an SVR4 package directory will install — the resource type's RTR file, which
// the coordinator's preflight parses before anything is installed (SPEC §5.3) — from the
// package itself: `root/PATH` for an absolute path, `reloc/PATH-BELOW-BASEDIR` for a
// relocatable one (pkgmap(4)). Under the path guard (no symlink, root's directories) and
// size-capped, so the call reads nothing a package directory could not already give pkgadd.
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { isAbsolute, join, normalize, posix } from 'node:path';
import type { PackageText } from '../shared/domain/solaris.js';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import { requireText } from '../shared/names.js';
import type { OpenedPackage, PackagePathGuard } from './package-path-guard.js';

/** An RTR file is a few KiB; a package's pkginfo less. */
export const MAX_PACKAGE_TEXT_BYTES = 256 * 1024;
/** pkgadd's default BASEDIR for a relocatable package without one in pkginfo. */
const DEFAULT_BASEDIR = '/opt';

export class PackageFileReader {
  constructor(private readonly guard: PackagePathGuard) {}

  async read(packagePath: string, installedPath: string): Promise<PackageText> {
    requireText('installed_path', installedPath, 1024);
    if (!isAbsolute(installedPath) || normalize(installedPath) !== installedPath || installedPath === '/') {
      throw invalidArgument('installed_path', `"${installedPath}" is not the absolute, normalised path of a file the package installs`);
    }
    if (this.guard.format !== 'svr4') {
      throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', 'reading a file from inside a package is supported for SVR4 package directories (Solaris) only', { field: 'package_path' });
    }
    const located = await this.guard.locate('package_path', packagePath);
    if (located.kind !== 'directory') {
      await located.opened.handle.close();
      throw invalidArgument('package_path', `"${packagePath}" is a datastream file; files are read from package directories only (pkgtrans it to a directory)`);
    }
    const candidates = [`root${installedPath}`];
    const basedir = await this.basedir(located.path);
    if (basedir === '/' || installedPath.startsWith(`${basedir}/`)) candidates.push(`reloc/${posix.relative(basedir, installedPath)}`);
    for (const candidate of candidates) {
      const exists = await lstat(join(located.path, candidate)).then(
        () => true,
        () => false,
      );
      if (exists) return readText(await this.guard.openInside('installed_path', located.path, candidate, MAX_PACKAGE_TEXT_BYTES));
    }
    throw new LockstepError(
      'LOCKSTEP_E_NOT_FOUND',
      `installed_path: the package ${packagePath} does not install ${installedPath} (looked for ${candidates.map((candidate) => join(packagePath, candidate)).join(' and ')})`,
      { field: 'installed_path' },
    );
  }

  /** BASEDIR from the package's pkginfo file (pkginfo(4)), or pkgadd's default. */
  private async basedir(packageDir: string): Promise<string> {
    const pkginfo = await readText(await this.guard.openInside('package_path', packageDir, 'pkginfo', MAX_PACKAGE_TEXT_BYTES));
    const line = pkginfo.text.split('\n').find((entry) => entry.startsWith('BASEDIR='));
    const value = line?.slice('BASEDIR='.length).trim().replace(/^"(.*)"$/, '$1');
    const basedir = value === undefined || value === '/' ? value : value.replace(/\/$/, '');
    return basedir !== undefined && basedir.startsWith('/') && normalize(basedir) === basedir ? basedir : DEFAULT_BASEDIR;
  }
}

async function readText(opened: OpenedPackage): Promise<PackageText> {
  try {
    const bytes = Buffer.alloc(opened.size);
    let offset = 0;
    while (offset < opened.size) {
      const { bytesRead } = await opened.handle.read(bytes, offset, opened.size - offset, offset);
      if (bytesRead === 0) break;
      offset += bytesRead;
    }
    const content = bytes.subarray(0, offset);
    if (content.includes(0)) throw invalidArgument('installed_path', `${opened.path} is not a text file`);
    return { text: content.toString('utf8'), path: opened.path, sha256: createHash('sha256').update(content).digest('hex') };
  } finally {
    await opened.handle.close();
  }
}
