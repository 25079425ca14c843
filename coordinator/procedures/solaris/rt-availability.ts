// The availability rule of an rt-upgrade plan (issue 13), checked on the compiled plan before
// any run: every resource group online when the plan was made keeps an online node at every
// task — a node is evacuated before it leaves the cluster, and its groups have another node in
// the cluster to go to — except the groups the row itself takes offline (its planned
// unavailability, which `plan` shows), and every such group is online again at the end. The
// plan is walked task by task, following where each group runs and which nodes are in the
// cluster. The groups' node lists are not read: any other node in the cluster counts as one a
// group can go to (the agent's veto checks `clnode evacuate` against the cluster as it is).
import type { ClusterGroup } from '../../../shared/domain/cluster.js';
import type { NodeTask, Plan } from '../../plan/plan.js';

interface Walk {
  inCluster: Set<string>;
  /** Where each group runs now; null: offline. */
  on: Map<string, string | null>;
  /** Groups the row has taken offline on purpose, until it brings them back. */
  planned: Set<string>;
  order: readonly string[];
}

/** Every way the plan would leave a group without a node; empty when the rule holds. */
export function rtAvailabilityViolations(plan: Plan, groups: readonly ClusterGroup[], clusterNodes: readonly string[]): string[] {
  const online = groups.filter((group) => group.currentServer !== null);
  const walk: Walk = { inCluster: new Set(clusterNodes), on: new Map(online.map((group) => [group.name, group.currentServer])), planned: new Set(), order: clusterNodes };
  const violations: string[] = [];
  for (const stage of plan.stages) {
    if (stage.type !== 'tasks') continue;
    for (const [node, tasks] of Object.entries(stage.lanes)) {
      for (const task of tasks) violations.push(...advance(walk, node, task).map((problem) => `${stage.id} (${task.stepId} on ${node}): ${problem}`));
    }
  }
  for (const [group, server] of walk.on) if (server === null) violations.push(`group ${group} was online before the plan and is not brought back online by it`);
  return violations;
}

function advance(walk: Walk, node: string, task: NodeTask): string[] {
  const group = task.params.resourceGroup ?? '';
  switch (task.kind) {
    case 'node.evacuate':
      return groupsOn(walk, node).flatMap((name) => {
        const to = walk.order.find((other) => other !== node && walk.inCluster.has(other));
        walk.on.set(name, to ?? null);
        return to === undefined && !walk.planned.has(name) ? [`group ${name} has no other node in the cluster to go to when ${node} is evacuated`] : [];
      });
    case 'node.leave-cluster':
      walk.inCluster.delete(node);
      return groupsOn(walk, node)
        .filter((name) => !walk.planned.has(name))
        .map((name) => `group ${name} still runs on ${node} when it leaves the cluster (not evacuated first)`);
    case 'node.rejoin-cluster':
      walk.inCluster.add(node);
      return [];
    case 'rg.offline':
      if (walk.on.has(group)) {
        walk.on.set(group, null);
        walk.planned.add(group);
      }
      return [];
    case 'rg.online': {
      if (!walk.on.has(group)) return [];
      const to = walk.order.find((other) => walk.inCluster.has(other));
      walk.on.set(group, to ?? null);
      walk.planned.delete(group);
      return to === undefined ? [`group ${group} is brought online with no node in the cluster`] : [];
    }
    default:
      return [];
  }
}

function groupsOn(walk: Walk, node: string): string[] {
  return [...walk.on].filter(([, server]) => server === node).map(([name]) => name);
}
