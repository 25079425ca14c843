// How a simulated CLUSTERPRO cluster reacts to what happens to its servers (SPEC §9): pure
// functions over ClusterState, shared by the simulated node (lab/node), which applies them
// as commands run, and the lab supervisor (lab/lab-supervisor.ts). No I/O: callers read,
// apply and write under withLabLock. Every function returns a new state and leaves its input
// alone.
import type { ClusterState } from '../state/lab-state.js';

type MirrorColor = ClusterState['mirrors'][string][string];

export type ClusterChange = { ok: true; state: ClusterState } | { ok: false; reason: string };

// The reasons clpgrp and clpcl give (EXPRESSCLUSTER X reference guide, command messages).
export const REFUSAL = {
  noGroup: 'Invalid group name. Specify a valid group name in the cluster.',
  noServer: 'Invalid server name. Specify a valid server name in the cluster.',
  serverNotActive: 'Server is not active. Check if the cluster service is active.',
  badTarget: 'Invalid server. Specify a server that can run and stop the group, or a server that can be a target when you move the group.',
  suspended: 'Some invalid status. Check the status of cluster.',
  // A group failing over is neither Online nor Offline: the product answers as for any bad status.
  pending: 'Some invalid status. Check the status of cluster.',
  alreadyStopped: 'The group has already been stopped.',
  startedHere: 'The group has already been started on the local server.',
  startedElsewhere: 'The group has already been started on the other server. To start/stop the group on the local server, use -f option.',
  resourcesFailed: 'Failed to start one or more resources. Check the status of group',
  noMirror: 'Invalid mirror disk resource name.',
  noRecoverySource: 'Mirror recovery failed: no active server holds the latest data; force the recovery (clpmdctrl -f).',
} as const;

type DueEvent = { due: number } & ({ kind: 'resync'; mirror: string; server: string } | { kind: 'failover'; group: string; from: string });

/**
 * Moves the model's clock to `now`: the resyncs and failovers that are due finish, in the
 * order they came due (a resync that ends first lets a later failover start on that server).
 */
export function advance(state: ClusterState, now: number): ClusterState {
  const next = structuredClone(state);
  for (let event = nextDue(next, now); event !== undefined; event = nextDue(next, now)) {
    if (event.kind === 'resync') finishResync(next, event.mirror, event.server);
    else finishFailover(next, event.group, event.from);
  }
  return next;
}

function nextDue(state: ClusterState, now: number): DueEvent | undefined {
  const due: DueEvent[] = [];
  for (const [mirror, byServer] of Object.entries(state.resyncs)) {
    for (const [server, at] of Object.entries(byServer)) if (at <= now) due.push({ kind: 'resync', due: at, mirror, server });
  }
  for (const [group, { from, due: at }] of Object.entries(state.failovers)) if (at <= now) due.push({ kind: 'failover', due: at, group, from });
  return due.sort((a, b) => a.due - b.due)[0];
}

function finishResync(state: ClusterState, mirror: string, server: string): void {
  setColor(state, mirror, server, 'GREEN');
  delete state.resyncs[mirror]?.[server];
  delete state.breakTimes[mirror]?.[server];
}

/** The failover time is over: the group starts on the next server of its policy that can run it, or stays offline. */
function finishFailover(state: ClusterState, group: string, from: string): void {
  delete state.failovers[group];
  const entry = state.groups[group];
  if (entry === undefined || entry.state !== 'moving') return;
  const target = failoverTarget(state, group, from);
  state.groups[group] = { ...entry, current: target ?? null, state: target === undefined ? 'offline' : 'online' };
}

/** How long a resync of `mirror` takes: its size at the mirror connect's rate. */
export function resyncMs(state: ClusterState, mirror: string): number {
  return Math.round(((state.mirrorSizeMb[mirror] ?? 0) / state.mirrorResyncMbPerSec) * 1000);
}

/** Where a group failing over would start if its failover time ended now (clpstat shows it as current). */
export function pendingTarget(state: ClusterState, group: string): string | undefined {
  const failover = state.failovers[group];
  return failover === undefined ? undefined : failoverTarget(state, group, failover.from);
}

