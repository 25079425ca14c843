// SPEC §7: `lockstep pause|resume|cancel RUN` — one verb each, same shape: ask, then say where
// the run now stands.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { RunView } from '../../shared/domain/run.js';
import type { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { withCoordinator } from './coordinator-connection.js';

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
      .action((runId: string, _flags: object, command: Command) =>
        withCoordinator(command, async (client) => {
          const run = await control(client, verb.name, runId);
          process.stdout.write(`run ${run.id} is ${run.state}\n`);
          return EXIT.ok;
        }),
      );
  }
}

function control(client: CoordinatorClient, verb: (typeof VERBS)[number]['name'], runId: string): Promise<RunView> {
  switch (verb) {
    case 'pause':
      return client.pause(runId);
    case 'resume':
      return client.resume(runId);
    case 'cancel':
      return client.cancel(runId);
  }
}
