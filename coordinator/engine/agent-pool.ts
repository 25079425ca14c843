// One client per node of a run, over mTLS with the runbook's credentials. The coordinator
// checks that each agent's certificate names the node the runbook puts at that address
// (SPEC §8), and reconnects with a backoff capped at 500 ms (SPEC §4.3).
import { LockstepError } from '../../shared/errors.js';
import { agentChannelOptions, clientCredentialsFactory, loadTlsMaterial, type TlsPaths } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import type { PlanNode } from '../plan/plan.js';

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
    // Only agents: a coordinator's or an operator's certificate from the same CA is refused in the handshake.
    const credentialsFor = clientCredentialsFactory(await loadTlsMaterial(tls), 'agent');
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

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
