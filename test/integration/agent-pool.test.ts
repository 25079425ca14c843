import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AgentPool } from '../../coordinator/engine/agent-pool.js';
import { isLockstepError } from '../../shared/errors.js';
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
