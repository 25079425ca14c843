// A simulated node boots when its agent starts after a power-off (SPEC §9): a new boot id,
// the enabled services start, and the cluster daemon, if enabled, joins the cluster — whose
// out-of-date mirrors then resync (or wait for clpmdctrl -r). An agent that merely restarted
// (killed, crashed) finds the node up and boots nothing: same boot id, same services.
import { randomUUID } from 'node:crypto';
import { serverJoins } from '../clusterpro/cluster-model.js';
import type { NodeState } from '../state/lab-state.js';
import { readScState, writeScState } from '../solaris/sc-lab-state.js';
import { setNodeState } from '../solaris/sc-model.js';
import { LabStore } from './lab-store.js';
import { CLUSTER_DAEMON } from './commands/service-commands.js';

export interface BootReport {
  booted: boolean;
  bootId: string;
  bootCount: number;
  /** Services started at boot (those enabled). */
  started: string[];
  /** The server's state in cluster.json afterwards. */
  serverState: string | undefined;
}

export function needsBoot(node: NodeState): boolean {
  return node.power === 'down' || node.bootCount === 0;
}

export function bootNode(labDir: string, node: string, now: number): Promise<BootReport> {
  const store = new LabStore(labDir, node, () => now);
  return store.update((view) => {
    const state = view.node;
    if (!needsBoot(state)) {
      return { booted: false, bootId: state.bootId, bootCount: state.bootCount, started: [], serverState: view.cluster.servers[node]?.state };
    }
    state.bootId = randomUUID();
    state.power = 'up';
    state.bootCount += 1;
    state.bootTime = now;
    const started = Object.entries(state.services).filter(([, service]) => service.enabled).map(([name]) => name);
    for (const [, service] of Object.entries(state.services)) service.running = service.enabled;
    if (state.os === 'solaris') {
      // Solaris Cluster: `reboot -- -x` boots out of the cluster (noncluster mode), any other boot into it.
      const joined = setNodeState(readScState(view), node, state.nextBoot === 'noncluster' ? 'noncluster' : 'cluster');
      if (joined.ok) writeScState(view, joined.state);
      delete state.nextBoot;
      return { booted: true, bootId: state.bootId, bootCount: state.bootCount, started, serverState: view.cluster.servers[node]?.state };
    }
    const server = view.cluster.servers[node];
    // Up but out of the cluster until the daemon starts (it may be disabled: 3.1.2 (1)).
    if (server !== undefined && server.state === 'down') server.state = 'offline';
    if (state.services[CLUSTER_DAEMON]?.enabled === true) view.cluster = serverJoins(view.cluster, node, now);
    return { booted: true, bootId: state.bootId, bootCount: state.bootCount, started, serverState: view.cluster.servers[node]?.state };
  });
}
