// An SVR4 package directory as pkgtrans writes one (pkginfo, pkgmap, reloc/ and root/), for
// the agent tests: what the path guard walks, staging copies and pkgadd would read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Svr4PackageDirOptions {
  pkg?: string;
  version?: string;
  basedir?: string;
  /** Files below BASEDIR (reloc/), by their path relative to it. */
  reloc?: Record<string, string>;
  /** Files at absolute paths (root/), by that path. */
  root?: Record<string, string>;
}

/** Writes PARENT/PKG and returns its path. */
export function writeSvr4PackageDir(parent: string, options: Svr4PackageDirOptions = {}): string {
  const pkg = options.pkg ?? 'LABapp';
  const dir = join(parent, pkg);
  const basedir = options.basedir ?? '/opt';
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text, { mode: 0o644 });
  };
  write(join(dir, 'pkginfo'), [`PKG=${pkg}`, 'NAME=LAB application data service', 'ARCH=sparc', `VERSION=${options.version ?? '2.0,REV=2008.10.22'}`, `BASEDIR=${basedir}`, 'CATEGORY=application', ''].join('\n'));
  const reloc = options.reloc ?? {};
  const root = options.root ?? {};
  const pkgmap = [': 1 512', ...Object.keys(reloc).map((path) => `1 f none ${path} 0555 root bin 1 1 1`), ...Object.keys(root).map((path) => `1 f none ${path} 0444 root bin 1 1 1`)];
  write(join(dir, 'pkgmap'), `${pkgmap.join('\n')}\n`);
  for (const [path, text] of Object.entries(reloc)) write(join(dir, 'reloc', path), text);
  for (const [path, text] of Object.entries(root)) write(join(dir, 'root', path), text);
  return dir;
}
