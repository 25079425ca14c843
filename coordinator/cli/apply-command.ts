// SPEC §7: `lockstep apply RUNBOOK [--wait] [--yes] [--plan HASH]`. With --plan the run is
// created only if the plan compiled now is the one `lockstep plan` showed (issue 16). Without --wait the new run's id is the
// last line of the output, alone, for scripts; with --wait the exit code says how it ended.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { terminalLine } from '../../shared/terminal-text.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';
import { blockedOnly, followRun, waitingForOperator } from './run-follower.js';
import { readRunbookFile } from './runbook-file.js';
import { windowSummary } from './window-summary.js';

interface ApplyFlags {
  wait?: boolean;
  yes?: boolean;
  comment?: string;
  plan?: string;
}

export function registerApplyCommand(program: Command): void {
  program
    .command('apply')
    .description('start a run of a runbook (with window:, outside its window the run is scheduled and this returns at once)')
    .argument('<runbook>', 'the runbook YAML file')
    .option('--wait', 'follow the run; exit 0 succeeded, 1 failed or cancelled, 4 waiting for an operator')
    .option('--yes', 'approve every gate and operator-confirmed barrier of this run in your name (rehearsals, unattended windows)')
    .option('--comment <text>', 'why, for the audit trail')
    .option('--plan <hash>', 'the hash lockstep plan printed: refuse (exit 2, nothing started, printing what changed) if the plan compiled now differs')
    .action((file: string, flags: ApplyFlags, command: Command) =>
      withCoordinator(command, async (client) => {
        const runbook = await readRunbookFile(file);
        const submitted = await client.submit({
          runbookYaml: runbook.yaml,
          runbookPath: runbook.path,
          dryRun: false,
          autoApprove: flags.yes === true,
          requestedBy: invokingUser(),
          ...(flags.plan !== undefined && { expectedPlanHash: flags.plan }),
        }, flags.comment ?? '');
        const runId = submitted.runId ?? '';
        const shownId = terminalLine(runId);
        // SPEC §4.4: a windowed run outside its window is created scheduled; say until when.
        const window = submitted.windowForecast === undefined ? undefined : windowSummary(await client.getRun(runId), Date.now());
        if (window !== undefined) process.stdout.write(`run ${shownId}: ${terminalLine(window)}\n`);
        if (flags.wait !== true) {
          process.stdout.write(`started a run of ${terminalLine(runbook.path)} (plan ${terminalLine(submitted.planHash)}, ${submitted.steps.length} steps)\n`);
          process.stdout.write(`follow it with: lockstep watch ${shownId}\n${shownId}\n`);
          return EXIT.ok;
        }
        process.stdout.write(`run ${shownId} started (plan ${terminalLine(submitted.planHash)})\n`);
        return followRun(client, runId, { screen: process.stdout, stopWhen: flags.yes === true ? blockedOnly : waitingForOperator });
      }),
    );
}
