// Run as its own process by thousand-nodes.mjs: how much memory the coordinator's connections
// to N agents take alone — the real AgentPool (one mTLS channel per node, each with its own
// credentials), before and after every channel has connected and answered once. Then the
// floor under a barrier round: ROUNDS rounds of one bare read-only call (GetNodeInfo: no
// journal, no engine) to every agent at once, wall time and CPU per round of this process
// and of the agent hosts (their pids in FILE).
//   node --expose-gc bench/support/pool-footprint.mjs FILE   (FILE: {"nodes":[…],"tls":{…},"hostPids":[…]})
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { distModule } from './dist-modules.mjs';
import { cpuTicksOf } from './machine.mjs';
import { round, summarize } from './percentiles.mjs';

const { AgentPool } = await distModule('coordinator/engine/agent-pool.js');
const { nodes, tls, hostPids = [] } = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ROUNDS = 8;

const rssMB = () => {
  globalThis.gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};
const loaded = rssMB();
const pool = await AgentPool.connect(nodes, tls, 60_000);
const withCredentials = rssMB();
const answered = await Promise.allSettled(nodes.map((node) => pool.client(node.name).nodeInfo()));
const connected = rssMB();
const usage = process.memoryUsage();
const connectedHeap = { heapUsedMB: Math.round(usage.heapUsed / 2 ** 20), heapTotalMB: Math.round(usage.heapTotal / 2 ** 20), externalMB: Math.round(usage.external / 2 ** 20) };
const roundsMs = [];
const hostTicks = () => hostPids.reduce((sum, pid) => sum + cpuTicksOf(pid), 0);
const cpuBefore = process.cpuUsage();
const hostsBefore = hostTicks();
for (let index = 0; index < ROUNDS; index++) {
  const started = performance.now();
  await Promise.all(nodes.map((node) => pool.client(node.name).nodeInfo()));
  roundsMs.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuBefore);
const hostsMs = (hostTicks() - hostsBefore) * 10;
pool.close();
console.log(
  JSON.stringify({
    nodes: nodes.length,
    answered: answered.filter((result) => result.status === 'fulfilled').length,
    rssMB: { modulesLoaded: loaded, poolCreated: withCredentials, allConnected: connected },
    allConnected: connectedHeap,
    rpcFloor: { roundMs: summarize(roundsMs), cpuMsPerRound: { client: round((cpu.user + cpu.system) / 1000 / ROUNDS), agentHosts: round(hostsMs / ROUNDS) } },
    perNodeKB: { credentials: Math.round(((withCredentials - loaded) * 1024) / nodes.length), connection: Math.round(((connected - withCredentials) * 1024) / nodes.length) },
  }),
);
process.exit(0);