/** A server crashes, reboots or is shut down (clpdown, shutdown -r): its groups fail over. */
export function serverDown(state: ClusterState, server: string, now: number): ClusterState {
  return serversLeave(state, [server], 'down', now);
}

/** The cluster service stops on a server that stays up (`/etc/init.d/clusterpro stop`, `clpcl -t`). */
export function serverStopped(state: ClusterState, server: string, now: number): ClusterState {
  return serversLeave(state, [server], 'offline', now);
}

/**
 * clpstdn: every server goes down together, and their groups stop rather than fail over. A
 * clean cluster shutdown leaves the mirrors as they are (nothing writes to one side while the
 * other is gone), so nothing resyncs on boot.
 */
export function clusterDown(state: ClusterState, servers: readonly string[], now: number): ClusterState {
  return serversLeave(state, servers, 'down', now, { stopGroups: true });
}

/**
 * The cluster service starts on a server (boot with clusterpro enabled, or a manual start):
 * its out-of-date mirrors resync from an up-to-date server when automatic mirror recovery is
 * on (CPRO-XL050-06 3.1.3.2 (1)), and groups that run nowhere start on their home server.
 */
export function serverJoins(state: ClusterState, server: string, now: number): ClusterState {
  // Already in the cluster: starting the service again changes nothing (no group restarts).
  if (state.servers[server]?.state !== 'offline' && state.servers[server]?.state !== 'down') return state;
  let next = structuredClone(state);
  (next.servers[server] as { state: string }).state = 'online';
  if (next.autoMirrorRecovery) next = startResyncs(next, Object.keys(next.mirrors), now);
  next = advance(next, now);
  if (!next.suspended) startOfflineGroups(next);
  return next;
}

/** clpgrp -m GROUP [-a SERVER]: without a destination the failover order picks one. */
export function moveGroup(state: ClusterState, group: string, destination: string | undefined): ClusterChange {
  const entry = state.groups[group];
  if (entry === undefined) return refuse(REFUSAL.noGroup);
  if (state.suspended) return refuse(REFUSAL.suspended);
  if (entry.state === 'moving') return refuse(REFUSAL.pending);
  if (entry.state === 'offline' || entry.current === null) return refuse(REFUSAL.alreadyStopped);
  const target = destination ?? failoverTarget(state, group, entry.current);
  if (target === undefined) return refuse(REFUSAL.badTarget);
  if (target === entry.current) return refuse(REFUSAL.badTarget);
  return runGroupOn(state, group, target);
}

/** clpgrp -s GROUP, on `server` (the server the command runs on). */
export function startGroup(state: ClusterState, group: string, server: string): ClusterChange {
  const entry = state.groups[group];
  if (entry === undefined) return refuse(REFUSAL.noGroup);
  if (state.suspended) return refuse(REFUSAL.suspended);
  if (entry.state === 'moving') return refuse(REFUSAL.pending);
  if (entry.current === server) return refuse(REFUSAL.startedHere);
  if (entry.current !== null) return refuse(REFUSAL.startedElsewhere);
  return runGroupOn(state, group, server);
}

/** clpgrp -t GROUP: the group stops wherever it runs; a failover under way is abandoned. */
export function stopGroup(state: ClusterState, group: string): ClusterChange {
  const entry = state.groups[group];
  if (entry === undefined) return refuse(REFUSAL.noGroup);
  if (state.suspended) return refuse(REFUSAL.suspended);
  if (entry.current === null && entry.state !== 'moving') return refuse(REFUSAL.alreadyStopped);
  const next = structuredClone(state);
  next.groups[group] = { ...entry, current: null, state: 'offline' };
  delete next.failovers[group];
  return { ok: true, state: next };
}

/** clpcl --suspend / --resume (CPRO-XL050-06 3.1.4 (2), (7)): groups stay where they are. */
export function setSuspended(state: ClusterState, suspended: boolean): ClusterChange {
  if (!Object.values(state.servers).some((server) => server.state === 'online')) return refuse(REFUSAL.serverNotActive);
  return { ok: true, state: { ...structuredClone(state), suspended } };
}

