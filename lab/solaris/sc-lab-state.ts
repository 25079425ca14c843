// A Solaris Cluster lab's state on disk as sc-model's ScState, and back (SPEC §9, issue 13):
// cluster.json holds the nodes' membership (servers: online = in the cluster, noncluster =
// booted with -x, down), the resource types, groups and resources and the violations; each
// node.json holds the SVR4 packages installed on that node. Read and written only inside
// LabStore.update, under the lab lock.
import type { LabView } from '../node/lab-store.js';
import type { ClusterState } from '../state/lab-state.js';
import type { ScNodeState, ScState } from './sc-model.js';

const TO_SC: Readonly<Record<ClusterState['servers'][string]['state'], ScNodeState>> = {
  online: 'cluster',
  noncluster: 'noncluster',
  offline: 'down',
  down: 'down',
};

const FROM_SC: Readonly<Record<ScNodeState, ClusterState['servers'][string]['state']>> = {
  cluster: 'online',
  noncluster: 'noncluster',
  down: 'down',
};

/** The Solaris state of every node, packages included (other nodes' node.json are read through the view). */
export function readScState(view: LabView): ScState {
  const names = Object.keys(view.cluster.servers);
  return {
    nodes: Object.fromEntries(names.map((name) => [name, TO_SC[(view.cluster.servers[name] as { state: keyof typeof TO_SC }).state]])),
    resourceTypes: structuredClone(view.cluster.resourceTypes ?? []),
    resourceGroups: structuredClone(view.cluster.resourceGroups ?? []),
    resources: structuredClone(view.cluster.resources ?? []),
    packages: Object.fromEntries(names.map((name) => [name, structuredClone(nodeOf(view, name)?.svr4Packages ?? {})])),
    violations: [...(view.cluster.violations ?? [])],
  };
}

/** Writes `state` back into the view (LabStore.update then writes whatever changed). */
export function writeScState(view: LabView, state: ScState): void {
  const servers = Object.fromEntries(Object.entries(state.nodes).map(([name, nodeState]) => [name, { state: FROM_SC[nodeState] }]));
  view.cluster = {
    ...view.cluster,
    servers,
    resourceTypes: state.resourceTypes,
    resourceGroups: state.resourceGroups,
    resources: state.resources,
    violations: state.violations,
  };
  for (const [name, packages] of Object.entries(state.packages)) {
    const node = nodeOf(view, name);
    if (node !== undefined) node.svr4Packages = packages;
  }
}

function nodeOf(view: LabView, name: string): ReturnType<LabView['otherNode']> {
  return name === view.node.name ? view.node : view.otherNode(name);
}
