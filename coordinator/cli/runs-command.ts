// SPEC §7: `lockstep runs` — the runs the coordinator knows, newest first.
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { RunView } from '../../shared/domain/run.js';
import { withCoordinator } from './coordinator-connection.js';
import { renderTable } from './text-table.js';
import { windowCell } from './window-summary.js';

export function registerRunsCommand(program: Command): void {
  program
    .command('runs')
    .description('list runs, newest first')
    .option('--limit <n>', 'at most this many (default: the coordinator decides)', parseLimit)
    .action((flags: { limit?: number }, command: Command) =>
      withCoordinator(command, async (client) => {
        process.stdout.write(renderRunList(await client.listRuns(flags.limit ?? 0)));
        return EXIT.ok;
      }),
    );
}

export function renderRunList(runs: readonly RunView[], nowMs = Date.now()): string {
  if (runs.length === 0) return 'no runs\n';
  return renderTable(
    // WINDOW last: it has spaces, and the columns before it stay where awk finds them.
    ['RUN', 'STATE', 'CLUSTER', 'PROCEDURE', 'CREATED', 'UPDATED', 'WINDOW'],
    runs.map((run) => [run.id, run.state, run.cluster, run.procedure, new Date(run.createdAtMs).toISOString(), new Date(run.updatedAtMs).toISOString(), windowCell(run, nowMs)]),
  );
}

/** `--limit N` of the listing commands (runs, audit). */
export function parseLimit(value: string): number {
  if (!/^\d{1,6}$/.test(value)) throw new InvalidArgumentError('expected a whole number');
  return Number(value);
}
