// One client per node of a run, over mTLS with the runbook's credentials. The coordinator
// checks that each agent's certificate names the node the runbook puts at that address
// (SPEC §8), and reconnects with a backoff capped at 500 ms (SPEC §4.3).
//
// AgentPools keeps a pool for a while after its user closes it (issue 19): the next preflight
// of the same nodes at the same addresses with the same TLS material (a `plan` then an `apply`,
// one run after another) reuses its connections instead of dialling every agent again — at 32
// nodes the handshakes were most of the preflight. Only a pool whose every channel is connected
// is kept, for 5 minutes at most (4 pools, 1024 connections). The material is read and checked
// again on every connect (an expired or changed CRL, a renewed certificate: a new pool), and an
// agent that restarts meanwhile is dialled again, its certificate checked in a new handshake, as
// on any reconnection.
import { createHash } from 'node:crypto';
import { LockstepError } from '../../shared/errors.js';
import { agentChannelOptions, clientCredentialsFactory, loadTlsMaterial, type TlsMaterial, type TlsPaths } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import type { PlanNode } from '../plan/plan.js';
import type { ConnectAgents, RunAgent, RunAgents } from './run-agents.js';

const RECONNECT_OPTIONS = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  // SPEC §4.3, §12: a node cut off while a call is in flight (a long rpm -U, a barrier's last
  // step) must be noticed in seconds, not when the step's deadline ends the call: a ping every
  // 2 s that goes unanswered for 1.5 s drops the connection, the call fails UNAVAILABLE, and
  // the run driver reports the node unreachable and retries with the same op id. The agent's
  // grpc-js server answers pings without a rate policy, so no server option is needed.
  'grpc.keepalive_time_ms': 2_000,
  'grpc.keepalive_timeout_ms': 1_500,
  // channelz (grpc's introspection service, which lockstep does not serve) keeps call and
  // socket statistics for every channel: CPU on every call and memory for every node.
  'grpc.enable_channelz': 0,
} as const;

export class AgentPool {
  private readonly clients = new Map<string, AgentClient>();

  private constructor(
    private readonly connectTo: ReadonlyMap<string, (deadlineMs: number) => AgentClient>,
    private readonly addresses: ReadonlyMap<string, string>,
    private deadlineMs: number,
  ) {
    for (const [node, connect] of connectTo) this.clients.set(node, connect(deadlineMs));
  }

  /** Channels connect on their first call; one TLS context serves them all. */
  static async connect(nodes: readonly PlanNode[], tls: TlsPaths, deadlineMs = 15_000): Promise<AgentPool> {
    return AgentPool.fromMaterial(nodes, await loadTlsMaterial(tls), deadlineMs);
  }

  static fromMaterial(nodes: readonly PlanNode[], material: TlsMaterial, deadlineMs: number): AgentPool {
    // Only agents: a coordinator's or an operator's certificate from the same CA is refused in the handshake.
    const credentialsFor = clientCredentialsFactory(material, 'agent');
    const factories = new Map<string, (deadlineMs: number) => AgentClient>();
    for (const node of nodes) {
      const credentials = credentialsFor(node.name);
      const channelOptions = { ...agentChannelOptions(node.name), ...RECONNECT_OPTIONS };
      factories.set(node.name, (deadline) => new AgentClient(node.address, credentials, { deadlineMs: deadline, channelOptions }));
    }
    return new AgentPool(factories, new Map(nodes.map((node) => [node.name, node.address])), deadlineMs);
  }

  /** True when this pool speaks to exactly these nodes at these addresses (a run may then take it over). */
  serves(nodes: readonly PlanNode[]): boolean {
    return nodes.length === this.addresses.size && nodes.every((node) => this.addresses.get(node.name) === node.address);
  }

  /** The deadline of every call from now on, e.g. a run's after the preflight's short one. */
  setDeadline(deadlineMs: number): void {
    this.deadlineMs = deadlineMs;
    for (const client of this.clients.values()) client.setDeadline(deadlineMs);
  }

  client(node: string): AgentClient {
    const client = this.clients.get(node);
    if (client === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `no agent client for node ${node}`);
    return client;
  }

