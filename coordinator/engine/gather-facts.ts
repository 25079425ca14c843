// Reads what a plan is compiled from (cluster-facts.ts), through the agents' read-only calls.
import { describeError, isLockstepError } from '../../shared/errors.js';
import type { ClusterFacts, FactsRequest, NodeFacts, SolarisFacts } from '../plan/cluster-facts.js';
import type { PlanNode } from '../plan/plan.js';
import type { RunAgent, RunAgents } from './run-agents.js';
import type { ServiceStatus } from '../../shared/domain/service.js';

/**
 * How many nodes are read at once. Each first call opens a TLS connection; a thousand
 * handshakes at once on a small admin host made healthy nodes miss the call's deadline.
 */
const CONCURRENT_READS = 64;

export async function gatherFacts(pool: RunAgents, nodes: readonly PlanNode[], request: FactsRequest): Promise<ClusterFacts> {
  const facts = await mapBounded(nodes, CONCURRENT_READS, (node) => readNode(pool, node, request));
  const first = facts.find((node) => node.reachable);
  if (!request.cluster || first === undefined) return { nodes: facts, mirrors: [] };
  const agent = pool.client(first.name);
  const read = await readCluster(agent, request.cluster === 'if-clustered');
  if (read === undefined) return { nodes: facts, mirrors: [] };
  const { cluster, mirrors } = read;
  if (request.solaris === undefined) return { nodes: facts, cluster, mirrors };
  return { nodes: facts, cluster, mirrors, solaris: await readSolaris(pool, facts, first.name, request.solaris) };
}

/** clpstat and clpmdstat from one node; undefined when `optional` and the node has no cluster software. */
async function readCluster(agent: RunAgent, optional: boolean): Promise<Required<Pick<ClusterFacts, 'cluster' | 'mirrors'>> | undefined> {
  try {
    const [cluster, mirrors] = await Promise.all([agent.clusterStatus(), agent.mirrorStatus('')]);
    return { cluster, mirrors };
  } catch (error) {
    // Servers with no cluster software: a custom runbook's availability proof has nothing to walk.
    if (optional && !isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')) return undefined;
    throw error;
  }
}

/** The resources of the type from one node; the RTR from every reachable node's package (each must hold the same file). */
async function readSolaris(pool: RunAgents, nodes: readonly NodeFacts[], first: string, request: NonNullable<FactsRequest['solaris']>): Promise<SolarisFacts> {
  const listed = await pool.client(first).clusterResources(request.resourceType).then(
    (resources) => ({ resources, resourcesError: '' }),
    (error: unknown) => ({ resources: [], resourcesError: describeError(error) }),
  );
  const rtrText: Record<string, string> = {};
  const rtrUnread: Record<string, string> = {};
  await mapBounded(
    nodes.filter((node) => node.reachable),
    CONCURRENT_READS,
    async (node) => {
      await pool.client(node.name).readPackageFile(request.package, request.rtr).then(
        (read) => void (rtrText[node.name] = read.text),
        (error: unknown) => void (rtrUnread[node.name] = describeError(error)),
      );
    },
  );
  return { ...listed, rtrText, rtrUnread };
}

async function readNode(pool: RunAgents, node: PlanNode, request: FactsRequest): Promise<NodeFacts> {
  const agent = pool.client(node.name);
  try {
    const info = await agent.nodeInfo();
    const facts: NodeFacts = { name: node.name, address: node.address, reachable: true, error: '', hostname: info.hostname, agentVersion: info.agentVersion, machine: info.platform, bootId: info.bootId };
    if (request.productPackage !== undefined) facts.installed = await agent.queryPackage(request.productPackage);
    const digests: NonNullable<NodeFacts['packageDigests']> = {};
    if (request.packageFile !== undefined) {
      const file = await agent.inspectPackageFile(request.packageFile).then(
        (inspected) => ({ package: inspected.package, sha256: inspected.sha256 }),
        (error: unknown) => ({ missing: describeError(error) }),
      );
      facts.packageFile = file;
      digests[request.packageFile] = 'sha256' in file ? { sha256: file.sha256 } : file;
    }
    for (const path of request.packageFiles ?? []) {
      digests[path] ??= await agent.inspectPackageFile(path).then(
        (inspected) => ({ sha256: inspected.sha256 }),
        (error: unknown) => ({ missing: describeError(error) }),
      );
    }
    facts.packageDigests = digests;
    if (request.services !== undefined) facts.services = await readServices(agent, request.services);
    return facts;
  } catch (error) {
    return { name: node.name, address: node.address, reachable: false, error: describeError(error), hostname: '', agentVersion: '', machine: '', bootId: '' };
  }
}

/**
 * For a facts file only: a service the agent will not read (not on its allow-list, absent on
 * this version) is left out rather than failing the node, whose plan does not depend on it.
 */
async function readServices(agent: RunAgent, names: readonly string[]): Promise<ServiceStatus[]> {
  const statuses: ServiceStatus[] = [];
  for (const name of names) {
    const status = await agent.controlService(undefined, name, 'status').then(
      (answer) => answer.status,
      () => undefined,
    );
    if (status !== undefined) statuses.push(status);
  }
  return statuses;
}

/** `items.map(read)` with at most `limit` reads in flight; results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, read: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let index = next++; index < items.length; index = next++) results[index] = await read(items[index] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
