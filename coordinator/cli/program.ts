// lockstep: the operator's command line (SPEC §7). Each command lives in its own module and
// registers itself here. main.ts starts it (from the bundle the build makes of this module).
import { Command } from 'commander';
import { registerLabCommand } from '../../lab/lab-command.js';
import { installFastIsIPv6 } from '../../shared/fast-ipv6-check.js';
import { LOCKSTEP_VERSION } from '../../shared/package-version.js';
import { registerApplyCommand } from './apply-command.js';
import { registerApproveCommand } from './approve-command.js';
import { registerAuditCommand } from './audit-command.js';
import { registerCertsCommand } from './certs-command.js';
import { DEFAULT_COORDINATOR_ADDRESS } from './coordinator-connection.js';
import { registerDemoCommand } from './demo-command.js';
import { registerNodesCommand } from './nodes-command.js';
import { registerPlanCommand } from './plan-command.js';
import { registerRehearseCommand } from './rehearse-command.js';
import { registerRetryCommand } from './retry-command.js';
import { registerRollbackCommand } from './rollback-command.js';
import { registerRunControlCommands } from './run-control-command.js';
import { registerRunsCommand } from './runs-command.js';
import { registerStatusCommand } from './status-command.js';
import { registerWatchCommand } from './watch-command.js';

/** Parses the command line and runs the command it names. */
export async function runCli(): Promise<void> {
  installFastIsIPv6();
  const program = new Command('lockstep')
    .description('Run vendor update procedures across the nodes of a high-availability cluster, one barrier-checked step at a time.')
    .version(LOCKSTEP_VERSION)
    .option(
      '--coordinator <address>',
      'the coordinator: unix:PATH (its socket), HOST:PORT (TLS, or --insecure on loopback), or HOST:PORT,HOST:PORT,… the coordinators of an HA group, tried in order; the CLI follows the leader (env LOCKSTEP_COORDINATOR)',
      process.env.LOCKSTEP_COORDINATOR || DEFAULT_COORDINATOR_ADDRESS,
    )
    .option('--coordinator-name <name>', "under TLS, the name every coordinator's certificate must carry (env LOCKSTEP_COORDINATOR_NAME; default the host of each address dialled)")
    // SPEC §7: `lockstep [--coordinator ADDRESS] COMMAND …` — global options come before the
    // command, so a command may have its own `--version` (lab up --version 2.0.0-1).
    .enablePositionalOptions()
    .showHelpAfterError()
    // Usage errors are bad input: exit 2 (SPEC §7).
    .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

  registerPlanCommand(program);
  registerApplyCommand(program);
  registerRunsCommand(program);
  registerStatusCommand(program);
  registerWatchCommand(program);
  registerApproveCommand(program);
  registerRunControlCommands(program);
  registerRetryCommand(program);
  registerRollbackCommand(program);
  registerAuditCommand(program);
  registerNodesCommand(program);
  registerCertsCommand(program);
  // The twin's live facts load only when `lab up --like` asks for them (issue 19: nothing heavy at start).
  registerLabCommand(program, async (command, runbookFile) => (await import('./live-facts.js')).readLiveFacts(command, runbookFile));
  registerDemoCommand(program);
  registerRehearseCommand(program);

  await program.parseAsync();
}
