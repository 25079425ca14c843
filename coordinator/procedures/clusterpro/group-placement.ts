// Where the failover groups run as a rolling update goes on (CPRO-XL050-06 3.1.3): the
// compiler follows every move it plans here, so that each move starts from where the group
// really is at that point and goes where the manual sends it.
import type { ClusterStatus } from '../../../shared/domain/cluster.js';
import type { Placement } from './manual-step.js';

export interface GroupMove {
  group: string;
  from: string;
  to: string;
}

export interface RollingState {
  /** The servers in update order. */
  order: readonly string[];
  /** Servers already updated, in update order. */
  updated: readonly string[];
  /** The servers being updated now. */
  batch: readonly string[];
  /** The cluster's servers the runbook does not name (online ones). */
  others?: readonly string[];
}

/** group → the server it runs on (null: it runs nowhere). */
export type GroupPlacement = Map<string, string | null>;

export function placementOf(cluster: ClusterStatus | undefined): GroupPlacement {
  return new Map((cluster?.groups ?? []).map((group) => [group.name, group.currentServer]));
}

/** SPEC §5.2: servers hosting no group first (the manual's server2), then the others, in runbook order. */
export function defaultOrder(nodes: readonly string[], placement: GroupPlacement): string[] {
  const hosting = new Set(placement.values());
  return [...nodes.filter((node) => !hosting.has(node)), ...nodes.filter((node) => hosting.has(node))];
}

/** The moves a placement rule asks for now; applies them to `placement`. */
export function planMoves(rule: Placement, placement: GroupPlacement, home: GroupPlacement, state: RollingState): GroupMove[] {
  const moves: GroupMove[] = [];
  let turn = 0;
  for (const [group, current] of placement) {
    if (current === null) continue;
    const to = destination(rule, group, current, home, state, turn);
    if (to === undefined || to === current) continue;
    moves.push({ group, from: current, to });
    placement.set(group, to);
    turn++;
  }
  return moves;
}

function destination(rule: Placement, group: string, current: string, home: GroupPlacement, state: RollingState, turn: number): string | undefined {
  switch (rule) {
    // 3.1.3.1 (1): off the servers going down, onto an updated server if there is one; else
    // onto the server updated last, so that the group need not move again soon.
    case 'away-from-batch': {
      if (!state.batch.includes(current)) return undefined;
      const updated = state.updated.filter((server) => !state.batch.includes(server));
      if (updated.length > 0) return roundRobin(updated, turn);
      return [...state.order].reverse().find((server) => !state.batch.includes(server));
    }
    // 3.1.3.3 (1): every group onto the updated server(s).
    case 'onto-updated':
      return state.updated.includes(current) ? undefined : roundRobin(state.updated, turn);
    // 3.1.3.6 (1): back where it ran before the update.
    case 'back-home':
      return home.get(group) ?? undefined;
    // Only the runbook's servers (here the batch) stop: their groups go to the cluster's others.
    case 'off-runbook':
      return state.batch.includes(current) ? roundRobin(state.others ?? [], turn) : undefined;
  }
}

function roundRobin(servers: readonly string[], turn: number): string | undefined {
  return servers[turn % servers.length];
}
