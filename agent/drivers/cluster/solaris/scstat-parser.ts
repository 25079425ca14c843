// Reads Sun Cluster 3.1's `scstat -g` and `scstat -n` (test/fixtures/solaris has verbatim
// samples and their sources). Every row starts with a label, then the columns:
//
//    Resources: rac-framework-rg  rac_framework rac_udlm rac_cvm
//         Group: rac-framework-rg  node1      Online faulted
//      Resource: rac_framework     node1      Start failed Degraded - reconfiguration in progress
//  Cluster node:     phys-schost-1      Online
//
// States are words with blanks (3.1 writes `Online faulted` where 3.2 writes Online_faulted),
// and a resource row has no boundary between its state and its status message: the message
// starts at its status keyword (scstat(1M): Online, Offline, Faulted, Degraded, Unknown).
// Headings, dashes and the other sections (transport paths, quorum) are skipped.
import type { ScGroupStatus, ScNodeStatus, ScResourceStatus } from '../../../../shared/domain/solaris.js';
import { LockstepError } from '../../../../shared/errors.js';
import { truncateForMessage } from '../../../../shared/names.js';

/** scstat -g: the groups (3.1 has no suspended groups), each group's resources, each resource's state per node. */
export interface ScstatGroups {
  groups: ScGroupStatus[];
  /** Group name → its resources, as the `Resources:` rows list them. */
  members: Map<string, string[]>;
  resources: ScResourceStatus[];
}

const STATUS_KEYWORDS = new Set(['online', 'offline', 'faulted', 'degraded', 'unknown']);

/** The rows that start with `label:`, as their words after it. */
function labelledRows(output: string, label: string): string[][] {
  const prefix = `${label}:`;
  return output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length).trim().split(/\s+/).filter((word) => word !== ''));
}

function refuse(tool: string, what: string, output: string): never {
  throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed ${what}, so the cluster's state is unknown; it printed: "${truncateForMessage(output.trim(), 200)}"`);
}

/** `scstat -g`. Throws LOCKSTEP_E_PARSE when it lists no group, or a row lacks its columns. */
export function parseScstatGroups(output: string): ScstatGroups {
  const tool = 'scstat -g';
  const members = new Map<string, string[]>();
  for (const [group, ...resources] of labelledRows(output, 'Resources')) {
    if (group === undefined) refuse(tool, 'a "Resources:" row with no group', output);
    // scstat writes "-" for an empty column (the manual's `scstat -D` sample): a group without resources.
    members.set(group, resources.filter((resource) => resource !== '-'));
  }
  // By name, in the order first seen: a group's or resource's rows are one per node.
  const groups = new Map<string, ScGroupStatus>();
  for (const [name, node, ...state] of labelledRows(output, 'Group')) {
    if (name === undefined || node === undefined || state.length === 0) refuse(tool, 'a "Group:" row without a group, node and state', output);
    const group = groups.get(name) ?? { name, nodes: [] };
    groups.set(name, group);
    group.nodes.push({ node, suspended: false, statusText: state.join(' ') });
  }
  if (groups.size === 0 && members.size === 0) refuse(tool, 'no "Group:" rows', output);
  const resources = new Map<string, ScResourceStatus>();
  for (const [name, node, ...rest] of labelledRows(output, 'Resource')) {
    if (name === undefined || node === undefined || rest.length === 0) refuse(tool, 'a "Resource:" row without a resource, node and state', output);
    // The state is at least one word; the status message starts at the next status keyword.
    let split = 1;
    while (split < rest.length && !STATUS_KEYWORDS.has((rest[split] as string).toLowerCase())) split += 1;
    const resource = resources.get(name) ?? { name, nodes: [] };
    resources.set(name, resource);
    resource.nodes.push({ node, stateText: rest.slice(0, split).join(' '), statusMessage: rest.slice(split).join(' ') });
  }
  return { groups: [...groups.values()], members, resources: [...resources.values()] };
}

/** `scstat -n`: each node and whether it is in the cluster (Online). */
export function parseScstatNodes(output: string): ScNodeStatus[] {
  const rows = labelledRows(output, 'Cluster node');
  if (rows.length === 0) refuse('scstat -n', 'no "Cluster node:" rows', output);
  return rows.map(([name, ...status]) => {
    if (name === undefined || status.length === 0) refuse('scstat -n', 'a "Cluster node:" row without a node and status', output);
    const statusText = status.join(' ');
    return { name, statusText, online: statusText.toLowerCase() === 'online' };
  });
}
