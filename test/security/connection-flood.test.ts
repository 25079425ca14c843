// docs/security.md §6: 400 idle TCP connections to an agent whose descriptor limit is 300
// locked the coordinator out, with nothing logged. Now connections still in their TLS handshake
// are capped per peer and in total and dropped after a short deadline: the flood is refused and
// logged, and the coordinator, from another address, is served throughout.
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent as startInProcessAgent, type RunningAgent } from '../../agent/agent-server.js';
import { silentLogger } from '../../shared/logger.js';
import { agentConfig, coordinatorClient, makePki, type Pki } from '../support/agent-harness.js';
import { builtProgram, freePort, waitFor, type Spawned } from '../support/processes.js';
import { haveTools } from '../support/require-tool.js';
import { makeTempDir } from '../support/temp-dir.js';
import { spawn } from 'node:child_process';

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;
const sockets: Socket[] = [];

beforeAll(async () => {
  temp = makeTempDir();
  pki = await makePki(join(temp.dir, 'pki'));
});

afterAll(() => {
  for (const socket of sockets) socket.destroy();
  temp?.remove();
});

/** Opens `count` TCP connections from `from` (another loopback address than the coordinator's) and sends nothing. */
async function idleConnections(port: number, count: number, from: string): Promise<void> {
  for (let index = 0; index < count; index++) {
    const socket = connect({ host: '127.0.0.1', port, localAddress: from });
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

function closeAll(): void {
  for (const socket of sockets.splice(0)) socket.destroy();
}

describe.skipIf(!haveTools('prlimit'))('an agent with 300 descriptors under 400 idle connections', () => {
  let agent: Spawned;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    // prlimit sets the hard limit too: node cannot raise its soft limit past 300.
    const child = spawn('prlimit', ['--nofile=300:300', process.execPath, builtProgram('agent/main.js'),
      '--listen', `127.0.0.1:${port}`, '--state-dir', join(temp.dir, 'state'),
      '--tls-ca', pki.ca, '--tls-cert', pki.agent('server1').cert, '--tls-key', pki.agent('server1').key, '--log-level', 'warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    agent = { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal }))) };
    const client = await coordinatorClient(pki, `127.0.0.1:${port}`, 'server1');
    try {
      await waitFor('the agent to answer', () => client.nodeInfo().then((info) => info.hostname));
    } finally {
      client.close();
    }
  }, 30_000);

  afterAll(async () => {
    agent?.child.kill('SIGKILL');
    await agent?.exited;
  });

  it('keeps serving the coordinator, and logs the refusals', async () => {
    await idleConnections(port, 400, '127.0.0.2');
    const client = await coordinatorClient(pki, `127.0.0.1:${port}`, 'server1');
    try {
      const started = Date.now();
      expect((await client.nodeInfo()).agentVersion).not.toBe('');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      client.close();
      closeAll();
    }
    const log = await waitFor('the refusal in the log', () => agent.output().split('\n').find((line) => line.includes('refused unauthenticated connections')));
    expect(JSON.parse(log).refused).toHaveProperty(['peer-limit: 127.0.0.2']);
    expect(agent.child.exitCode).toBeNull();
  }, 30_000);
});

describe('the limits on connections in their handshake (in process)', () => {
  let agent: RunningAgent;

  beforeAll(async () => {
    const config = agentConfig({ root: temp.dir, pki, packageDirs: [] });
    agent = await startInProcessAgent({ ...config, stateDir: join(temp.dir, 'state-in-process') }, silentLogger(), {
      connectionLimits: { handshakeTimeoutMs: 2_000, perPeer: 3, total: 5 },
    });
  });

  afterAll(async () => {
    closeAll();
    await agent?.stop();
  });

  it('refuses past the per-peer cap, then past the total, and frees each slot at the handshake deadline', async () => {
    await idleConnections(agent.port, 5, '127.0.0.3');
    expect(agent.refusedConnections['peer-limit']).toBe(2);
    await idleConnections(agent.port, 3, '127.0.0.4');
    expect(agent.refusedConnections['peer-limit']).toBe(2);
    // 3 from .3 and 2 from .4 fill the 5 slots: the third from .4 is over the total.
    expect(agent.refusedConnections['total-limit']).toBe(1);
    await waitFor('the handshake deadline to drop the idle connections', () => (agent.refusedConnections['handshake-timeout'] === 5 ? true : undefined), 5_000);
    const client = await coordinatorClient(pki, `127.0.0.1:${agent.port}`, 'server1');
    try {
      expect((await client.nodeInfo()).hostname).not.toBe('');
    } finally {
      client.close();
    }
  });
});
