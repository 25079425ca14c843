// SPEC §7/§8: `lockstep certs init --dir D --coordinator NAME --agents a,b [--force]`, and
// rotation (issue 21 §4): `certs renew` re-issues leaves from the same CA, `certs revoke`
// writes D/crl.pem for the agents' and the coordinator's --tls-crl.
import { InvalidArgumentError, type Command } from 'commander';
import { describeError } from '../../shared/errors.js';
import { OPERATOR_ROLES, parseRoles } from '../../shared/pki/roles.js';
import { DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS } from '../../shared/pki/validity-defaults.js';
import { terminalText } from '../../shared/terminal-text.js';

// The signing code (@peculiar/x509, ~0.2 s to load) is imported by the action that needs it,
// so that `lockstep --help` and the other commands do not pay for it (issue 19).

// SPEC §7: bad input, nothing done.
const EXIT_BAD_INPUT = 2;

interface InitFlags {
  dir: string;
  coordinator: string;
  agents: string;
  force?: boolean;
  days?: number;
  caDays?: number;
}

export function registerCertsCommand(program: Command): void {
  const certs = program.command('certs').description('make the certificates for mTLS between coordinator and agents');
  certs
    .command('init')
    .description('create a CA, a coordinator certificate and one certificate per agent in --dir')
    .requiredOption('--dir <dir>', 'directory to write ca.pem, coordinator.pem and agents/NAME.pem (with their .key files) into: created 0700, or an existing one of yours that only you may write')
    .requiredOption('--coordinator <name>', 'name of the coordinator (its certificate CN and SAN)')
    .requiredOption('--agents <names>', 'comma-separated node names, one certificate each (SAN = node name)')
    .option('--force', 'replace an existing CA; every certificate it signed stops being trusted')
    .option('--days <n>', `validity of the coordinator and agent certificates, in days (default ${DEFAULT_LEAF_DAYS})`, wholeDays)
    .option('--ca-days <n>', `validity of the CA, in days (default ${DEFAULT_CA_DAYS}); leaves never outlive it`, wholeDays)
    .action(runInit);
  registerRenew(certs);
  registerRevoke(certs);
  registerIssue(certs);
}

function registerIssue(certs: Command): void {
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
    const { issueOperatorCertificates } = await import('../../shared/pki/operator-certificates.js');
    const { files } = await issueOperatorCertificates({ dir: flags.dir, operator: flags.operator, roles: parseRoles(flags.roles, '--roles') });
    process.stdout.write(files.map((file) => `wrote ${file}\n`).join(''));
  } catch (error) {
    process.stderr.write(`lockstep certs issue: ${terminalText(describeError(error))}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

interface RenewFlags {
  dir: string;
  agents?: string;
  coordinator?: boolean;
  all?: boolean;
  days?: number;
}

function registerRenew(certs: Command): void {
  certs
    .command('renew')
    .description('new keys and certificates from the CA in --dir, keeping each name and role; then copy them to the nodes and restart')
    .requiredOption('--dir <dir>', 'the directory certs init wrote (its ca.key signs the new certificates)')
    .option('--agents <names>', 'comma-separated agents to renew (agents/NAME.pem)')
    .option('--coordinator', "renew the coordinator's certificate")
    .option('--all', 'renew the coordinator and every agent in --dir')
    .option('--days <n>', "validity of the new certificates, in days (default: that of the certificate each replaces)", wholeDays)
    .action(async (flags: RenewFlags) => {
      await report('renew', async () => {
        const { renewCertificates } = await import('../../shared/pki/certs-renew.js');
        const { files, renewed } = await renewCertificates({
          dir: flags.dir,
          agents: splitList(flags.agents ?? ''),
          coordinator: flags.coordinator === true,
          all: flags.all === true,
          ...(flags.days !== undefined && { days: flags.days }),
        });
        return [
          ...files.map((file) => `wrote ${file}`),
          ...renewed.map(
            (old) =>
              `renewed ${old.role} ${old.name}: the old certificate (serial ${old.oldSerial}) stays valid until ${old.oldNotAfter}; ` +
              `if its key may be stolen: lockstep certs revoke --dir ${flags.dir} --serial ${old.oldSerial}`,
          ),
        ];
      });
    });
}

interface RevokeFlags {
  dir: string;
  agent?: string[];
  coordinator?: boolean;
  serial?: string[];
}

function registerRevoke(certs: Command): void {
  const collect = (value: string, previous: string[] = []): string[] => [...previous, value];
  certs
    .command('revoke')
    .description('add certificates to --dir/crl.pem (signed by the CA); agents and the coordinator given it with --tls-crl refuse them')
    .requiredOption('--dir <dir>', 'the directory certs init wrote (its ca.key signs the CRL)')
    .option('--agent <name>', "revoke this agent's current certificate (agents/NAME.pem); repeat for more", collect)
    .option('--coordinator', "revoke the coordinator's current certificate")
    .option('--serial <hex>', 'revoke the certificate with this serial number, e.g. one certs renew replaced; repeat for more', collect)
    .action(async (flags: RevokeFlags) => {
      await report('revoke', async () => {
        const { CRL_FILE, revokeCertificates } = await import('../../shared/pki/certs-revoke.js');
        const result = await revokeCertificates({ dir: flags.dir, agents: flags.agent ?? [], coordinator: flags.coordinator === true, serials: flags.serial ?? [] });
        return [
          ...result.added.map((label) => `revoked ${label}`),
          ...result.already.map((label) => `already revoked: ${label}`),
          `wrote ${result.file} (CRL number ${result.crlNumber}, ${result.total} revoked)`,
          `next: copy ${CRL_FILE} to every agent and to the coordinator, give it with --tls-crl, restart them; then renew what you revoked (lockstep certs renew)`,
        ];
      });
    });
}

async function report(command: string, body: () => Promise<string[]>): Promise<void> {
  try {
    process.stdout.write((await body()).map((line) => `${line}\n`).join(''));
  } catch (error) {
    process.stderr.write(`lockstep certs ${command}: ${terminalText(describeError(error))}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

function wholeDays(value: string): number {
  if (!/^\d{1,5}$/.test(value)) throw new InvalidArgumentError('expected a whole number of days, e.g. 397');
  return Number(value);
}

async function runInit(flags: InitFlags): Promise<void> {
  try {
    const { initCertificates } = await import('../../shared/pki/certs-init.js');
    const { files } = await initCertificates({
      dir: flags.dir,
      coordinator: flags.coordinator,
      agents: splitList(flags.agents),
      force: flags.force === true,
      ...(flags.days !== undefined && { days: flags.days }),
      ...(flags.caDays !== undefined && { caDays: flags.caDays }),
    });
    process.stdout.write(files.map((file) => `wrote ${file}\n`).join(''));
  } catch (error) {
    process.stderr.write(`lockstep certs init: ${terminalText(describeError(error))}\n`);
    process.exitCode = EXIT_BAD_INPUT;
  }
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
