// Starts a real agent in this process (real gRPC server on 127.0.0.1:0, mTLS with
// certificates from `certs init`, a real SQLite journal) and a client holding the
// coordinator's certificate. Tests use the same constructors as lockstep-agent's main.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../../agent/agent-config.js';
import { startAgent, type AgentEnvironment, type RunningAgent } from '../../agent/agent-server.js';
import { CLUSTERPRO_SERVICES } from '../../shared/domain/clusterpro.js';
import { silentLogger } from '../../shared/logger.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';

export interface Pki {
  dir: string;
  ca: string;
  coordinator: { cert: string; key: string };
  agent(name: string): { cert: string; key: string };
}

export async function makePki(dir: string, agents: string[] = ['server1', 'server2']): Promise<Pki> {
  await initCertificates({ dir, coordinator: 'coordinator', agents });
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    coordinator: { cert: join(dir, 'coordinator.pem'), key: join(dir, 'coordinator.key') },
    agent: (name) => ({ cert: join(dir, 'agents', `${name}.pem`), key: join(dir, 'agents', `${name}.key`) }),
  };
}

export interface TestAgent {
  agent: RunningAgent;
  client: AgentClient;
  config: AgentConfig;
  stop(): Promise<void>;
}

export interface TestAgentOptions {
  root: string;
  pki: Pki;
  node?: string;
  packageDirs?: string[];
  hooksDir?: string;
  rpmDbPath?: string;
  environment?: AgentEnvironment;
}

export function agentConfig(options: TestAgentOptions): AgentConfig {
  const node = options.node ?? 'server1';
  const stateDir = join(options.root, `${node}-state`);
  mkdirSync(stateDir, { recursive: true });
  return {
    listen: '127.0.0.1:0',
    stateDir,
    packageDirs: options.packageDirs ?? [],
    hooksDir: options.hooksDir,
    tls: { ca: options.pki.ca, ...options.pki.agent(node) },
    insecureAllowRemote: false,
    services: [...CLUSTERPRO_SERVICES],
    serviceManager: 'sysv',
    rpmDbPath: options.rpmDbPath,
    logLevel: 'silent',
    retainMs: 90 * 86_400_000,
  };
}

export async function startTestAgent(options: TestAgentOptions): Promise<TestAgent> {
  const config = agentConfig(options);
  const agent = await startAgent(config, silentLogger(), options.environment);
  const client = await coordinatorClient(options.pki, `127.0.0.1:${agent.port}`, options.node ?? 'server1');
  return {
    agent,
    client,
    config,
    stop: async () => {
      client.close();
      await agent.stop();
    },
  };
}

/** A client presenting the coordinator's certificate and expecting `node`'s certificate. */
export async function coordinatorClient(pki: Pki, address: string, node: string): Promise<AgentClient> {
  const material = await loadTlsMaterial({ ca: pki.ca, ...pki.coordinator });
  return new AgentClient(address, clientCredentials(material, { expectedServerName: node }), { deadlineMs: 10_000, channelOptions: agentChannelOptions(node) });
}
