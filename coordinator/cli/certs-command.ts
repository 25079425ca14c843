// SPEC §7/§8: `lockstep certs init --dir D --coordinator NAME --agents a,b [--force]`.
import type { Command } from 'commander';
import { describeError } from '../../shared/errors.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { issueOperatorCertificates } from '../../shared/pki/operator-certificates.js';
import { OPERATOR_ROLES, parseRoles } from '../../shared/pki/roles.js';

// SPEC §7: bad input, nothing done.
const EXIT_BAD_INPUT = 2;

interface InitFlags {
  dir: string;
  coordinator: string;
  agents: string;
  force?: boolean;
}

export function registerCertsCommand(program: Command): void {
  const certs = program.command('certs').description('make the certificates for mTLS between coordinator and agents');
  certs
    .command('init')
    .description('create a CA, a coordinator certificate and one certificate per agent in --dir')
    .requiredOption('--dir <dir>', 'directory to write ca.pem, coordinator.pem and agents/NAME.pem (with their .key files) into')
    .requiredOption('--coordinator <name>', 'name of the coordinator (its certificate CN and SAN)')
    .requiredOption('--agents <names>', 'comma-separated node names, one certificate each (SAN = node name)')
    .option('--force', 'replace an existing CA; every certificate it signed stops being trusted')
    .action(runInit);
  certs
    .command('issue')
    .description("sign an operator's client certificate for the coordinator's TLS API with the CA in --dir")
    .requiredOption('--dir <dir>', 'the directory of certs init; writes operators/NAME.pem and operators/NAME.key')
    .requiredOption('--operator <name>', 'who holds it: the name the coordinator journals (certificate CN)')
    .requiredOption('--roles <roles>', `comma-separated roles on the coordinator's API: ${OPERATOR_ROLES.join(', ')}`)
    .action(runIssue);
}

async function runIssue(flags: { dir: string; operator: string; roles: string }): Promise<void> {
  try {
    const { files } = await issueOperatorCertificates({ dir: flags.dir, operator: flags.operator, roles: parseRoles(flags.roles, '--roles') });
    process.stdout.write(files.map((file) => `wrote ${file}\n`).join(''));
  } catch (error) {
    process.stderr.write(`lockstep certs issue: ${describeError(error)}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

async function runInit(flags: InitFlags): Promise<void> {
  try {
    const { files } = await initCertificates({
      dir: flags.dir,
      coordinator: flags.coordinator,
      agents: splitList(flags.agents),
      force: flags.force === true,
    });
    process.stdout.write(files.map((file) => `wrote ${file}\n`).join(''));
  } catch (error) {
    process.stderr.write(`lockstep certs init: ${describeError(error)}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
