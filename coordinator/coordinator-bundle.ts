// Issue 19: how `lockstep-coordinator` runs — from the one CommonJS bundle the build makes of
// coordinator-main.ts, with its V8 code cache (shared/code-bundle.ts): a restart no longer loads
// a few hundred modules one by one before it can resume its runs.
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import type { Script } from 'node:vm';
import { codeCacheOf, loadCodeBundle } from '../shared/code-bundle.js';

export const COORDINATOR_BUNDLE = fileURLToPath(new URL('./lockstep-coordinator.cjs', import.meta.url));
export const COORDINATOR_CODE_CACHE = codeCacheOf(COORDINATOR_BUNDLE);

interface CoordinatorModule {
  runCoordinator(): void;
}

export function loadCoordinatorBundle(): { coordinator: CoordinatorModule; script: Script } {
  // V8 lets a busy heap grow up to 4× its live size between full collections; with a thousand
  // agents in flight that left 400+ MB resident for a live heap under 160 MB. 1.5× kept it under
  // 300 MB with no measurable cost per round (docs/PERFORMANCE.md §2, fix 11). A GC heuristic,
  // read at every collection, so setting it after start takes effect. Set before the bundle is
  // compiled: V8 accepts a code cache only under the flags it was made with (the build's
  // training run loads the bundle through here too).
  setFlagsFromString('--heap-growing-percent=50');
  const { exports, script } = loadCodeBundle<CoordinatorModule>(COORDINATOR_BUNDLE);
  return { coordinator: exports, script };
}
