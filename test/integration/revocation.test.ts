// Issue 21 §4: a stolen node certificate is revoked with `lockstep certs revoke`, and the
// CRL given with --tls-crl is enforced in the TLS handshake over real gRPC: an agent refuses a
// revoked coordinator certificate, and the coordinator's dial refuses a revoked agent.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/agent-server.js';
import { AgentPool } from '../../coordinator/engine/agent-pool.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { isLockstepError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { renewCertificates } from '../../shared/pki/certs-renew.js';
import { revokeCertificates } from '../../shared/pki/certs-revoke.js';
import { agentConfig, coordinatorClient, makePki, type Pki } from '../support/agent-harness.js';
import { builtProgram, freePort, spawnNode, waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;
let crl: string;
const agents: RunningAgent[] = [];

beforeAll(async () => {
  temp = makeTempDir('lockstep-revocation-');
  pki = await makePki(join(temp.dir, 'pki'), ['server1', 'server2']);
  crl = join(pki.dir, 'crl.pem');
});

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.stop()));
});

afterAll(() => temp.remove());

async function agent(node: string, tlsCrl?: string): Promise<string> {
  const config = agentConfig({ root: temp.dir, pki, node });
  const running = await startAgent({ ...config, tls: { ...config.tls!, ...(tlsCrl !== undefined && { crl: tlsCrl }) } }, silentLogger());
  agents.push(running);
  return running.address;
}

/** What the node answers a coordinator-certificate client: its name, or the error code. */
async function askedAsCoordinator(address: string, node: string): Promise<string> {
  const client = await coordinatorClient(pki, address, node);
  try {
    await client.nodeInfo();
    return 'answered';
  } catch (error) {
    return isLockstepError(error) ? error.code : String(error);
  } finally {
    client.close();
  }
}

async function dialledByPool(address: string, node: string, tlsCrl?: string): Promise<string> {
  const pool = await AgentPool.connect([{ name: node, address }], { ca: pki.ca, ...pki.coordinator, ...(tlsCrl !== undefined && { crl: tlsCrl }) }, 5_000);
  try {
    await pool.client(node).nodeInfo();
    return 'answered';
  } catch (error) {
    return isLockstepError(error) ? error.code : String(error);
  } finally {
    pool.close();
  }
}

describe('the agent and a revoked coordinator certificate', () => {
  it('refuses it in the handshake once --tls-crl lists it, and serves the renewed one', async () => {
    const before = await agent('server1');
    expect(await askedAsCoordinator(before, 'server1')).toBe('answered');
    await Promise.all(agents.splice(0).map((running) => running.stop()));

    await revokeCertificates({ dir: pki.dir, coordinator: true });
    const address = await agent('server1', crl);
    expect(await askedAsCoordinator(address, 'server1')).toBe('LOCKSTEP_E_UNAVAILABLE');

    await renewCertificates({ dir: pki.dir, coordinator: true });
    expect(await askedAsCoordinator(address, 'server1')).toBe('answered');
  });
});

describe("the coordinator's dial and a revoked agent certificate", () => {
  it('refuses an agent presenting a revoked certificate, however the runbook names it', async () => {
    // Mallory's copy of server2's key and certificate, serving at an address the runbook gives for server2.
    const stolen = await agent('server2');
    expect(await dialledByPool(stolen, 'server2')).toBe('answered');
    await revokeCertificates({ dir: pki.dir, agents: ['server2'] });
    expect(await dialledByPool(stolen, 'server2', crl)).toBe('LOCKSTEP_E_UNAVAILABLE');
  });

  it("applies the coordinator's --tls-crl to every run's dials, whatever the runbook's tls says", async () => {
    const address = await agent('server2');
    await revokeCertificates({ dir: pki.dir, agents: ['server2'] });
    mkdirSync(join(temp.dir, 'engine'));
    const runbookYaml = [
      'cluster: lab',
      `nodes: [{name: server2, address: "${address}"}]`,
      'procedure: custom',
      `tls: {ca: ${pki.ca}, cert: ${pki.coordinator.cert}, key: ${pki.coordinator.key}}`,
      'steps: [{id: hello, kind: hook.run, with: {hook: hello}}]',
    ].join('\n');
    const plan = async (agentCrl?: string): Promise<unknown> => {
      const engine = await createEngine({ dbFile: join(temp.dir, 'engine', 'runs.sqlite'), credentialsDirs: [dirname(pki.ca)], logger: silentLogger(), ...(agentCrl !== undefined && { agentCrl }) });
      try {
        return await engine.submit({ runbookYaml, runbookPath: join(temp.dir, 'runbook.yaml'), dryRun: true, autoApprove: false, requestedBy: 'test' }).catch((error: unknown) => error);
      } finally {
        await engine.close();
      }
    };
    expect(await plan()).toMatchObject({ planHash: expect.any(String) });
    const refused = await plan(crl);
    expect(isLockstepError(refused, 'LOCKSTEP_E_UNAVAILABLE')).toBe(true);
    expect((refused as Error).message).toMatch(/preflight: server2/);
  });
});

describe('lockstep-agent --tls-crl (the real program)', () => {
  it('starts with a CRL and refuses the revoked coordinator; refuses to start when its own certificate is revoked', async () => {
    const port = await freePort();
    const args = (node: string) => ['--listen', `127.0.0.1:${port}`, '--state-dir', join(temp.dir, `proc-${node}`), '--tls-ca', pki.ca, '--tls-cert', pki.agent(node).cert, '--tls-key', pki.agent(node).key, '--tls-crl', crl, '--log-level', 'info'];
    // The coordinator certificate revoked earlier in this file was renewed; revoke the new one too.
    await revokeCertificates({ dir: pki.dir, coordinator: true });
    const spawned = spawnNode(builtProgram('agent/main.js'), args('server1'));
    try {
      await waitFor('the agent to listen', () => (spawned.output().includes('agent listening') ? true : undefined));
      expect(await askedAsCoordinator(`127.0.0.1:${port}`, 'server1')).toBe('LOCKSTEP_E_UNAVAILABLE');
    } finally {
      spawned.child.kill('SIGTERM');
      await spawned.exited;
    }
    const revokedSelf = spawnNode(builtProgram('agent/main.js'), args('server2'));
    expect((await revokedSelf.exited).code).toBe(2);
    expect(revokedSelf.output()).toMatch(/the TLS CRL \S*crl\.pem revokes this program's own certificate/);
  });
});
