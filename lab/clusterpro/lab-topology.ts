// The starting cluster of a lab: every server online, failover groups homed on the first
// servers so that the last one hosts none (the manual's rolling update starts there:
// CPRO-XL050-06 3.1.3 updates server2, the server without groups, before server1), and with
// Replicator one mirror disk per group, GREEN everywhere.
import type { ClusterState } from '../state/lab-state.js';

export interface TopologyInput {
  clusterName: string;
  servers: readonly string[];
  replicator: boolean;
  autoMirrorRecovery: boolean;
  /** Every mirror disk's size, MB. */
  mirrorSizeMb: number;
  mirrorResyncMbPerSec: number;
  failoverMs: number;
}

export function initialClusterState(input: TopologyInput): ClusterState {
  const { servers } = input;
  // One group per server but the last; a one-server lab still has a group to move.
  const groupCount = Math.max(1, servers.length - 1);
  const groups: ClusterState['groups'] = {};
  const mirrors: ClusterState['mirrors'] = {};
  for (let index = 0; index < groupCount; index += 1) {
    const home = servers[index] as string;
    const mirror = `md${index + 1}`;
    if (input.replicator) mirrors[mirror] = Object.fromEntries(servers.map((server) => [server, 'GREEN' as const]));
    groups[`failover${index + 1}`] = {
      current: home,
      state: 'online',
      home,
      servers: rotate(servers, index),
      mirrors: input.replicator ? [mirror] : [],
    };
  }
  return {
    clusterName: input.clusterName,
    servers: Object.fromEntries(servers.map((server) => [server, { state: 'online' as const }])),
    groups,
    mirrors,
    suspended: false,
    autoMirrorRecovery: input.autoMirrorRecovery,
    mirrorSizeMb: Object.fromEntries(Object.keys(mirrors).map((mirror) => [mirror, input.mirrorSizeMb])),
    mirrorResyncMbPerSec: input.mirrorResyncMbPerSec,
    failoverMs: input.failoverMs,
    failovers: {},
    resyncs: {},
    breakTimes: {},
  };
}

/** A given cluster's starting state (a twin's, lab-create.ts's LabShape): mirrors as they were, the lab's timing. */
export function shapedClusterState(
  shape: { clusterName: string; servers: Readonly<Record<string, ClusterState['servers'][string]['state']>>; groups: ClusterState['groups']; mirrors: ClusterState['mirrors'] },
  settings: Pick<TopologyInput, 'autoMirrorRecovery' | 'mirrorSizeMb' | 'mirrorResyncMbPerSec' | 'failoverMs'>,
): ClusterState {
  return {
    clusterName: shape.clusterName,
    servers: Object.fromEntries(Object.entries(shape.servers).map(([server, state]) => [server, { state }])),
    groups: structuredClone(shape.groups),
    mirrors: structuredClone(shape.mirrors),
    suspended: false,
    autoMirrorRecovery: settings.autoMirrorRecovery,
    mirrorSizeMb: Object.fromEntries(Object.keys(shape.mirrors).map((mirror) => [mirror, settings.mirrorSizeMb])),
    mirrorResyncMbPerSec: settings.mirrorResyncMbPerSec,
    failoverMs: settings.failoverMs,
    failovers: {},
    resyncs: {},
    breakTimes: {},
  };
}

/** SPEC §5.2's default order: servers hosting no group first, then the others as listed. */
export function rollingOrder(state: ClusterState, servers: readonly string[]): string[] {
  const hosting = new Set(Object.values(state.groups).map((group) => group.current));
  return [...servers.filter((server) => !hosting.has(server)), ...servers.filter((server) => hosting.has(server))];
}

/** Failover order starting at the group's home server, then the next ones round the list. */
function rotate(servers: readonly string[], start: number): string[] {
  return [...servers.slice(start), ...servers.slice(0, start)];
}
