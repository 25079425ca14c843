// Issue 16 part 4: a cluster step found half done (dispatched before a coordinator restart,
// or INTERRUPTED on its agent) is judged by what the cluster shows now — clpstat, clpmdstat,
// the node's boot id — rather than by a journal that may not know. Only a step with no
// observable effect (a hook, a resource-type change) stays unverifiable.
import type { AgentApi } from '../../shared/agent-api.js';
import type { ClusterStatus } from '../../shared/domain/cluster.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { StepParams } from '../runbook/step-params.js';

export interface ObservationContext {
  agent: AgentApi;
  agentFor: (node: string) => AgentApi;
  params: StepParams;
  /** What the dispatch recorded (boot ids, the group's server before a move). */
  recorded: Record<string, string>;
}

/** What the probe found: `done` when the step's effect is visible, with the words for the run's event log. */
export interface Observation {
  done: boolean;
  found: string;
}

export const BOOT_ID_BEFORE = 'bootIdBefore:';
const GROUP_BEFORE = 'groupBefore:';

type Observer = (context: ObservationContext) => Promise<Observation>;

const OBSERVERS: Partial<Record<NodeStepKind, Observer>> = {
  'group.move': observeMove,
  'group.start': (context) => observeGroup(context, true),
  'group.stop': (context) => observeGroup(context, false),
  'server.shutdown': observeBootIds,
  'node.reboot': observeBootIds,
  'cluster.shutdown': observeBootIds,
  'cluster.suspend': (context) => observeSuspended(context, true),
  'cluster.resume': (context) => observeSuspended(context, false),
  'mirror.recover': observeMirror,
};

/** The kinds whose effect the cluster shows; any other cluster action stays unverifiable. */
export function isObservable(kind: NodeStepKind): boolean {
  return OBSERVERS[kind] !== undefined;
}

/**
 * Probes the cluster for the step's effect; undefined when the kind has no observable effect.
 * A node that does not answer (down mid-reboot) rejects with its error: the caller waits for it.
 */
export async function observeEffect(kind: NodeStepKind, context: ObservationContext): Promise<Observation | undefined> {
  return OBSERVERS[kind]?.(context);
}

/** What a group.move must remember before it is sent: where the group was (a move without `to` is seen by the group leaving it). */
export async function groupBeforeMove(agent: AgentApi, group: string): Promise<Record<string, string>> {
  const status = await agent.clusterStatus();
  return { [`${GROUP_BEFORE}${group}`]: status.groups.find((entry) => entry.name === group)?.currentServer ?? '' };
}

async function observeMove({ agent, params, recorded }: ObservationContext): Promise<Observation> {
  const group = params.group as string;
  const entry = (await agent.clusterStatus()).groups.find((candidate) => candidate.name === group);
  const where = entry?.currentServer ?? null;
  const online = entry?.state === 'online' && where !== null;
  const before = recorded[`${GROUP_BEFORE}${group}`];
  const arrived = params.to !== undefined ? where === params.to : before !== undefined && before !== '' && where !== before;
  if (online && arrived) return { done: true, found: `group ${group} already on ${where}` };
  return { done: false, found: `group ${group} is ${entry?.stateText ?? 'absent'}${where === null ? '' : ` on ${where}`}, not yet on ${params.to ?? `a server other than ${before || 'its first'}`}` };
}

async function observeGroup({ agent, params }: ObservationContext, online: boolean): Promise<Observation> {
  const group = params.group as string;
  const entry = (await agent.clusterStatus()).groups.find((candidate) => candidate.name === group);
  const state = entry?.state ?? 'offline';
  const done = online ? state === 'online' : state === 'offline';
  return { done, found: `group ${group} is ${entry?.stateText ?? 'absent'}${entry?.currentServer ? ` on ${entry.currentServer}` : ''}` };
}

async function observeBootIds({ agentFor, recorded }: ObservationContext): Promise<Observation> {
  const watched = Object.entries(recorded).filter(([key]) => key.startsWith(BOOT_ID_BEFORE));
  if (watched.length === 0) return { done: false, found: 'no boot id was recorded before the step' };
  const found = await Promise.all(
    watched.map(async ([key, before]) => {
      const node = key.slice(BOOT_ID_BEFORE.length);
      const { bootId } = await agentFor(node).nodeInfo();
      return { node, rebooted: bootId !== before, bootId };
    }),
  );
  const done = found.every((entry) => entry.rebooted);
  const words = found.map((entry) => (entry.rebooted ? `${entry.node} back with a new boot id ${entry.bootId}` : `${entry.node} has not rebooted (same boot id)`));
  return { done, found: words.join(', ') };
}

async function observeSuspended({ agent }: ObservationContext, suspended: boolean): Promise<Observation> {
  const status = await agent.clusterStatus();
  const shown = clusterShows(status);
  return { done: suspended ? shown === 'suspended' : shown === 'running', found: `clpstat shows the cluster ${shown}` };
}

function clusterShows(status: ClusterStatus): 'suspended' | 'running' | 'stopped' {
  if (status.servers.some((server) => server.state === 'suspended')) return 'suspended';
  return status.servers.some((server) => server.state === 'online') ? 'running' : 'stopped';
}

/** clpmdctrl -r done: no copy on a server in the cluster is still RED (it is GREEN, or copying). */
async function observeMirror({ agent, params }: ObservationContext): Promise<Observation> {
  const mirror = params.mirror ?? '';
  const [mirrors, status] = await Promise.all([agent.mirrorStatus(mirror), agent.clusterStatus()]);
  const up = new Set(status.servers.filter((server) => server.state === 'online' || server.state === 'suspended').map((server) => server.name));
  const copies = mirrors.flatMap((entry) => entry.servers.filter((server) => up.has(server.server)).map((server) => ({ mirror: entry.name, ...server })));
  const red = copies.filter((copy) => copy.color === 'RED');
  const shown = copies.map((copy) => `${copy.color} on ${copy.server}`).join(', ');
  return { done: copies.length > 0 && red.length === 0, found: `mirror ${mirror} ${shown || 'shows no copy on a server in the cluster'}` };
}
