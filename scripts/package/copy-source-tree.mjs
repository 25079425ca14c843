// A clean copy of the working tree (what git tracks or would track, as it is on disk now),
// so that building and packing never write into the repository's own dist/ while tests
// run from it, and never ship stale files an earlier build left there.
import { copyFileSync, existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandOutput } from './run-command.mjs';

/** Copies the source tree of `repo` into `target`; node_modules is the repository's, linked. */
export function copySourceTree(repo, target) {
  const files = commandOutput(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repo }).split('\0');
  for (const file of files) {
    const from = join(repo, file);
    // Deleted but not yet staged, or a directory entry (a submodule): nothing to copy.
    if (file === '' || !existsSync(from) || !lstatSync(from).isFile()) continue;
    mkdirSync(dirname(join(target, file)), { recursive: true });
    copyFileSync(from, join(target, file));
  }
  // The compiler and its types; the packed tarball never contains node_modules.
  symlinkSync(join(repo, 'node_modules'), join(target, 'node_modules'));
}
