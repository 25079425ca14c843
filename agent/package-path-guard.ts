// SPEC §3.3: a package path must be absolute, normalised, inside a configured package
// directory, a regular file ending in .rpm. Symlinks are resolved before the check, and the
// resolved path is what the driver gets, so a link swapped afterwards changes nothing.
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import { invalidArgument } from '../shared/errors.js';
import { requireText } from '../shared/names.js';

export class PackagePathGuard {
  private resolvedDirs: Promise<string[]> | undefined;

  constructor(private readonly packageDirs: readonly string[]) {}

  /** The real path of an acceptable package file, or INVALID_ARGUMENT naming `field`. */
  async check(field: string, path: string): Promise<string> {
    if (path === '') throw invalidArgument(field, 'is required: the absolute path of an .rpm file on the node');
    requireText(field, path, 1024);
    if (!isAbsolute(path)) throw invalidArgument(field, `"${path}" is not absolute`);
    if (normalize(path) !== path || path.endsWith(sep)) throw invalidArgument(field, `"${path}" is not normalised (expected ${normalize(path).replace(/\/$/, '')})`);
    if (!path.endsWith('.rpm')) throw invalidArgument(field, `"${path}" does not end in .rpm`);
    const dirs = await this.dirs();
    if (dirs.length === 0) throw invalidArgument(field, 'no package directory is configured on this agent (--package-dir)');
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      throw invalidArgument(field, `"${path}" does not exist on this node`);
    }
    if (!dirs.some((dir) => real.startsWith(dir + sep))) {
      throw invalidArgument(field, `"${path}" resolves to "${real}", outside the package directories (${dirs.join(', ')})`);
    }
    if (!real.endsWith('.rpm')) throw invalidArgument(field, `"${path}" resolves to "${real}", which does not end in .rpm`);
    if (!(await stat(real)).isFile()) throw invalidArgument(field, `"${path}" is not a regular file`);
    return real;
  }

  private dirs(): Promise<string[]> {
    // Resolved once: the directories are configuration, not request input.
    this.resolvedDirs ??= Promise.all(this.packageDirs.map((dir) => realpath(dir).catch(() => normalize(dir))));
    return this.resolvedDirs;
  }
}
