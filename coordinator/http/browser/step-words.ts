// How a step's state and a blocker's remedies read to an operator, the same in the terminal
// (coordinator/cli/run-grid.ts) and on the dashboard (run-page.ts). Pure, no Node, no DOM:
// the browser loads it as it is compiled.
import type { Blocker, StepState } from '../../../shared/domain/run.js';

export const CELL_WORDS: Readonly<Record<StepState, string>> = {
  pending: '·',
  dispatched: 'running',
  succeeded: 'ok',
  failed: 'FAILED',
  skipped: 'skipped',
  waiting: 'waiting',
};

/** A barrier, gate or notice is not "ok" but passed. */
export const COORDINATOR_WORDS: Readonly<Record<StepState, string>> = { ...CELL_WORDS, succeeded: 'passed' };

/** A remedy of a blocked run (run-driver.ts) as the CLI command that applies it. */
export function remedyCommand(runId: string, blocker: Blocker, remedy: string): string {
  switch (remedy) {
    case 'retry':
      return blocker.node === '' ? `lockstep retry ${runId}` : `lockstep retry ${runId} --node ${blocker.node}`;
    case 'cancel':
    case 'rollback':
    case 'resume':
      return `lockstep ${remedy} ${runId}`;
    default:
      return remedy;
  }
}
