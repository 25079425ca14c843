// `lockstep rehearse RUNBOOK [--faults SPEC] [--seed N] [--save-durations FILE]` (issue 17): its definition. What it
// does is in rehearse-run.ts, imported when it runs: the rest of the CLI does not load the lab.
import type { Command } from 'commander';
import { failAndExit } from '../../shared/cli-exit.js';
import type { RehearseFlags } from './rehearse-run.js';

export function registerRehearseCommand(program: Command): void {
  program
    .command('rehearse')
    .description("rehearse a runbook on a twin of its cluster: build the twin, apply the runbook with the faults --faults names, and report each stage's duration, each fault and the run's reaction, and whether the cluster stayed available (exit 0 only then); a run that succeeded also saves its durations per step kind for the real run's window fit (--save-durations)")
    .argument('<runbook>', "the runbook of tonight's run")
    .option('--from-facts <file>', 'build the twin from a facts file (lockstep plan --save-facts) instead of asking the agents')
    .option('--faults <spec>', 'faults to inject, comma-separated: kill-agent[:NODE][@STEP], fail-once[:NODE][=COMMAND], slow-mirror[:FACTOR], power-off[:NODE][@STEP][=SECONDS] (docs/lab.md)')
    .option('--seed <n>', 'draws the NODE and STEP a fault leaves out; the same seed injects the same faults (default: random, printed)')
    .option('--dir <dir>', 'build the twin here (a new or empty directory; kept) rather than in a temporary one')
    .option('--keep', 'keep the temporary twin afterwards (it is kept anyway when the rehearsal fails)')
    .option('--save-durations <file>', 'when the run succeeds, save its measured durations per step kind and segment here (default: rehearsal-durations.json beside the twin, gone with a temporary twin); a runbook\'s "rehearsal: FILE" feeds them to its window fit (docs/operator-guide.md)')
    .action((file: string, flags: RehearseFlags, command: Command) =>
      import('./rehearse-run.js')
        .then(({ rehearse }) => rehearse(file, flags, command))
        .then((code) => process.exit(code), (error: unknown) => failAndExit('lockstep rehearse', error)));
}
