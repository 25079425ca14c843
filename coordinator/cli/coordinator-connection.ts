// How every coordinator command of the CLI talks to the coordinator: the global --coordinator
// address, optional mTLS from the environment, the invoking user, and SPEC §7's exit codes.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { failAndExit } from '../../shared/cli-exit.js';
import { isLockstepError, LockstepError } from '../../shared/errors.js';
import { clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';

/**
 * Runs `body` against the coordinator named by `--coordinator`, then exits with the code it
 * returns; an error is printed and exits 2 (bad input), 3 (unreachable) or 1.
 */
export async function withCoordinator(command: Command, body: (client: CoordinatorClient) => Promise<number>): Promise<never> {
  const program = `lockstep ${command.name()}`;
  let client: CoordinatorClient | undefined;
  try {
    const address = dialAddress(command.optsWithGlobals<{ coordinator: string }>().coordinator);
    const serverName = process.env.LOCKSTEP_COORDINATOR_NAME || undefined;
    client = new CoordinatorClient(address, await credentialsFromEnvironment(), { ...(serverName !== undefined && { serverName }) });
    const code = await body(client);
    client.close();
    process.exit(code);
  } catch (error) {
    client?.close();
    failAndExit(program, withHint(error));
  }
}

/** The coordinator's Unix socket (SPEC §8): the kernel tells it who we are. */
export const DEFAULT_COORDINATOR_ADDRESS = 'unix:/run/lockstep/coordinator.sock';

/** `unix:PATH` and HOST:PORT as grpc-js takes them; a bare absolute path is a socket too. */
function dialAddress(address: string): string {
  return address.startsWith('/') ? `unix:${address}` : address;
}

function withHint(error: unknown): unknown {
  if (!isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')) return error;
  const hint =
    'Is lockstep-coordinator running there, and may you use its socket (group lockstep)? ' +
    'Name it with --coordinator unix:PATH or HOST:PORT, or LOCKSTEP_COORDINATOR.';
  return new LockstepError('LOCKSTEP_E_UNAVAILABLE', `${error.message.trim()}\n${hint}`, { cause: error });
}

/**
 * A coordinator listening beyond loopback serves mTLS only (SPEC §8): the operator's certificate
 * comes from LOCKSTEP_TLS_CA, LOCKSTEP_TLS_CERT and LOCKSTEP_TLS_KEY; without them, plaintext.
 * LOCKSTEP_COORDINATOR_NAME is the name in the coordinator's certificate when it is dialled by address.
 */
async function credentialsFromEnvironment(): Promise<ReturnType<typeof clientCredentials> | undefined> {
  const { LOCKSTEP_TLS_CA: ca, LOCKSTEP_TLS_CERT: cert, LOCKSTEP_TLS_KEY: key } = process.env;
  if (!ca && !cert && !key) return undefined;
  if (!ca || !cert || !key) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', 'set all three of LOCKSTEP_TLS_CA, LOCKSTEP_TLS_CERT and LOCKSTEP_TLS_KEY, or none', { field: 'LOCKSTEP_TLS_CA' });
  }
  return clientCredentials(await loadTlsMaterial({ ca, cert, key }));
}

/** Who is asking, for approvals on a plaintext coordinator; under TLS the certificate decides. */
export function invokingUser(): string {
  return process.env.USER || userInfo().username;
}
