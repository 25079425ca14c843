// A lab node's agent as the tests that kill it or move it see it: its pid, a signal to it,
// and an mTLS client to it with the lab's coordinator certificate.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { labPaths, readNodeState, withLabLock, writeNodeState, type NodeState } from '../../lab/state/lab-state.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import { waitFor } from './processes.js';

export function agentPid(labDir: string, node: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(labPaths(labDir).node(node).dir, 'agent.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signals the node's agent; the lab supervisor starts it again (Restart=always). Returns its pid. */
export function signalAgent(labDir: string, node: string, signal: NodeJS.Signals): number {
  const pid = agentPid(labDir, node);
  if (pid === undefined) throw new Error(`${node} has no running agent`);
  process.kill(pid, signal);
  return pid;
}

/** The lab coordinator's client of one node's agent, checking that node's certificate. */
export async function labAgentClient(labDir: string, node: string, address: string, deadlineMs = 3_000): Promise<AgentClient> {
  const pki = labPaths(labDir).pki;
  const material = await loadTlsMaterial({ ca: join(pki, 'ca.pem'), cert: join(pki, 'coordinator.pem'), key: join(pki, 'coordinator.key') });
  return new AgentClient(address, clientCredentials(material, { expectedServerName: node }), { deadlineMs, channelOptions: agentChannelOptions(node) });
}

/** Waits until a new agent process (not `oldPid`) serves `node` at `address`. */
export async function awaitRestartedAgent(labDir: string, node: string, address: string, oldPid: number, timeoutMs = 20_000): Promise<void> {
  const client = await labAgentClient(labDir, node, address);
  try {
    await waitFor(`${node}'s agent to come back at ${address}`, async () => {
      const pid = agentPid(labDir, node);
      if (pid === undefined || pid === oldPid) return undefined;
      await client.nodeInfo();
      return true;
    }, timeoutMs, 100);
  } finally {
    client.close();
  }
}

/** Changes a node's node.json under the lab lock. */
export async function changeNode(labDir: string, node: string, change: (state: NodeState) => NodeState): Promise<void> {
  await withLabLock(labDir, () => writeNodeState(labDir, change(readNodeState(labDir, node))));
}
