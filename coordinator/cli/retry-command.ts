// SPEC §4.1/§7: `lockstep retry RUN [--node N]` — run a blocked run's failed step again, on one
// node or on every node where it failed.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';

export function registerRetryCommand(program: Command): void {
  program
    .command('retry')
    .description("retry a blocked run's failed step")
    .argument('<run>', 'the run id')
    .option('--node <name>', "retry only this node's failed step")
    .option('--comment <text>', 'why, for the audit trail')
    .action((runId: string, flags: { node?: string; comment?: string }, command: Command) =>
      withCoordinator(command, async (client) => {
        const run = await client.retry(runId, flags.node, { operator: invokingUser(), comment: flags.comment ?? '' });
        process.stdout.write(`retrying ${flags.node === undefined ? 'every failed step' : `the failed step on ${flags.node}`}; run ${run.id} is ${run.state}\n`);
        return EXIT.ok;
      }),
    );
}
