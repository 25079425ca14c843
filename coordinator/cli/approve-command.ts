// SPEC §4.1/§7: `lockstep approve RUN GATE [--comment …]`. The coordinator journals who
// approved: the certificate's name under TLS, the invoking user on loopback.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';

export function registerApproveCommand(program: Command): void {
  program
    .command('approve')
    .description('approve a gate (or an operator-confirmed barrier) of a run')
    .argument('<run>', 'the run id')
    .argument('<gate>', 'the gate or barrier id, as `lockstep status` lists it')
    .option('--comment <text>', 'why, for the audit trail')
    .action((runId: string, gate: string, flags: { comment?: string }, command: Command) =>
      withCoordinator(command, async (client) => {
        const operator = invokingUser();
        const run = await client.approve(runId, gate, { operator, comment: flags.comment ?? '' });
        process.stdout.write(`approved ${gate} of run ${run.id}; the run is ${run.state}\n`);
        return EXIT.ok;
      }),
    );
}
