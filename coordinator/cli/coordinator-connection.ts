// How every coordinator command of the CLI talks to the coordinator: the global --coordinator
// address (or the list of an HA group, coordinator-list.ts), optional mTLS from the
// environment, the invoking user, and SPEC §7's exit codes.
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { failAndExit } from '../../shared/cli-exit.js';
import { isLockstepError, LockstepError } from '../../shared/errors.js';
import type { clientCredentialsFactory } from '../../shared/tls.js';
import type { Coordinator, CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { CoordinatorList, parseCoordinatorList, type CoordinatorListOptions } from './coordinator-list.js';

/**
 * Runs `body` against the coordinator named by `--coordinator`, then exits with the code it
 * returns; an error is printed and exits 2 (bad input), 3 (unreachable) or 1.
 */
export async function withCoordinator(command: Command, body: (client: Coordinator) => Promise<number>): Promise<never> {
  const program = `lockstep ${command.name()}`;
  let client: Coordinator | undefined;
  try {
    client = await openCoordinator(command);
    const code = await body(client);
    client.close();
    process.exit(code);
  } catch (error) {
    client?.close();
    failAndExit(program, withHint(error));
  }
}

/** A client of the coordinator(s) named by `--coordinator`; the caller closes it. */
export async function openCoordinator(command: Command): Promise<Coordinator> {
  const globals = command.optsWithGlobals<{ coordinator: string; coordinatorName?: string }>();
  return connectCoordinators(globals.coordinator, globals.coordinatorName || process.env.LOCKSTEP_COORDINATOR_NAME || undefined);
}

/**
 * The coordinators of `--coordinator` (one, or the list of an HA group) as one client, with TLS
 * from the environment: each one dialled, a leader a follower names too, must carry
 * `coordinatorName` or else its own host's name.
 */
export async function connectCoordinators(addresses: string, coordinatorName: string | undefined, options: CoordinatorListOptions = {}): Promise<CoordinatorList> {
  const dialled = parseCoordinatorList(addresses);
  // grpc-js and the generated client load here, not at start: `lockstep --help` does without (issue 19).
  const [credentialsFor, { CoordinatorClient }] = await Promise.all([credentialsFromEnvironment(), import('../../shared/wire/coordinator-client.js')]);
  const open = (address: string): CoordinatorClient => {
    if (credentialsFor === undefined) return new CoordinatorClient(address);
    const serverName = coordinatorName ?? hostOf(address);
    return new CoordinatorClient(address, credentialsFor(serverName), { serverName });
  };
  return new CoordinatorList(dialled, open, options);
}

/** The coordinator's Unix socket (SPEC §8): the kernel tells it who we are. */
export const DEFAULT_COORDINATOR_ADDRESS = 'unix:/run/lockstep/coordinator.sock';

export function withHint(error: unknown): unknown {
  if (!isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')) return error;
  const hint =
    'Is lockstep-coordinator running there? May you use its socket (group lockstep)? ' +
    'Name it with --coordinator unix:PATH, HOST:PORT or HOST:PORT,HOST:PORT… (an HA group), or LOCKSTEP_COORDINATOR.';
  return new LockstepError('LOCKSTEP_E_UNAVAILABLE', `${error.message.trim()}\n${hint}`, { cause: error });
}

/**
 * A coordinator listening beyond loopback serves mTLS only (SPEC §8): the operator's certificate
 * comes from LOCKSTEP_TLS_CA, LOCKSTEP_TLS_CERT and LOCKSTEP_TLS_KEY; without them, plaintext.
 * The coordinator's certificate must carry the coordinator role and the expected name: --coordinator-name,
 * LOCKSTEP_COORDINATOR_NAME, or the host dialled.
 */
async function credentialsFromEnvironment(): Promise<ReturnType<typeof clientCredentialsFactory> | undefined> {
  const { LOCKSTEP_TLS_CA: ca, LOCKSTEP_TLS_CERT: cert, LOCKSTEP_TLS_KEY: key } = process.env;
  if (!ca && !cert && !key) return undefined;
  if (!ca || !cert || !key) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', 'set all three of LOCKSTEP_TLS_CA, LOCKSTEP_TLS_CERT and LOCKSTEP_TLS_KEY, or none', { field: 'LOCKSTEP_TLS_CA' });
  }
  // The server must be a coordinator, and the one we meant (issue 21 §4): another node's certificate from the same CA is refused.
  const { clientCredentialsFactory, loadTlsMaterial } = await import('../../shared/tls.js');
  return clientCredentialsFactory(await loadTlsMaterial({ ca, cert, key }), 'coordinator');
}

/** The host part of HOST:PORT ([V6]:PORT); the name a coordinator dialled by name must carry. */
function hostOf(address: string): string {
  const bracketed = /^\[([^\]]*)\]:\d+$/.exec(address);
  if (bracketed) return bracketed[1] ?? address;
  const colon = address.lastIndexOf(':');
  return colon > 0 ? address.slice(0, colon) : address;
}

/** Who is asking, for approvals on a plaintext coordinator; under TLS the certificate decides. */
export function invokingUser(): string {
  return process.env.USER || userInfo().username;
}
