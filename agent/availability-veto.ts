// The agent's own availability check (defence in depth, issue 16 part 1): before an action
// that takes this server, or a group, out of service, the cluster's state as read here
// (clpstat, clpmdstat) must leave every running failover group a server to run on and every
// mirror an up-to-date copy online. The coordinator's plan is checked too; this check holds
// even when the plan was wrong or the cluster changed after it (a server lost power).
import type { ClusterAction, ClusterStatus, MirrorStatus } from '../shared/domain/cluster.js';

/** What an action does to availability, as far as this check is concerned. */
export type Exit =
  /** These servers leave the cluster (clpdown, a reboot). */
  | { kind: 'servers-leave'; servers: readonly string[] }
  /** Every server leaves (clpstdn): refused without planned downtime, whatever the state. */
  | { kind: 'cluster-stops' }
  /** The group stops where it runs (clpgrp -t). */
  | { kind: 'group-stops'; group: string }
  /** The group moves to `to`, or where the failover policy says when `to` is undefined. */
  | { kind: 'group-moves'; group: string; to: string | undefined };

export interface ClusterView {
  status: ClusterStatus;
  mirrors: readonly MirrorStatus[];
}

/** The exit an action makes from this server (`local`), or undefined when it takes nothing out. */
export function exitOf(action: ClusterAction | 'reboot', local: string): Exit | undefined {
  if (action === 'reboot') return { kind: 'servers-leave', servers: [local] };
  switch (action.kind) {
    case 'stop-server':
      return { kind: 'servers-leave', servers: [local] };
    case 'stop-cluster':
      return { kind: 'cluster-stops' };
    case 'stop-group':
      return { kind: 'group-stops', group: action.group as string };
    case 'move-group':
      return { kind: 'group-moves', group: action.group as string, to: action.server === '' ? undefined : action.server };
    case 'evacuate':
      // Solaris Cluster's `clnode evacuate`: every group on the node must have another node to go to.
      return { kind: 'servers-leave', servers: [action.node ?? local] };
    default:
      return undefined;
  }
}

/**
 * Why the exit would break availability, one sentence per group or mirror; empty when it
 * would not. The failover policy is not in clpstat's output, so any online server with the
 * group's mirrors up to date counts as a place it can run: this check errs towards letting an
 * action through, and the plan's own check (which knows the policy) errs the other way.
 */
export function availabilityBreaches(exit: Exit, view: ClusterView): string[] {
  const { status } = view;
  if (exit.kind === 'cluster-stops') return ['clpstdn stops every server of the cluster, and no planned downtime was declared'];
  const online = new Set(status.servers.filter(isUp).map((server) => server.name));
  // This server's cluster service is not running (it sees every server offline): it runs no
  // group and serves no mirror copy, so taking it out changes nothing the cluster has.
  if (online.size === 0) return [];
  const green = greenCopies(view.mirrors, online);
  if (exit.kind === 'group-stops') {
    const group = status.groups.find((entry) => entry.name === exit.group);
    return group?.currentServer ? [`group ${group.name} would be stopped (it runs on ${group.currentServer}) and run nowhere`] : [];
  }
  if (exit.kind === 'group-moves') return moveBreaches(exit, view, online, green);
  // CPRO-XL050-06 3.1.4: a suspended cluster does not monitor, so nothing fails over.
  const suspended = status.servers.some((server) => server.state === 'suspended');
  const staying = new Set(suspended ? [] : [...online].filter((server) => !exit.servers.includes(server)));
  const breaches: string[] = [];
  // A group still failing over (Online Pending) has not landed: whether it has a server to run
  // on depends on the servers it may still start on, this one among them. Found by a rehearsal:
  // a server taken out while a group that left a powered-off server was still moving left two
  // servers out and both groups in flight. Wait for the cluster to settle.
  if (!suspended) {
    for (const group of status.groups.filter((entry) => entry.state === 'online-pending')) {
      const where = group.currentServer === null ? 'with no server to start on yet' : `towards ${group.currentServer}`;
      breaches.push(`group ${group.name} is failing over (${group.stateText || 'Online Pending'}, ${where}); wait until it is online before taking ${exit.servers.join(', ')} out`);
    }
  }
  for (const group of status.groups) {
    if (group.state === 'online-pending') continue;
    if (group.currentServer === null || !exit.servers.includes(group.currentServer)) continue;
    const mirrors = groupMirrors(group.resources, green);
    const targets = [...staying].filter((server) => mayRunOn(group, server) && mirrors.every((mirror) => green.get(mirror)?.has(server)));
    if (targets.length === 0) {
      const why = suspended ? ' (the cluster is suspended: nothing fails over)' : describeOthers(online, exit.servers);
      breaches.push(`group ${group.name} (on ${group.currentServer}) would have no online server to fail over to${why}`);
    }
  }
  for (const [mirror, servers] of green) {
    if (servers.size > 0 && [...servers].every((server) => exit.servers.includes(server))) {
      breaches.push(`mirror ${mirror} would have no up-to-date copy online (GREEN only on ${[...servers].join(', ')})`);
    }
  }
  return breaches;
}

function moveBreaches(exit: Extract<Exit, { kind: 'group-moves' }>, view: ClusterView, online: ReadonlySet<string>, green: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const group = view.status.groups.find((entry) => entry.name === exit.group);
  if (group?.currentServer === null || group === undefined) return [];
  const mirrors = groupMirrors(group.resources, green);
  const fits = (server: string): boolean => server !== group.currentServer && online.has(server) && mayRunOn(group, server) && mirrors.every((mirror) => green.get(mirror)?.has(server));
  if (exit.to !== undefined) {
    if (fits(exit.to)) return [];
    const why = !mayRunOn(group, exit.to) ? `${exit.to} is not in its node list (${group.nodeList?.join(', ') ?? ''})` : online.has(exit.to) ? `its mirror ${mirrors.join(', ')} is not up to date there` : `${exit.to} is not online`;
    return [`group ${group.name} (on ${group.currentServer}) would be moved to ${exit.to}, where it cannot run: ${why}`];
  }
  return [...online].some(fits) ? [] : [`group ${group.name} (on ${group.currentServer}) has no other online server to move to`];
}

/**
 * A Solaris resource group runs only on the nodes of its Nodelist (clresourcegroup status lists
 * them); a CLUSTERPRO group's failover policy is not in clpstat's output, so any server counts.
 */
function mayRunOn(group: ClusterStatus['groups'][number], server: string): boolean {
  return group.nodeList === undefined || group.nodeList.length === 0 || group.nodeList.includes(server);
}

/** For each mirror, the online servers whose copy is up to date (GREEN). */
function greenCopies(mirrors: readonly MirrorStatus[], online: ReadonlySet<string>): Map<string, Set<string>> {
  return new Map(mirrors.map((mirror) => [mirror.name, new Set(mirror.servers.filter((copy) => copy.color === 'GREEN' && online.has(copy.server)).map((copy) => copy.server))]));
}

/** The group's resources that are mirror disks (clpstat lists them under the group). */
function groupMirrors(resources: readonly string[] | undefined, mirrors: ReadonlyMap<string, unknown>): string[] {
  return (resources ?? []).filter((resource) => mirrors.has(resource));
}

function isUp(server: ClusterStatus['servers'][number]): boolean {
  return server.state === 'online' || server.state === 'suspended' || server.state === 'caution';
}

function describeOthers(online: ReadonlySet<string>, leaving: readonly string[]): string {
  const others = [...online].filter((server) => !leaving.includes(server));
  return others.length === 0 ? ` (no other server is online)` : ` (online: ${others.join(', ')})`;
}
