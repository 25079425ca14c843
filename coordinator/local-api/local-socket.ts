// The coordinator's API on a Unix socket (SPEC §8): mode 0660, group --socket-group,
// so the kernel decides who may connect at all; each connection's caller is the OS user behind
// it (SO_PEERCRED), with roles from that user's groups. grpc-js serves the connections we accept
// and hand it, and each call finds its caller by the peer key its connection carries.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { LockstepError, describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { OPERATOR_ROLES, type OperatorRole } from '../../shared/pki/roles.js';
import { withViewer, type Caller } from '../grpc/caller.js';
import { groupId, localAccount, type LocalAccount } from './local-account.js';
import { loadAddon, peerCredentials } from './peer-credentials.js';

export interface LocalSocketOptions {
  path: string;
  /** The group that may connect (the socket's group). */
  group: string;
  /** The group that grants each role. */
  roleGroups: Readonly<Record<OperatorRole, string>>;
  logger: Logger;
}

export interface LocalSocket {
  path: string;
  /** The caller behind a connection, by the peer string grpc-js reports for its calls. */
  callerOf(peer: string): Caller | undefined;
  close(): Promise<void>;
}

// The peer key replaces the socket's remoteAddress (empty for a Unix socket), which grpc-js
// reports as each call's getPeer(); a TCP peer ("host:port") can never look like it.
const PEER_KEY_PREFIX = 'unix-peer#';

export async function serveLocalSocket(server: grpc.Server, options: LocalSocketOptions): Promise<LocalSocket> {
  loadAddon();
  const gid = await groupId(options.group);
  if (gid === undefined) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--socket-group: there is no group "${options.group}"; create it (groupadd ${options.group}) and add the operators, or name another`, { field: '--socket-group' });
  }
  await removeStaleSocket(options.path);
  mkdirSync(dirname(options.path), { recursive: true, mode: 0o755 });

  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const callers = new Map<string, Caller>();
  let next = 0;
  const accept = async (socket: Socket): Promise<void> => {
    const key = `${PEER_KEY_PREFIX}${++next}`;
    try {
      const { uid, pid } = peerCredentials(socket);
      const account = await localAccount(uid);
      callers.set(key, { name: account.name, transport: 'socket', roles: rolesOf(account, options.roleGroups), address: `unix:${options.path} pid ${pid}` });
      socket.once('close', () => callers.delete(key));
      options.logger.debug({ user: account.name, uid, pid }, 'local API connection');
    } catch (error) {
      options.logger.warn({ err: describeError(error) }, 'local API connection refused: its caller could not be identified');
      socket.destroy();
      return;
    }
    Object.defineProperty(socket, 'remoteAddress', { value: key });
    injector.injectConnection(socket);
  };
  // Bytes that arrive while the caller is looked up wait in the socket's buffer, and HTTP/2 reads
  // them once handed over; a socket paused on connect is never resumed by it (the call hangs).
  const listener = createServer((socket) => void accept(socket));
  await listenPrivately(listener, options.path);
  // Owned by the coordinator's own user (root, or `lockstep` under the shipped unit) and the group.
  chownSync(options.path, process.getuid?.() ?? 0, gid);
  chmodSync(options.path, 0o660);

  return {
    path: options.path,
    callerOf: (peer) => (peer.startsWith(PEER_KEY_PREFIX) ? callers.get(peer) : undefined),
    close: () =>
      new Promise((resolve) => {
        injector.destroy();
        listener.close(() => resolve());
      }),
  };
}

/** root may do anything on this host anyway; everyone else gets the roles of their groups. */
function rolesOf(account: LocalAccount, roleGroups: Readonly<Record<OperatorRole, string>>): ReadonlySet<OperatorRole> {
  if (account.uid === 0) return new Set(OPERATOR_ROLES);
  return withViewer(OPERATOR_ROLES.filter((role) => account.groups.includes(roleGroups[role])));
}

// The socket is created 0600 (umask) and only then opened to the group: there is no moment
// when someone outside the group could connect.
function listenPrivately(listener: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const umask = process.umask(0o177);
    listener.once('error', (error) => reject(new LockstepError('LOCKSTEP_E_CONFIG', `--socket: cannot listen on ${path}: ${describeError(error)}`, { field: '--socket', cause: error })));
    try {
      listener.listen(path, () => resolve());
    } finally {
      process.umask(umask);
    }
  });
}

/** A socket left by a coordinator that died is removed; a live one, or any other file, is refused. */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) throw new LockstepError('LOCKSTEP_E_CONFIG', `--socket: ${path} exists and is not a socket; refusing to replace it`, { field: '--socket' });
  if (await answers(path)) throw new LockstepError('LOCKSTEP_E_CONFIG', `--socket: another coordinator already serves ${path}`, { field: '--socket' });
  unlinkSync(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}
