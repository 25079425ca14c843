// SPEC §5.5/§7: `lockstep rollback RUN` — start the run that undoes RUN's changes; its id is
// the last line, as with `apply`.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';

export function registerRollbackCommand(program: Command): void {
  program
    .command('rollback')
    .description("start a run that undoes a run's changes on the nodes it changed")
    .argument('<run>', 'the run id')
    .option('--comment <text>', 'why, for the audit trail')
    .action((runId: string, flags: { comment?: string }, command: Command) =>
      withCoordinator(command, async (client) => {
        const rollbackRunId = await client.rollback(runId, invokingUser(), flags.comment ?? '');
        process.stdout.write(`started rollback of ${runId}; follow it with: lockstep watch ${rollbackRunId}\n${rollbackRunId}\n`);
        return EXIT.ok;
      }),
    );
}
