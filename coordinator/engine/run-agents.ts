// The engine's one seam to the agents: what it needs of the clients of a run's nodes, and how
// it gets them. Production dials them over mTLS (agent-pool.ts); a test may hand the engine
// clients of agents it started itself. The engine sees the agent contract (AgentApi) and a
// link probe, nothing of gRPC.
import type { TlsPaths } from '../../shared/tls.js';
import type { AgentApi } from '../../shared/agent-api.js';
import type { PlanNode } from '../plan/plan.js';

/** A node's agent as a run uses it: the agent contract, and a cheap probe of its link. */
export interface RunAgent extends AgentApi {
  /** True when the agent answers within `deadlineMs` (a health call, not an operation). */
  answers(deadlineMs: number): Promise<boolean>;
}

/** One client per node of a run. */
export interface RunAgents {
  client(node: string): RunAgent;
  /** A fresh channel to a node whose link was down (agent-pool.ts says why). */
  reconnect(node: string): RunAgent;
  /** True when these clients speak to exactly these nodes at these addresses. */
  serves(nodes: readonly PlanNode[]): boolean;
  /** The deadline of every call from now on. */
  setDeadline(deadlineMs: number): void;
  close(): void;
}

export type ConnectAgents = (nodes: readonly PlanNode[], tls: TlsPaths, deadlineMs: number) => Promise<RunAgents>;
