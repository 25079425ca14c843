// The kernel's answer to "who connected to this Unix socket" (SO_PEERCRED), through the small
// N-API addon in native/peercred: Node has no API for it, and a name sent in a request is only
// a claim (docs/security.md, "the local API").
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { LockstepError } from '../../shared/errors.js';
import { findNativeAddon, nativeAddonPath } from '../../shared/native-addon.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

interface PeercredAddon {
  peerCredentials(fd: number): PeerCredentials;
}

const ADDON = nativeAddonPath('peercred');

let addon: PeercredAddon | undefined;

/** The credentials the peer of an accepted Unix-socket connection had when it called connect(). */
export function peerCredentials(socket: Socket): PeerCredentials {
  // libuv's pipe handle keeps its descriptor in `fd`; Node does not type it.
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'an accepted Unix-socket connection has no file descriptor');
  return loadAddon().peerCredentials(fd);
}

/** Loads the addon once; refuses to start the socket when it was not built (npm run build builds it). */
export function loadAddon(): PeercredAddon {
  if (addon !== undefined) return addon;
  const file = findNativeAddon('peercred', import.meta.url);
  if (file === undefined) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--socket: the peer-credentials addon (${ADDON}) is not built; run \`npm run build:native\`, or serve TCP with --listen and --tls-*`, { field: '--socket' });
  }
  addon = createRequire(import.meta.url)(file) as PeercredAddon;
  return addon;
}