  /**
   * Replaces a node's channel. A connection attempt made while the link was down can sit in
   * TCP's SYN retransmissions for up to a minute after the link is back; a new channel tries
   * at once. Calls in flight on the old channel run to their end (grpc-js closes a channel
   * gracefully); a call made on it afterwards fails as unreachable (test/integration/agent-pool.test.ts).
   */
  reconnect(node: string): AgentClient {
    const connect = this.connectTo.get(node);
    if (connect === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `no agent client for node ${node}`);
    this.clients.get(node)?.close();
    const client = connect(this.deadlineMs);
    this.clients.set(node, client);
    return client;
  }

  /** Nodes (one channel each). */
  get size(): number {
    return this.clients.size;
  }

  /** True when every node's channel is connected now (a pool worth keeping). */
  connected(): boolean {
    return this.clients.size > 0 && [...this.clients.values()].every((client) => client.connected());
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/** A new pool, closed when its user closes it (no keeping). */
export const connectOverTls: ConnectAgents = (nodes, tls, deadlineMs) => AgentPool.connect(nodes, tls, deadlineMs);

/** How long a closed pool is kept for the next connect to the same nodes: a `plan`, read, then `apply`. */
const IDLE_MS = 5 * 60_000;
/** Pools kept at once, and connections in them (a kept pool holds one per node), the oldest closed first. */
const MAX_IDLE = 4;
const MAX_IDLE_CONNECTIONS = 1_024;

export class AgentPools {
  private readonly idle = new Map<string, { pool: AgentPool; timer: NodeJS.Timeout }>();
  private closed = false;

  constructor(private readonly options: { idleMs?: number; maxIdle?: number } = {}) {}

  /** A pool of these nodes: a kept one when its nodes, addresses and TLS material are these, else a new one. */
  readonly connect: ConnectAgents = async (nodes, tls, deadlineMs) => {
    const material = await loadTlsMaterial(tls);
    const key = poolKey(nodes, material);
    const kept = this.idle.get(key);
    if (kept !== undefined) {
      this.idle.delete(key);
      clearTimeout(kept.timer);
      kept.pool.setDeadline(deadlineMs);
      return leased(kept.pool, () => this.release(key, kept.pool));
    }
    const pool = AgentPool.fromMaterial(nodes, material, deadlineMs);
    return leased(pool, () => this.release(key, pool));
  };

  /** Pools kept now. */
  get kept(): number {
    return this.idle.size;
  }

  /** Closes every kept pool; pools in use are closed when their users close them. */
  close(): void {
    this.closed = true;
    for (const { pool, timer } of this.idle.values()) {
      clearTimeout(timer);
      pool.close();
    }
    this.idle.clear();
  }

  private release(key: string, pool: AgentPool): void {
    if (this.closed || this.idle.has(key) || !pool.connected()) {
      pool.close();
      return;
    }
    const timer = setTimeout(() => {
      if (this.idle.get(key)?.pool !== pool) return;
      this.idle.delete(key);
      pool.close();
    }, this.options.idleMs ?? IDLE_MS);
    timer.unref();
    this.idle.set(key, { pool, timer });
    // The oldest goes first (a Map keeps insertion order).
    for (const [oldKey, oldest] of this.idle) {
      const connections = [...this.idle.values()].reduce((sum, kept) => sum + kept.pool.size, 0);
      if (this.idle.size <= (this.options.maxIdle ?? MAX_IDLE) && (connections <= MAX_IDLE_CONNECTIONS || this.idle.size === 1)) break;
      clearTimeout(oldest.timer);
      oldest.pool.close();
      this.idle.delete(oldKey);
    }
  }
}

/** The nodes (name and address, in any order) and every byte of the TLS material. */
function poolKey(nodes: readonly PlanNode[], material: TlsMaterial): string {
  const hash = createHash('sha256');
  for (const node of [...nodes].sort((a, b) => a.name.localeCompare(b.name))) hash.update(`${node.name}\0${node.address}\0`);
  for (const part of [material.ca, material.cert, material.key, material.crl ?? Buffer.alloc(0)]) hash.update(`${part.length}\0`).update(part);
  return hash.digest('hex');
}

/** The pool for one user: closing it hands it back (once), it does not close it. */
function leased(pool: AgentPool, release: () => void): RunAgents {
  let done = false;
  return {
    client: (node): RunAgent => pool.client(node),
    reconnect: (node): RunAgent => pool.reconnect(node),
    serves: (nodes) => pool.serves(nodes),
    setDeadline: (deadlineMs) => pool.setDeadline(deadlineMs),
    close: () => {
      if (done) return;
      done = true;
      release();
    },
  };
}
