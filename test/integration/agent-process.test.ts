// lockstep-agent as a real process: killed with SIGKILL mid-operation it reports the
// operation INTERRUPTED after restart and never runs it again; its mTLS refuses every
// client but the coordinator; --insecure stays on loopback.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { checkHealth } from '../../shared/wire/health-client.js';
import { coordinatorClient, makePki, type Pki } from '../support/agent-harness.js';
import { builtProgram, freePort, spawnNode, waitFor, type Spawned } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;
let hooksDir: string;
const running: Spawned[] = [];

function startAgent(port: number, extra: string[] = []): Spawned {
  const spawned = spawnNode(builtProgram('agent/main.js'), [
    '--listen', `127.0.0.1:${port}`,
    '--state-dir', join(temp.dir, 'state'),
    '--hooks-dir', hooksDir,
    '--tls-ca', pki.ca,
    '--tls-cert', pki.agent('server1').cert,
    '--tls-key', pki.agent('server1').key,
    '--log-level', 'warn',
    ...extra,
  ]);
  running.push(spawned);
  return spawned;
}

async function serving(address: string): Promise<void> {
  const material = await loadTlsMaterial({ ca: pki.ca, ...pki.coordinator });
  await waitFor('the agent to answer health', async () =>
    (await checkHealth(address, clientCredentials(material, { expectedServerName: 'server1' }), agentChannelOptions('server1'))) === 'SERVING' ? true : undefined,
  );
}

beforeAll(async () => {
  temp = makeTempDir();
  pki = await makePki(join(temp.dir, 'pki'));
  hooksDir = join(temp.dir, 'hooks');
  mkdirSync(hooksDir);
  // Marks that it started, then takes long enough to be killed in the middle.
  writeFileSync(join(hooksDir, 'slow'), `#!/bin/sh\necho started >> "$1"\nsleep 30\n`);
  chmodSync(join(hooksDir, 'slow'), 0o755);
});

afterAll(async () => {
  for (const spawned of running) spawned.child.kill('SIGKILL');
  await Promise.all(running.map((spawned) => spawned.exited));
  temp?.remove();
});

describe('an agent killed with SIGKILL mid-operation', () => {
  it('reports INTERRUPTED after restart, and a resend of the op runs nothing', async () => {
    const port = await freePort();
    const address = `127.0.0.1:${port}`;
    const first = startAgent(port);
    await serving(address);
    const client = await coordinatorClient(pki, address, 'server1');
    const marks = join(temp.dir, 'slow-marks');
    const context = { opId: 'run-k/slow/server1/1', runId: 'run-k', epoch: 1 };
    void client.runHook(context, 'slow', [marks]).catch(() => undefined);
    await waitFor('the hook to start', async () => ((await client.getOperation(context.opId)).state === 'RUNNING' ? true : undefined));
    await waitFor('the hook to mark', () => (readFileSync(marks, 'utf8').includes('started') ? true : undefined));

    first.child.kill('SIGKILL');
    await first.exited;
    client.close();

    startAgent(port);
    await serving(address);
    const again = await coordinatorClient(pki, address, 'server1');
    const recovered = await again.getOperation(context.opId);
    expect(recovered.state).toBe('INTERRUPTED');
    expect(recovered.result.message).toMatch(/effect is unknown/);

    const resent = await again.runHook(context, 'slow', [marks]);
    expect(resent.state).toBe('INTERRUPTED');
    expect(readFileSync(marks, 'utf8')).toBe('started\n');
    again.close();
  });
});

describe('mTLS at the agent (SPEC §8)', () => {
  let address: string;
  let otherPki: Pki;

  beforeAll(async () => {
    const port = await freePort();
    address = `127.0.0.1:${port}`;
    startAgent(port, ['--state-dir', join(temp.dir, 'state-tls')]);
    await serving(address);
    otherPki = await makePki(join(temp.dir, 'other-pki'));
  });

  const asClient = async (ca: string, cert: string, key: string): Promise<string> => {
    const material = await loadTlsMaterial({ ca, cert, key });
    return checkHealth(address, clientCredentials(material, { expectedServerName: 'server1' }), agentChannelOptions('server1'));
  };

  it('serves the coordinator certificate', async () => {
    expect(await asClient(pki.ca, pki.coordinator.cert, pki.coordinator.key)).toBe('SERVING');
  });

  it('refuses a plaintext client', async () => {
    expect(await checkHealth(address, credentials.createInsecure())).toBe('UNAVAILABLE');
  });

  it('refuses a TLS client without a certificate', async () => {
    expect(await checkHealth(address, credentials.createSsl(readFileSync(pki.ca)), agentChannelOptions('server1'))).toBe('UNAVAILABLE');
  });

  it('refuses a client certificate from another CA', async () => {
    // The client trusts our CA (so it is the agent that refuses), but presents a foreign certificate.
    expect(await asClient(pki.ca, otherPki.coordinator.cert, otherPki.coordinator.key)).toBe('UNAVAILABLE');
  });

  it("refuses an agent's certificate used as a client", async () => {
    expect(await asClient(pki.ca, pki.agent('server2').cert, pki.agent('server2').key)).toBe('UNAVAILABLE');
  });

  it('the coordinator refuses an agent that presents another node’s certificate', async () => {
    const material = await loadTlsMaterial({ ca: pki.ca, ...pki.coordinator });
    expect(await checkHealth(address, clientCredentials(material, { expectedServerName: 'server2' }), agentChannelOptions('server2'))).toBe('UNAVAILABLE');
  });
});

describe('start-up refusals (exit 2, clear message)', () => {
  it('refuses --insecure on a non-loopback address', async () => {
    const spawned = spawnNode(builtProgram('agent/main.js'), ['--insecure', '--listen', '0.0.0.0:0', '--state-dir', join(temp.dir, 'never')]);
    expect((await spawned.exited).code).toBe(2);
    expect(spawned.output()).toMatch(/--insecure refuses to listen on 0\.0\.0\.0:0/);
  });

  it('refuses to start without TLS material', async () => {
    const spawned = spawnNode(builtProgram('agent/main.js'), ['--listen', '127.0.0.1:0', '--state-dir', join(temp.dir, 'never')]);
    expect((await spawned.exited).code).toBe(2);
    expect(spawned.output()).toMatch(/--tls-ca: the agent serves mTLS only/);
  });

  it('names the file and line of a bad config key', async () => {
    const config = join(temp.dir, 'agent.yaml');
    writeFileSync(config, 'listen: 127.0.0.1:0\npackage-dir: /srv/updates\n');
    const spawned = spawnNode(builtProgram('agent/main.js'), ['--config', config, '--insecure']);
    expect((await spawned.exited).code).toBe(2);
    expect(spawned.output()).toContain(`${config}:2: package-dir:`);
  });
});