/**
 * clpmdctrl -r MIRROR: the out-of-date servers that are up resync now. Nothing to do is a
 * success, so that a retried recovery does not fail.
 */
export function recoverMirror(state: ClusterState, mirror: string, now: number): ClusterChange {
  const colors = state.mirrors[mirror];
  if (colors === undefined) return refuse(REFUSAL.noMirror);
  const stale = Object.entries(colors).filter(([server, color]) => color === 'RED' && isOnline(state, server));
  if (stale.length > 0 && sourceOf(state, mirror) === undefined) return refuse(REFUSAL.noRecoverySource);
  return { ok: true, state: advance(startResyncs(state, [mirror], now), now) };
}

/**
 * clpmdctrl -f [SERVER] MIRROR (forced recovery): `server`'s copy is declared the latest,
 * whatever its colour — the way to start a group on a server whose copy is not up to date.
 * The other servers' copies are now behind it: those that are up resync from it.
 */
export function forceMirrorRecovery(state: ClusterState, mirror: string, server: string, now: number): ClusterChange {
  const colors = state.mirrors[mirror];
  if (colors === undefined) return refuse(REFUSAL.noMirror);
  if (!(server in colors)) return refuse(REFUSAL.noServer);
  if (!isOnline(state, server)) return refuse(REFUSAL.serverNotActive);
  const next = structuredClone(state);
  const forced = next.mirrors[mirror] as Record<string, MirrorColor>;
  for (const other of Object.keys(forced)) {
    delete next.resyncs[mirror]?.[other];
    if (other === server) continue;
    forced[other] = 'RED';
    next.breakTimes[mirror] = { ...next.breakTimes[mirror], [other]: now };
  }
  forced[server] = 'GREEN';
  delete next.breakTimes[mirror]?.[server];
  return { ok: true, state: advance(startResyncs(next, [mirror], now), now) };
}

/** Servers that would run `group` now: up, in the cluster, with every mirror of the group GREEN. */
export function canRunGroup(state: ClusterState, group: string, server: string): boolean {
  const entry = state.groups[group];
  if (entry === undefined || !entry.servers.includes(server) || !isOnline(state, server)) return false;
  return entry.mirrors.every((mirror) => state.mirrors[mirror]?.[server] === 'GREEN');
}

/** Overall mirror state as clpmdstat prints it: Normal only when GREEN on every server. */
export function mirrorIsNormal(state: ClusterState, mirror: string): boolean {
  return Object.values(state.mirrors[mirror] ?? {}).every((color) => color === 'GREEN');
}

/**
 * Servers leave the cluster. Their groups fail over: `moving` for the failover time (the
 * product detects the loss, stops what is left and starts the group elsewhere), then online on
 * the next server of their policy that can run them then (advance). A suspended cluster does
 * not monitor, so nothing fails over (3.1.4); a cluster shutdown stops its groups.
 */
function serversLeave(state: ClusterState, servers: readonly string[], to: 'offline' | 'down', now: number, options: { stopGroups?: boolean } = {}): ClusterState {
  // A server that is down cannot stop its cluster service: it has none running.
  const leaving = servers.filter((server) => {
    const current = state.servers[server]?.state;
    return current !== undefined && !(to === 'offline' && current === 'down');
  });
  if (leaving.length === 0) return state;
  const next = structuredClone(state);
  for (const server of leaving) (next.servers[server] as { state: string }).state = to;
  for (const mirror of Object.keys(next.mirrors)) breakMirror(next, mirror, leaving, now);
  for (const [group, entry] of Object.entries(next.groups)) {
    if (entry.current === null || !leaving.includes(entry.current)) continue;
    next.groups[group] = { ...entry, current: null, state: next.suspended || options.stopGroups === true ? 'offline' : 'moving' };
    if (next.groups[group]?.state === 'moving') next.failovers[group] = { from: entry.current, due: now + next.failoverMs };
  }
  return advance(next, now);
}

