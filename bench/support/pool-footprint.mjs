// Run as its own process by thousand-nodes.mjs: how much memory the coordinator's connections
// to N agents take alone — the real AgentPool (one mTLS channel per node, each with its own
// credentials), before and after every channel has connected and answered once.
//   node --expose-gc bench/support/pool-footprint.mjs FILE   (FILE: {"nodes":[…],"tls":{…}})
// Prints one JSON line.
import { readFileSync } from 'node:fs';
import { distModule } from './dist-modules.mjs';

const { AgentPool } = await distModule('coordinator/engine/agent-pool.js');
const { nodes, tls } = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const rssMB = () => {
  globalThis.gc?.();
  return Math.round(process.memoryUsage().rss / 2 ** 20);
};
const loaded = rssMB();
const pool = await AgentPool.connect(nodes, tls, 60_000);
const withCredentials = rssMB();
const answered = await Promise.allSettled(nodes.map((node) => pool.client(node.name).nodeInfo()));
const connected = rssMB();
pool.close();
console.log(
  JSON.stringify({
    nodes: nodes.length,
    answered: answered.filter((result) => result.status === 'fulfilled').length,
    rssMB: { modulesLoaded: loaded, poolCreated: withCredentials, allConnected: connected },
    perNodeKB: { credentials: Math.round(((withCredentials - loaded) * 1024) / nodes.length), connection: Math.round(((connected - withCredentials) * 1024) / nodes.length) },
  }),
);
process.exit(0);
