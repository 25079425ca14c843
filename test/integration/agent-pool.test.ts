import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentPool, AgentPools } from '../../coordinator/engine/agent-pool.js';
import { isLockstepError } from '../../shared/errors.js';
import { revokeCertificates } from '../../shared/pki/certs-revoke.js';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { makeTempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/processes.js';

// The run driver replaces the channel of a node that stops answering (AgentPool.reconnect).
// A call still in flight on the old channel — another lane's, or a poll — must not be cut off
// into a failure that blocks the run: grpc-js lets it run to its end, and the new channel
// speaks to the same journal.
describe('AgentPool.reconnect with a call in flight', () => {
  const temp = makeTempDir('lockstep-agent-pool-');
  const executor = new ScriptedExecutor(async () => {
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    return { stdout: 'done\n' };
  });
  let agent: TestAgent;
  let pool: AgentPool;

  beforeAll(async () => {
    const pki = await makePki(join(temp.dir, 'pki'), ['server1']);
    const hooksDir = join(temp.dir, 'hooks');
    mkdirSync(hooksDir);
    writeFileSync(join(hooksDir, 'slow'), '#!/bin/sh\nexit 0\n');
    chmodSync(join(hooksDir, 'slow'), 0o755);
    agent = await startTestAgent({ root: temp.dir, pki, hooksDir, environment: { executor } });
    pool = await AgentPool.connect([{ name: 'server1', address: `127.0.0.1:${agent.agent.port}` }], { ca: pki.ca, ...pki.coordinator }, 10_000);
  });

  afterAll(async () => {
    pool.close();
    await agent.stop();
    temp.remove();
  });

  it('lets the call on the old channel finish, and the same op id on the new one is answered from the journal', async () => {
    const op = { opId: 'run-1/slow/server1/1', runId: 'run-1', epoch: 1 };
    const oldChannel = pool.client('server1');
    const inFlight = oldChannel.runHook(op, 'slow');
    await waitFor('the hook to start on the agent', () => executor.requests.length === 1 || undefined, 5_000);

    const newChannel = pool.reconnect('server1');
    expect(newChannel).not.toBe(oldChannel);
    // Sent again on the new channel while it still runs: the agent starts nothing new and
    // answers with the one execution's result.
    const [finished, again] = await Promise.all([inFlight, newChannel.runHook(op, 'slow')]);
    expect(finished.state).toBe('SUCCEEDED');
    expect(again).toEqual(finished);
    expect(executor.requests).toHaveLength(1);
    // The old channel takes no new calls; one made on it anyway is "unreachable", which the
    // driver answers with a fresh channel and the same op id — not a failed step.
    await expect(oldChannel.getOperation(op.opId)).rejects.toSatisfy((error: unknown) => isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE'));
  });
});

// Issue 19: a closed pool is kept a while, and the next connect to the same nodes with the same
// TLS material reuses its connections (no handshakes in the preflight); anything else dials anew.
describe('AgentPools keeps a closed pool for the next connect to the same nodes', () => {
  const temp = makeTempDir('lockstep-agent-pools-');
  let agent: TestAgent;
  let pkiDir: string;
  let tls: { ca: string; cert: string; key: string };
  let other: { ca: string; cert: string; key: string };
  let nodes: Array<{ name: string; address: string }>;

  beforeAll(async () => {
    const pki = await makePki(join(temp.dir, 'pki'), ['server1']);
    const otherPki = await makePki(join(temp.dir, 'other-pki'), ['server1']);
    agent = await startTestAgent({ root: temp.dir, pki });
    pkiDir = pki.dir;
    tls = { ca: pki.ca, ...pki.coordinator };
    other = { ca: otherPki.ca, ...otherPki.coordinator };
    nodes = [{ name: 'server1', address: `127.0.0.1:${agent.agent.port}` }];
  });

  afterAll(async () => {
    await agent.stop();
    temp.remove();
  });

  it('reuses the kept connection for the same nodes and material, and only for them', async () => {
    const pools = new AgentPools({ idleMs: 60_000 });
    try {
      const first = await pools.connect(nodes, tls, 5_000);
      const channel = first.client('server1');
      expect((await channel.nodeInfo()).hostname).not.toBe('');
      first.close();
      first.close();
      expect(pools.kept).toBe(1);

      const again = await pools.connect(nodes, tls, 5_000);
      expect(pools.kept).toBe(0);
      expect(again.client('server1')).toBe(channel);
      await expect(again.client('server1').nodeInfo()).resolves.toMatchObject({ hostname: expect.any(String) });
      again.close();

      // Other TLS material (another CA and certificate): a new pool; the kept one stays kept.
      const otherMaterial = await pools.connect(nodes, other, 5_000);
      expect(otherMaterial.client('server1')).not.toBe(channel);
      otherMaterial.close();
      // Never connected (its calls were never made): not kept.
      expect(pools.kept).toBe(1);

      // Another address for the node: a new pool.
      const moved = await pools.connect([{ name: 'server1', address: '127.0.0.1:1' }], tls, 5_000);
      expect(moved.client('server1')).not.toBe(channel);
      moved.close();
    } finally {
      pools.close();
    }
    expect(pools.kept).toBe(0);
  });

  it('closes a kept pool after its idle time, and keeps none after close()', async () => {
    const pools = new AgentPools({ idleMs: 200 });
    const first = await pools.connect(nodes, tls, 5_000);
    const channel = first.client('server1');
    await channel.nodeInfo();
    first.close();
    expect(pools.kept).toBe(1);
    await waitFor('the kept pool to be closed', () => pools.kept === 0 || undefined, 5_000);
    await expect(channel.nodeInfo()).rejects.toSatisfy((error: unknown) => isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE'));

    const next = await pools.connect(nodes, tls, 5_000);
    expect(next.client('server1')).not.toBe(channel);
    await next.client('server1').nodeInfo();
    pools.close();
    next.close();
    expect(pools.kept).toBe(0);
  });

  it('a CRL that now revokes the agent applies at the next connect: new handshake, refused', async () => {
    const pools = new AgentPools();
    try {
      const first = await pools.connect(nodes, tls, 5_000);
      const channel = first.client('server1');
      await channel.nodeInfo();
      first.close();
      expect(pools.kept).toBe(1);
      await revokeCertificates({ dir: pkiDir, agents: ['server1'] });
      const revoked = await pools.connect(nodes, { ...tls, crl: join(pkiDir, 'crl.pem') }, 5_000);
      expect(revoked.client('server1')).not.toBe(channel);
      await expect(revoked.client('server1').nodeInfo()).rejects.toSatisfy((error: unknown) => isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE'));
      revoked.close();
    } finally {
      pools.close();
    }
  });
});
