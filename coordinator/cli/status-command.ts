// SPEC §7: `lockstep status RUN [--json]`. The JSON is a contract read by scripts and by tests
// outside the project: {"id", "state", "steps": [{"id", "kind", "node", "state", …}], …}.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { RunView } from '../../shared/domain/run.js';
import { terminalJson } from '../../shared/terminal-text.js';
import { withCoordinator } from './coordinator-connection.js';
import { renderRunGrid } from './run-grid.js';

export function registerStatusCommand(program: Command): void {
  program
    .command('status')
    .description('show a run: the node × step grid, what blocks it and which gates wait')
    .argument('<run>', 'the run id')
    .option('--json', 'print the run as JSON')
    .action((runId: string, flags: { json?: boolean }, command: Command) =>
      withCoordinator(command, async (client) => {
        const run = await client.getRun(runId);
        process.stdout.write(flags.json === true ? `${terminalJson(JSON.stringify(runJson(run), null, 2))}\n` : renderRunGrid(run));
        return EXIT.ok;
      }),
    );
}

/** Every key always present (null when there is nothing), in an order a person can read. */
export function runJson(run: RunView): Record<string, unknown> {
  return {
    id: run.id,
    state: run.state,
    cluster: run.cluster,
    procedure: run.procedure,
    planHash: run.planHash,
    steps: run.steps,
    blocker: run.blocker ?? null,
    pendingGates: run.pendingGates,
    createdAtMs: run.createdAtMs,
    updatedAtMs: run.updatedAtMs,
    nextWindowAtMs: run.nextWindowAtMs ?? null,
  };
}
