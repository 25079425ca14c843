// Real agents (gRPC over mTLS) started in this process on simulated nodes of a small lab on
// disk: what an engine test needs without lab processes. Each test file gets its own lab,
// PKI and agents under its temp dir.
import { join } from 'node:path';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { SimFacts } from '../../lab/node/sim-facts.js';
import { makePki, startTestAgent, type Pki, type TestAgent } from './agent-harness.js';
import { writeSimLab } from './sim-lab.js';

export interface SimAgents {
  lab: string;
  pki: Pki;
  agents: TestAgent[];
  /** The runbook's `nodes:` for these agents, in the order of the servers given. */
  nodes(): Array<{ name: string; address: string }>;
  /** The runbook's `tls:`: the coordinator's certificate. */
  tls(): { ca: string; cert: string; key: string };
  stop(): Promise<void>;
}

export async function startSimAgents(root: string, servers: readonly string[]): Promise<SimAgents> {
  const lab = join(root, 'lab');
  writeSimLab(lab, [...servers]);
  const pki = await makePki(join(root, 'pki'), [...servers]);
  const agents = await Promise.all(
    servers.map((node) => {
      const executor = new SimExecutor({ labDir: lab, node, exitProcess: async (powerOff) => powerOff() });
      return startTestAgent({ root, pki, node, environment: { executor, facts: new SimFacts(lab, node) } });
    }),
  );
  return {
    lab,
    pki,
    agents,
    nodes: () => agents.map((agent, index) => ({ name: servers[index] as string, address: `127.0.0.1:${agent.agent.port}` })),
    tls: () => ({ ca: pki.ca, ...pki.coordinator }),
    stop: async () => {
      await Promise.all(agents.map((agent) => agent.stop()));
    },
  };
}
