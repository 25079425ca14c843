// When is a lab up? When every agent answers the standard gRPC health check over mTLS, with
// the lab's coordinator certificate and the node's name checked — what the coordinator will
// do — and the cluster has settled: every server online, every mirror GREEN everywhere.
import { join } from 'node:path';
import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { LockstepError } from '../shared/errors.js';
import { labPaths, readClusterState, type ClusterState } from './state/lab-state.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../shared/tls.js';
import { checkHealth } from '../shared/wire/health-client.js';
import type { LabNode } from './lab-create.js';

const RETRY_MS = 100;
const HEALTH_DEADLINE_MS = 1_000;

export interface ReadinessOptions {
  root: string;
  nodes: readonly LabNode[];
  timeoutMs: number;
  /** Says why waiting is pointless (the supervisor died), or undefined to go on. */
  givenUp?: () => string | undefined;
  /**
   * Also wait for every server online and every mirror GREEN (default). False: the agents
   * answering is enough — a node booted mid-run may rightly stay out of the cluster (the run
   * disabled its cluster service before it lost power).
   */
  settle?: boolean;
}

interface Probe {
  node: LabNode;
  credentials: ChannelCredentials;
  channelOptions: ChannelOptions;
  last: string;
}

/** Resolves once the lab is up; otherwise fails with LOCKSTEP_E_UNAVAILABLE (exit 3) naming what is not. */
export async function waitUntilLabReady(options: ReadinessOptions): Promise<void> {
  const paths = labPaths(options.root);
  const material = await loadTlsMaterial({ ca: join(paths.pki, 'ca.pem'), cert: join(paths.pki, 'coordinator.pem'), key: join(paths.pki, 'coordinator.key') });
  let waiting: Probe[] = options.nodes.map((node) => ({
    node,
    credentials: clientCredentials(material, { expectedServerName: node.name }),
    channelOptions: agentChannelOptions(node.name),
    last: 'not asked yet',
  }));
  const deadline = Date.now() + options.timeoutMs;
  let unsettled: string | undefined = 'not read yet';
  for (;;) {
    const reason = options.givenUp?.();
    if (reason !== undefined) throw notReady(`${reason}; see ${join(options.root, 'supervisor.log')}`);
    waiting = await stillWaiting(waiting);
    if (waiting.length === 0) {
      if (options.settle === false) return;
      unsettled = unsettledCluster(readClusterState(options.root));
      if (unsettled === undefined) return;
    }
    if (Date.now() >= deadline) throw timedOut(options, waiting, unsettled);
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

async function stillWaiting(probes: Probe[]): Promise<Probe[]> {
  const answers = await Promise.all(
    probes.map(async (probe) => {
      probe.last = await checkHealth(probe.node.address, probe.credentials, probe.channelOptions, HEALTH_DEADLINE_MS);
      return probe;
    }),
  );
  return answers.filter((probe) => probe.last !== 'SERVING');
}

/** What keeps the cluster from being as the lab created it, or undefined when nothing does. */
function unsettledCluster(state: ClusterState): string | undefined {
  const server = Object.entries(state.servers).find(([, value]) => value.state !== 'online');
  if (server) return `${server[0]} is ${server[1].state}`;
  for (const [mirror, colours] of Object.entries(state.mirrors)) {
    const red = Object.entries(colours).find(([, colour]) => colour !== 'GREEN');
    if (red) return `mirror ${mirror} is ${red[1]} on ${red[0]}`;
  }
  return undefined;
}

function timedOut(options: ReadinessOptions, waiting: Probe[], unsettled: string | undefined): LockstepError {
  const seconds = Math.round(options.timeoutMs / 1000);
  if (waiting.length === 0) return notReady(`after ${seconds} s the cluster has not settled: ${unsettled ?? 'unknown'} (see ${labPaths(options.root).cluster})`);
  const agents = waiting.map((probe) => `${probe.node.name} at ${probe.node.address} (${probe.last}; log ${labPaths(options.root).node(probe.node.name).log})`);
  return notReady(`after ${seconds} s these agents do not answer the health check over mTLS: ${agents.join(', ')}`);
}

function notReady(message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_UNAVAILABLE', `the lab did not come up: ${message}`);
}
