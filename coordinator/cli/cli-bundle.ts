// Issue 19: how `lockstep` runs its command tree — from the one CommonJS bundle the build makes
// of program.ts (scripts/bundle-cli.mjs), compiled with the V8 code cache made beside it at build
// time. Node 20 has no compile cache, and resolving and compiling ~150 modules one by one was
// most of a `lockstep status` call. V8 checks the cache (its version, its flags, the source)
// and compiles from the source when it does not fit, so a stale or missing cache only costs time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants, Script } from 'node:vm';

export const CLI_BUNDLE = fileURLToPath(new URL('./lockstep-cli.cjs', import.meta.url));
export const CLI_CODE_CACHE = `${CLI_BUNDLE}.cache`;

interface CliModule {
  runCli(): Promise<void>;
}

type CommonJsWrapper = (exports: unknown, require: NodeJS.Require, module: { exports: unknown }, filename: string, dirname: string) => void;

/** The bundle, evaluated as Node evaluates a CommonJS module; `script` can make a new code cache. */
export function loadCliBundle(): { cli: CliModule; script: Script } {
  const source = readFileSync(CLI_BUNDLE, 'utf8');
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: CLI_BUNDLE,
    cachedData: readCodeCache(),
    // A package the bundle leaves outside and imports (not requires) loads as from any module.
    importModuleDynamically: constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const module = { exports: {} as CliModule };
  const wrapper = script.runInThisContext() as CommonJsWrapper;
  wrapper.call(module.exports, module.exports, createRequire(CLI_BUNDLE), module, CLI_BUNDLE, dirname(CLI_BUNDLE));
  return { cli: module.exports, script };
}

function readCodeCache(): Buffer | undefined {
  try {
    return readFileSync(CLI_CODE_CACHE);
  } catch {
    return undefined;
  }
}
