// Real `lockstep-agent` processes (dist/agent/main.js): mTLS with each node's own
// certificate, the real ProcessExecutor, a state dir and a log file each, a hooks dir.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fatal, freePort, startProcess, waitFor } from './bounded-process.mjs';
import { AGENT_MAIN, distModule } from './dist-modules.mjs';

const { AgentClient } = await distModule('shared/wire/agent-client.js');
const { agentChannelOptions, clientCredentials, loadTlsMaterial } = await distModule('shared/tls.js');

/**
 * Starts one agent per name and resolves once every one answers GetNodeInfo over mTLS.
 * `logLevel` defaults to the product's default (info): agents log as they would in service.
 * `nodeArgs` go to node, `agentArgs` to the agent after its own flags; `agentMain`: another build's agent.
 */
export async function startAgentProcesses({ root, pki, names, hooksDir, logLevel = 'info', maxMs, nodeArgs = [], agentArgs = [], agentMain = AGENT_MAIN }) {
  const started = performance.now();
  const agents = [];
  for (const name of names) {
    const stateDir = join(root, name);
    mkdirSync(stateDir, { recursive: true });
    const { cert, key } = pki.agent(name);
    const agent = { name, stateDir, log: join(root, `${name}.log`) };
    // The port was free when chosen; another program on this shared machine may take it first.
    agent.start = async () => {
      const port = await freePort();
      const argv = [process.execPath, ...nodeArgs, agentMain, '--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, '--hooks-dir', hooksDir, '--tls-ca', pki.ca, '--tls-cert', cert, '--tls-key', key, '--log-level', logLevel, ...agentArgs];
      agent.address = `127.0.0.1:${port}`;
      agent.process = startProcess(argv, { timeoutMs: maxMs, log: agent.log });
    };
    await agent.start();
    agents.push(agent);
  }
  await Promise.all(agents.map((agent) => waitUntilAnswering(pki, agent)));
  return {
    nodes: agents.map(({ name, address }) => ({ name, address })),
    agents,
    startMs: performance.now() - started,
    stop: () => Promise.all(agents.map((agent) => agent.process.stop())),
  };
}

/** The node options systemd/lockstep-agent.service gives the agent (Environment=NODE_OPTIONS=…). */
export function unitNodeOptions() {
  const unit = readFileSync(new URL('../../systemd/lockstep-agent.service', import.meta.url), 'utf8');
  return (/^Environment=NODE_OPTIONS=(.*)$/m.exec(unit)?.[1] ?? '').split(' ').filter(Boolean);
}

/** A client holding the coordinator's certificate that expects `name`'s certificate. */
export async function coordinatorClientFor(pki, name, address, channelOptions = {}) {
  const material = await loadTlsMaterial(pki.coordinator);
  return new AgentClient(address, clientCredentials(material, { expectedServerName: name }), {
    deadlineMs: 2_000,
    channelOptions: { ...agentChannelOptions(name), ...channelOptions },
  });
}

async function waitUntilAnswering(pki, agent, tries = 3) {
  const client = await coordinatorClientFor(pki, agent.name, agent.address);
  try {
    await waitFor(
      `${agent.name} to answer on ${agent.address}`,
      async () => {
        if (agent.process.child.exitCode !== null) throw fatal(`${agent.name} exited before answering:\n${tail(agent.log)}`);
        return (await client.nodeInfo()).bootId;
      },
      60_000,
      100,
    );
  } catch (error) {
    if (!(error.fatal && /cannot listen/.test(error.message) && tries > 1)) throw error;
    await agent.start();
    return waitUntilAnswering(pki, agent, tries - 1);
  } finally {
    client.close();
  }
}

function tail(file) {
  try {
    return readFileSync(file, 'utf8').slice(-2000);
  } catch {
    return '(no log)';
  }
}
