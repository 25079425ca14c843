// SPEC §9 `lockstep demo` (= npm start). The demo (demo-run.ts) starts a lab, a coordinator
// and its engine: it is imported when the command runs, so that other commands do not load it.
import type { Command } from 'commander';
import { failAndExit } from '../../shared/cli-exit.js';

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('rehearse the CLUSTERPRO X rolling update (CPRO-XL050-06 3.1.3) on a simulated 2-node cluster with Replicator')
    .option('--keep', 'keep the lab directory afterwards (it is printed)')
    .action((flags: { keep?: boolean }) =>
      import('./demo-run.js')
        .then(({ runDemo }) => runDemo(flags.keep === true))
        .then((code) => process.exit(code), (error: unknown) => failAndExit('lockstep demo', error)),
    );
}
