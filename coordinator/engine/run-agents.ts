// The engine's one seam to the agents: what it needs of the clients of a run's nodes, and how
// it gets them. Production dials them over mTLS (agent-pool.ts); a test may hand the engine
// clients of agents it started itself. Narrow on purpose, so it can be retyped to the agent
// contract without touching the engine.
import type { TlsPaths } from '../../shared/tls.js';
import type { AgentClient } from '../../shared/wire/agent-client.js';
import type { PlanNode } from '../plan/plan.js';
import { AgentPool } from './agent-pool.js';

/** One client per node of a run. */
export interface RunAgents {
  client(node: string): AgentClient;
  /** A fresh channel to a node whose link was down (agent-pool.ts says why). */
  reconnect(node: string): AgentClient;
  /** True when these clients speak to exactly these nodes at these addresses. */
  serves(nodes: readonly PlanNode[]): boolean;
  /** The deadline of every call from now on. */
  setDeadline(deadlineMs: number): void;
  close(): void;
}

export type ConnectAgents = (nodes: readonly PlanNode[], tls: TlsPaths, deadlineMs: number) => Promise<RunAgents>;

export const connectOverTls: ConnectAgents = (nodes, tls, deadlineMs) => AgentPool.connect(nodes, tls, deadlineMs);
