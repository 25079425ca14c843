#!/usr/bin/env node
// lockstep: the operator's command line (SPEC §7). Each command lives in its own module and
// registers itself here.
import { Command } from 'commander';
import { registerCertsCommand } from './certs-command.js';

const program = new Command('lockstep')
  .description('Run vendor update procedures across the nodes of a high-availability cluster, one barrier-checked step at a time.')
  .version('0.1.0')
  .option('--coordinator <host:port>', 'the coordinator to talk to (env LOCKSTEP_COORDINATOR)', process.env.LOCKSTEP_COORDINATOR ?? '127.0.0.1:7450')
  .showHelpAfterError()
  // Usage errors are bad input: exit 2 (SPEC §7).
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2));

registerCertsCommand(program);

await program.parseAsync();
