// SPEC §7: `lockstep pause|resume|cancel RUN` — one verb each, same shape: ask, then say where
// the run now stands.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { RunView } from '../../shared/domain/run.js';
import type { Coordinator, OperatorClaim } from '../../shared/wire/coordinator-client.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';

const VERBS: ReadonlyArray<{ name: 'pause' | 'resume' | 'cancel'; description: string }> = [
  { name: 'pause', description: 'pause a run at its next safe point' },
  { name: 'resume', description: 'resume a paused run' },
  { name: 'cancel', description: 'cancel a run: no further step starts' },
];

export function registerRunControlCommands(program: Command): void {
  for (const verb of VERBS) {
    program
      .command(verb.name)
      .description(verb.description)
      .argument('<run>', 'the run id')
      .option('--comment <text>', 'why, for the audit trail')
      .action((runId: string, flags: { comment?: string }, command: Command) =>
        withCoordinator(command, async (client) => {
          const run = await control(client, verb.name, runId, { operator: invokingUser(), comment: flags.comment ?? '' });
          process.stdout.write(`run ${run.id} is ${run.state}\n`);
          return EXIT.ok;
        }),
      );
  }
}

function control(client: Coordinator, verb: (typeof VERBS)[number]['name'], runId: string, by: OperatorClaim): Promise<RunView> {
  switch (verb) {
    case 'pause':
      return client.pause(runId, by);
    case 'resume':
      return client.resume(runId, by);
    case 'cancel':
      return client.cancel(runId, by);
  }
}
