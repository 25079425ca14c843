// The installed program as it will run on a host: the packed tarball's files, its
// production dependencies from the lockfile (`npm ci --omit=dev`), native addons compiled
// here from source, and nothing a running program does not read (no source maps, type
// declarations, addon sources or build intermediates).
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { runCommand } from './run-command.mjs';

/** Files inside node_modules that nothing loads at run time: source maps, TypeScript sources and declarations. */
const UNUSED_FILE = /\.(map|ts|mts|cts|tsbuildinfo)$/;
/** A dependency's own tests, benchmarks and examples, at the top of its directory. */
const UNUSED_DIR = new Set(['test', 'tests', '__tests__', 'bench', 'benchmark', 'benchmarks', 'example', 'examples']);

/** Unpacks `tarball` into `target`, installs its production dependencies, and trims them. */
export function buildProductionTree(tarball, lockfile, target) {
  mkdirSync(target, { recursive: true });
  runCommand(['tar', '-xzf', tarball, '-C', target, '--strip-components=1']);
  copyFileSync(lockfile, join(target, 'package-lock.json'));
  // No lifecycle scripts: the root's `prepare` would try to compile sources that are not
  // here, and a dependency's install script runs only when package.json allows it (below).
  runCommand(['npm', 'ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: target });
  const allowed = nativeAddons(target);
  // From source, always: a prebuilt binary would be a download from outside the registry.
  // (prebuild-install reads this through rc; npm itself warns about npm_config_build_from_source.)
  if (allowed.length > 0) runCommand(['npm', 'rebuild', ...allowed], { cwd: target, env: { 'prebuild-install_buildFromSource': 'true' } });
  rmSync(join(target, 'package-lock.json'));
  for (const addon of allowed) trimAddon(join(target, 'node_modules', addon));
  removeUnusedFiles(join(target, 'node_modules'));
}

/** The installed dependencies whose install scripts package.json's `allowScripts` allows. */
function nativeAddons(target) {
  const { allowScripts = {} } = JSON.parse(readFileSync(join(target, 'package.json'), 'utf8'));
  return Object.entries(allowScripts)
    .filter(([name, allowed]) => allowed === true && existsSync(join(target, 'node_modules', name)))
    .map(([name]) => name);
}

/**
 * A node-gyp addon needs only its JavaScript and build/Release/*.node once compiled; the
 * addons its own tests load (better-sqlite3's test_extension.node) go too.
 */
function trimAddon(dir) {
  const release = join(dir, 'build', 'Release');
  if (!existsSync(release)) return;
  for (const entry of readdirSync(release)) {
    if (!entry.endsWith('.node') || entry.startsWith('test')) rmSync(join(release, entry), { recursive: true, force: true });
  }
  for (const entry of readdirSync(join(dir, 'build'))) {
    if (entry !== 'Release') rmSync(join(dir, 'build', entry), { recursive: true, force: true });
  }
  for (const source of ['deps', 'src', 'binding.gyp']) rmSync(join(dir, source), { recursive: true, force: true });
}

function removeUnusedFiles(dir, packageRoot = false) {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    const stat = lstatSync(path);
    if (stat.isDirectory() && packageRoot && UNUSED_DIR.has(entry)) rmSync(path, { recursive: true });
    else if (stat.isDirectory()) removeUnusedFiles(path, isPackagesDir(dir));
    else if (UNUSED_FILE.test(entry)) rmSync(path);
  }
  // A directory that held only TypeScript sources (zod's src/) is left with nothing.
  if (readdirSync(dir).length === 0) rmSync(dir, { recursive: true });
}

/** node_modules, or a @scope inside one: its subdirectories are packages. */
function isPackagesDir(dir) {
  return basename(dir) === 'node_modules' || (basename(dir).startsWith('@') && basename(dirname(dir)) === 'node_modules');
}