/**
 * Servers that leave while an up-to-date server of the mirror stays active fall behind: RED,
 * with the time it broke. Resyncs whose source is gone stop and fall back to RED.
 */
function breakMirror(state: ClusterState, mirror: string, leaving: readonly string[], now: number): void {
  const colors = state.mirrors[mirror] as Record<string, MirrorColor>;
  const writerStays = sourceOf(state, mirror) !== undefined;
  for (const server of leaving) {
    if (!(server in colors)) continue;
    cancelResync(state, mirror, server);
    if (writerStays && colors[server] === 'GREEN') {
      colors[server] = 'RED';
      state.breakTimes[mirror] = { ...state.breakTimes[mirror], [server]: now };
    }
  }
  if (writerStays) return;
  for (const server of Object.keys(state.resyncs[mirror] ?? {})) cancelResync(state, mirror, server);
}

function cancelResync(state: ClusterState, mirror: string, server: string): void {
  if (state.resyncs[mirror]?.[server] === undefined) return;
  delete state.resyncs[mirror][server];
  setColor(state, mirror, server, 'RED');
}

/** Every RED server of these mirrors that is up starts copying from an up-to-date one: YELLOW. */
function startResyncs(state: ClusterState, mirrors: readonly string[], now: number): ClusterState {
  const next = structuredClone(state);
  for (const mirror of mirrors) {
    if (sourceOf(next, mirror) === undefined) continue;
    for (const [server, color] of Object.entries(next.mirrors[mirror] ?? {})) {
      if (color !== 'RED' || !isOnline(next, server)) continue;
      setColor(next, mirror, server, 'YELLOW');
      next.resyncs[mirror] = { ...next.resyncs[mirror], [server]: now + resyncMs(next, mirror) };
    }
  }
  return next;
}

/** An active server whose copy of the mirror is up to date. */
function sourceOf(state: ClusterState, mirror: string): string | undefined {
  return Object.entries(state.mirrors[mirror] ?? {}).find(([server, color]) => color === 'GREEN' && isOnline(state, server))?.[0];
}

function startOfflineGroups(state: ClusterState): void {
  for (const [group, entry] of Object.entries(state.groups)) {
    if (entry.current !== null || entry.state === 'moving') continue;
    const target = [entry.home, ...entry.servers].find((server) => canRunGroup(state, group, server));
    if (target !== undefined) state.groups[group] = { ...entry, current: target, state: 'online' };
  }
}

/** The next server after `from` in the group's failover order that can run it. */
function failoverTarget(state: ClusterState, group: string, from: string): string | undefined {
  const order = state.groups[group]?.servers ?? [];
  const at = order.indexOf(from);
  const rotated = at < 0 ? order : [...order.slice(at + 1), ...order.slice(0, at)];
  return rotated.find((server) => server !== from && canRunGroup(state, group, server));
}

function runGroupOn(state: ClusterState, group: string, server: string): ClusterChange {
  const entry = state.groups[group];
  if (entry === undefined) return refuse(REFUSAL.noGroup);
  if (state.servers[server] === undefined) return refuse(REFUSAL.noServer);
  if (!entry.servers.includes(server)) return refuse(REFUSAL.badTarget);
  if (!isOnline(state, server)) return refuse(REFUSAL.serverNotActive);
  const stale = entry.mirrors.find((mirror) => state.mirrors[mirror]?.[server] !== 'GREEN');
  if (stale !== undefined) {
    return refuse(`${REFUSAL.resourcesFailed} (mirror disk ${stale} is ${state.mirrors[stale]?.[server] ?? 'absent'} on ${server})`);
  }
  const next = structuredClone(state);
  next.groups[group] = { ...entry, current: server, state: 'online' };
  return { ok: true, state: next };
}

function setColor(state: ClusterState, mirror: string, server: string, color: MirrorColor): void {
  const colors = state.mirrors[mirror];
  if (colors !== undefined && server in colors) colors[server] = color;
}

function isOnline(state: ClusterState, server: string): boolean {
  return state.servers[server]?.state === 'online';
}

function refuse(reason: string): ClusterChange {
  return { ok: false, reason };
}
