// Issue 19: a program started from one CommonJS bundle the build makes of its modules
// (scripts/bundle-cli.mjs), compiled with the V8 code cache made beside it at build time
// (FILE.cache). Node 20 has no compile cache, and resolving and compiling a few hundred modules
// one by one was most of the CLI's start and ~0.45 s of every coordinator restart. V8 checks the
// cache (its version, its flags, the source) and compiles from the source when it does not fit,
// so a stale or missing cache only costs time.
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { constants, Script } from 'node:vm';

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** The bundle, evaluated as Node evaluates a CommonJS module; `script` can make a new code cache. */
export function loadCodeBundle<T>(bundle: string): { exports: T; script: Script } {
  const source = readBundle(bundle);
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: readCodeCache(codeCacheOf(bundle)),
    // A package the bundle leaves outside and imports (not requires) loads as from any module.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as T };
  const wrapper = script.runInThisContext() as CommonJsWrapper;
  wrapper.call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { exports: module.exports, script };
}

/**
 * The bundle's source; one that is missing says which step makes it, rather than a bare ENOENT.
 * esbuild writes it in ASCII (non-ASCII characters escaped), and an ASCII file taken as latin1 is
 * the same text without UTF-8 decoding: 5 ms less of a 1.1 MB bundle's start (docs/PERFORMANCE.md §4.7).
 */
function readBundle(bundle: string): string {
  try {
    const bytes = readFileSync(bundle);
    return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    throw new Error(`${bundle} is missing: this build was not bundled (run \`npm run build\`, which runs scripts/bundle-cli.mjs)`, { cause: error });
  }
}

export function codeCacheOf(bundle: string): string {
  return `${bundle}.cache`;
}

function readCodeCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}
