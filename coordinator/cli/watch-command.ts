// SPEC §7/§10: `lockstep watch RUN` — the live node × step grid until the run is final; exit 0
// when it succeeded, 1 when it failed or was cancelled. Gates and blocks are waited through:
// another shell approves or retries.
import type { Command } from 'commander';
import { withCoordinator } from './coordinator-connection.js';
import { followRun, untilFinal } from './run-follower.js';

export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('follow a run live until it succeeds, fails or is cancelled')
    .argument('<run>', 'the run id')
    .action((runId: string, _flags: object, command: Command) =>
      withCoordinator(command, (client) => followRun(client, runId, { screen: process.stdout, stopWhen: untilFinal })),
    );
}
