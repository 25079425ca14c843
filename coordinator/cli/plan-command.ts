// SPEC §7: `lockstep plan RUNBOOK` — compile and preflight on the coordinator, print the steps
// per node; nothing is started. `--save-facts FILE` keeps what the preflight read (issue 17).
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { LockstepError } from '../../shared/errors.js';
import { EXIT } from '../../shared/cli-exit.js';
import { terminalLine } from '../../shared/terminal-text.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';
import { renderPlannedSteps } from './plan-listing.js';
import { readRunbookFile } from './runbook-file.js';
import { saveWhole } from './saved-file.js';
import { renderWindowForecast } from './window-forecast-listing.js';

export function registerPlanCommand(program: Command): void {
  program
    .command('plan')
    .description("compile a runbook, check it against the agents and print its steps (with window:, each segment's predicted duration and the windows it needs); changes nothing")
    .argument('<runbook>', 'the runbook YAML file')
    .option('--save-facts <file>', 'also save what the preflight read (nodes, versions, services, groups, mirrors) as a facts file, for "lockstep lab up --from-facts"')
    .action((file: string, flags: { saveFacts?: string }, command: Command) =>
      withCoordinator(command, async (client) => {
        const runbook = await readRunbookFile(file);
        const includeFacts = flags.saveFacts !== undefined;
        const plan = await client.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: true, autoApprove: false, requestedBy: invokingUser(), includeFacts });
        process.stdout.write(renderPlannedSteps(plan.planHash, plan.steps, plan.warnings));
        if (plan.windowForecast !== undefined) process.stdout.write(renderWindowForecast(plan.windowForecast));
        // Issue 16: the coordinator keeps this plan under its hash; apply can insist on it.
        process.stdout.write(`apply exactly this plan: lockstep apply ${terminalLine(runbook.path)} --plan ${terminalLine(plan.planHash)}\n`);
        if (flags.saveFacts !== undefined) {
          const saved = await saveFacts(flags.saveFacts, plan.factsJson);
          process.stdout.write(`facts saved to ${terminalLine(saved)}: rehearse on a twin with "lockstep lab up --from-facts ${terminalLine(saved)} --dir LAB"\n`);
        }
        return EXIT.ok;
      }),
    );
}

/** Writes the coordinator's facts to `file` once they pass the schema `--from-facts` reads them with. */
async function saveFacts(file: string, factsJson: string | undefined): Promise<string> {
  if (factsJson === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', '--save-facts: the coordinator answered no facts (is it older than this lockstep?)');
  // The schema (zod) loads only for --save-facts: `lockstep --help` does without it (issue 19).
  const { parseFactsFile } = await import('../../shared/facts-file.js');
  const facts = parseFactsFile(factsJson, 'the coordinator\'s facts');
  const path = resolve(file);
  await saveWhole('--save-facts', path, `${JSON.stringify(facts, null, 2)}\n`);
  return path;
}
