// SPEC §7/§8: `lockstep certs init --dir D --coordinator NAME --agents a,b [--force]`.
import type { Command } from 'commander';
import { describeError } from '../../shared/errors.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { terminalText } from '../../shared/terminal-text.js';

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
    .requiredOption('--dir <dir>', 'directory to write ca.pem, coordinator.pem and agents/NAME.pem (with their .key files) into: created 0700, or an existing one of yours that only you may write')
    .requiredOption('--coordinator <name>', 'name of the coordinator (its certificate CN and SAN)')
    .requiredOption('--agents <names>', 'comma-separated node names, one certificate each (SAN = node name)')
    .option('--force', 'replace an existing CA; every certificate it signed stops being trusted')
    .action(runInit);
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
