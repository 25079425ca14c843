// SPEC §4.1/§7: `lockstep approve RUN GATE [--plan HASH] [--comment …]`. Shows the gate's text
// and the run's plan hash, then approves that gate of that plan: the coordinator refuses the
// approval for any other plan, or for a gate the run is not waiting at (issue 16). The
// coordinator journals who approved: the certificate's name under TLS, the invoking user on loopback.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import { terminalLine } from '../../shared/terminal-text.js';
import { invokingUser, withCoordinator } from './coordinator-connection.js';

export function registerApproveCommand(program: Command): void {
  program
    .command('approve')
    .description("approve a gate (or an operator-confirmed barrier) of a run: shows the gate's text and the run's plan hash, and approves only that plan")
    .argument('<run>', 'the run id')
    .argument('<gate>', 'the gate or barrier step id, as `lockstep status` lists it')
    .option('--plan <hash>', 'the plan hash you read (from lockstep plan or status); refused if the run runs another plan')
    .option('--comment <text>', 'why, for the audit trail')
    .action((runId: string, gate: string, flags: { comment?: string; plan?: string }, command: Command) =>
      withCoordinator(command, async (client) => {
        const shown = await client.getRun(runId);
        const step = shown.steps.find((each) => each.id === gate && (each.kind === 'gate' || each.kind === 'barrier'));
        process.stdout.write(`run ${terminalLine(shown.id)} plan ${terminalLine(shown.planHash)}\n`);
        if (step !== undefined) process.stdout.write(`${step.kind} ${terminalLine(gate)}: ${terminalLine(step.message)}\n`);
        const planHash = flags.plan ?? shown.planHash;
        const run = await client.approve(runId, gate, { operator: invokingUser(), comment: flags.comment ?? '', planHash });
        process.stdout.write(`approved ${terminalLine(gate)} of run ${terminalLine(run.id)} (plan ${terminalLine(planHash)}); the run is ${run.state}\n`);
        return EXIT.ok;
      }),
    );
}
