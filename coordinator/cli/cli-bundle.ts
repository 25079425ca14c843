// Issue 19: how `lockstep` runs its command tree — from the one CommonJS bundle the build makes
// of program.ts, with its V8 code cache (shared/code-bundle.ts).
import { fileURLToPath } from 'node:url';
import type { Script } from 'node:vm';
import { codeCacheOf, loadCodeBundle } from '../../shared/code-bundle.js';

export const CLI_BUNDLE = fileURLToPath(new URL('./lockstep-cli.cjs', import.meta.url));
export const CLI_CODE_CACHE = codeCacheOf(CLI_BUNDLE);

interface CliModule {
  runCli(): Promise<void>;
}

export function loadCliBundle(): { cli: CliModule; script: Script } {
  const { exports, script } = loadCodeBundle<CliModule>(CLI_BUNDLE);
  return { cli: exports, script };
}
