// SPEC §7: `lockstep audit [RUN] [--json] [--since TIME]` — the operator trail: who submitted,
// approved, paused, resumed, retried, cancelled or rolled back which run, when, from where, why.
import { InvalidArgumentError, type Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { OperatorAction } from '../../shared/domain/operator-action.js';
import { parseDuration } from '../../shared/duration.js';
import { terminalJson } from '../../shared/terminal-text.js';
import { withCoordinator } from './coordinator-connection.js';
import { parseLimit } from './runs-command.js';
import { renderTable } from './text-table.js';

interface AuditFlags {
  json?: boolean;
  since?: number;
  limit?: number;
}

export function registerAuditCommand(program: Command): void {
  program
    .command('audit')
    .description('list operator actions (submit, approve, pause, resume, retry, cancel, rollback), oldest first')
    .argument('[run]', 'only this run (default: every run)')
    .option('--json', 'print the actions as a JSON array')
    .option('--since <time>', 'only actions at or after TIME: an ISO 8601 instant (2026-12-05T01:00:00Z) or a duration back from now (90m, 2h, 7d)', (value) => parseSince(value, Date.now()))
    .option('--limit <n>', 'at most the newest N (default 1000)', parseLimit)
    .action((runId: string | undefined, flags: AuditFlags, command: Command) =>
      withCoordinator(command, async (client) => {
        const actions = await client.listAudit({ runId: runId ?? '', sinceMs: flags.since ?? 0, limit: flags.limit ?? 0 });
        process.stdout.write(flags.json === true ? `${terminalJson(JSON.stringify(actions, null, 2))}\n` : renderAudit(actions));
        return EXIT.ok;
      }),
    );
}

export function renderAudit(actions: readonly OperatorAction[]): string {
  if (actions.length === 0) return 'no operator actions\n';
  return renderTable(
    // COMMENT last: it has spaces, and the columns before it stay where awk finds them.
    ['TIME', 'RUN', 'ACTION', 'OPERATOR', 'FROM', 'DETAIL', 'COMMENT'],
    actions.map((action) => [new Date(action.atMs).toISOString(), action.runId, action.action, action.operator, action.address, action.detail || '-', action.comment]),
  );
}

/** An ISO 8601 instant with a date, or a duration back from `nowMs`. */
export function parseSince(value: string, nowMs: number): number {
  const back = parseDuration(value);
  if (back !== undefined) return nowMs - back;
  const at = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(at)) throw new InvalidArgumentError(`"${value}" is neither an ISO 8601 time (2026-12-05T01:00:00Z) nor a duration (90m, 2h, 7d)`);
  return at;
}
