// SPEC §7: `lockstep plan RUNBOOK` — compile and preflight on the coordinator, print the steps
// per node; nothing is started.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { terminalLine } from '../../shared/terminal-text.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';
import { renderPlannedSteps } from './plan-listing.js';
import { readRunbookFile } from './runbook-file.js';
import { renderWindowForecast } from './window-forecast-listing.js';

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description("compile a runbook, check it against the agents and print its steps (with window:, each segment's predicted duration and the windows it needs); changes nothing")
    .argument('<runbook>', 'the runbook YAML file')
    .action((file: string, _flags: object, command: Command) =>
      withCoordinator(command, async (client) => {
        const runbook = await readRunbookFile(file);
        const plan = await client.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: true, autoApprove: false, requestedBy: invokingUser() });
        process.stdout.write(renderPlannedSteps(plan.planHash, plan.steps, plan.warnings));
        if (plan.windowForecast !== undefined) process.stdout.write(renderWindowForecast(plan.windowForecast));
        // Issue 16: the coordinator keeps this plan under its hash; apply can insist on it.
        process.stdout.write(`apply exactly this plan: lockstep apply ${terminalLine(runbook.path)} --plan ${terminalLine(plan.planHash)}\n`);
        return EXIT.ok;
      }),
    );
}
