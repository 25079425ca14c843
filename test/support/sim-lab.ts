// A small lab on disk for tests of the simulated node: cluster.json and one node.json per
// server, written through the same schemas the lab creator uses. Emulated rpm by default.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CLUSTERPRO_SERVICES } from '../../shared/domain/clusterpro.js';
import { writeClusterState, writeNodeState, type ClusterState, type NodeState } from '../../lab/state/lab-state.js';

/** The six services of CLUSTERPRO X 2.x (CPRO-XL050-06 3.1.2 (1)); later versions add the rest. */
export const CLUSTERPRO_2X_SERVICES = CLUSTERPRO_SERVICES.slice(0, 6);

export function simCluster(servers: readonly string[], overrides: Partial<ClusterState> = {}): ClusterState {
  return {
    clusterName: 'cluster-x600',
    servers: Object.fromEntries(servers.map((server) => [server, { state: 'online' as const }])),
    groups: {
      failover1: { current: servers[0] ?? null, state: 'online', home: servers[0] ?? '', servers: [...servers], mirrors: ['md1'] },
    },
    mirrors: { md1: Object.fromEntries(servers.map((server) => [server, 'GREEN' as const])) },
    suspended: false,
    autoMirrorRecovery: true,
    mirrorSizeMb: { md1: 60_000 },
    mirrorResyncMbPerSec: 1_000,
    failoverMs: 0,
    failovers: {},
    resyncs: {},
    breakTimes: {},
    ...overrides,
  };
}

export function simNode(labDir: string, name: string, overrides: Partial<NodeState> = {}): NodeState {
  const dir = join(labDir, 'nodes', name);
  return {
    name,
    machine: 'x86_64',
    platform: 'x86_64',
    kernel: '2.6.18-92.el5',
    bootId: `boot-${name}-0`,
    power: 'up',
    rebootDelayMs: 100,
    bootCount: 1,
    bootTime: 0,
    rpm: 'emulated',
    rpmDbPath: join(dir, 'rpmdb'),
    packages: {
      clusterpro: {
        name: 'clusterpro',
        epoch: '',
        version: '2.0.0',
        release: '1',
        arch: 'x86_64',
        summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)',
        installTime: 1_224_555_101,
      },
    },
    serviceManager: 'sysv',
    services: Object.fromEntries(CLUSTERPRO_2X_SERVICES.map((service) => [service, { enabled: true, running: true }])),
    faults: [],
    listen: '127.0.0.1:0',
    packageDir: join(labDir, 'packages'),
    hooksDir: join(dir, 'hooks'),
    ...overrides,
  };
}

/** Writes a lab with these servers (all online, one group on the first, mirror md1 GREEN). */
export function writeSimLab(labDir: string, servers: readonly string[], cluster: Partial<ClusterState> = {}): void {
  mkdirSync(join(labDir, 'packages'), { recursive: true });
  writeClusterState(labDir, simCluster(servers, cluster));
  for (const server of servers) writeNodeState(labDir, simNode(labDir, server));
}
