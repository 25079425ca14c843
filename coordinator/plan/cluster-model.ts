// The cluster as the availability proof reasons about it, whatever the product: servers in
// the cluster or not, groups with where they run and the servers they may run on (in order of
// preference), and mirror disks with the servers whose copy is up to date. Both products'
// preflights read a ClusterStatus (the agent's CLUSTERPRO driver from clpstat and clpmdstat,
// its Solaris Cluster driver from clnode status and clresourcegroup status); clusterModel turns
// either into this one input.
import type { ClusterGroup, ClusterServer, ClusterStatus, MirrorStatus } from '../../shared/domain/cluster.js';

export interface ClusterModel {
  /** Every server (Solaris Cluster: node) of the cluster, in its order. */
  servers: string[];
  /** Those in the cluster now. */
  up: string[];
  /** CLUSTERPRO's suspended cluster fails nothing over (3.1.4). */
  suspended: boolean;
  groups: ModelGroup[];
  mirrors: ModelMirror[];
}

export interface ModelGroup {
  name: string;
  /** What refusals call it: a CLUSTERPRO failover group, or a Solaris Cluster resource group. */
  noun: 'group' | 'resource group';
  /** Where it runs now; null: nowhere. */
  runningOn: string | null;
  /**
   * The servers it may run on, most preferred first: a resource group's Nodelist; every server
   * of the cluster for a CLUSTERPRO group (clpstat does not print the failover policy).
   */
  nodeList: string[];
  /** Its mirror disks: it runs only where each is up to date. */
  mirrors: string[];
}

export interface ModelMirror {
  name: string;
  /** The servers whose copy is up to date (GREEN). */
  upToDate: string[];
}

/** States in which a server is in the cluster. */
const IN_CLUSTER: ReadonlySet<ClusterServer['state']> = new Set(['online', 'suspended', 'caution']);

/**
 * The model of the cluster the preflight read. A group with a node list is a Solaris Cluster
 * resource group (only that driver reads one); a CLUSTERPRO group's mirrors are the mirror
 * disks clpstat lists under it.
 */
export function clusterModel(cluster: ClusterStatus, mirrors: readonly MirrorStatus[]): ClusterModel {
  const servers = cluster.servers.map((server) => server.name);
  const mirrorNames = new Set(mirrors.map((mirror) => mirror.name));
  const group = (entry: ClusterGroup): ModelGroup => ({
    name: entry.name,
    noun: entry.nodeList === undefined ? 'group' : 'resource group',
    runningOn: entry.currentServer,
    nodeList: entry.nodeList ?? servers,
    mirrors: (entry.resources ?? []).filter((resource) => mirrorNames.has(resource)),
  });
  return {
    servers,
    up: cluster.servers.filter((server) => IN_CLUSTER.has(server.state)).map((server) => server.name),
    suspended: cluster.servers.some((server) => server.state === 'suspended'),
    groups: cluster.groups.map(group),
    mirrors: mirrors.map((mirror) => ({ name: mirror.name, upToDate: mirror.servers.filter((copy) => copy.color === 'GREEN').map((copy) => copy.server) })),
  };
}
