// The engine's agent connections as an observer sees them (coordinator/engine/engine-observer.ts):
// each call timed under its method, a failure with its error code, the answer or the error
// passed through unchanged, and the same wrapper for the same client.
import { describe, expect, it } from 'vitest';
import { observedConnect, type EngineObserver } from '../../coordinator/engine/engine-observer.js';
import type { RunAgent, RunAgents } from '../../coordinator/engine/run-agents.js';
import { LockstepError } from '../../shared/errors.js';

interface Seen {
  method: string;
  seconds: number;
  errorCode: string | undefined;
}

function recorder(): EngineObserver & { calls: Seen[] } {
  const calls: Seen[] = [];
  return { calls, runEvent: () => undefined, readFrom: () => undefined, agentCall: (method, seconds, errorCode) => calls.push({ method, seconds, errorCode }) };
}

/** One node whose agent answers getOperation and does not answer nodeInfo. */
function agentsOf(): RunAgents {
  const agent = {
    getOperation: async (opId: string) => ({ opId, state: 'SUCCEEDED' }),
    nodeInfo: async () => {
      throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', 'agent 127.0.0.1:1: connection refused');
    },
    answers: async () => false,
  } as unknown as RunAgent;
  return { client: () => agent, reconnect: () => agent, serves: () => true, setDeadline: () => undefined, close: () => undefined };
}

describe('observed agent connections', () => {
  it('times each call by method and reports a failure\'s code, passing answers and errors through', async () => {
    const observer = recorder();
    const agents = await observedConnect(async () => agentsOf(), observer)([], { ca: '', cert: '', key: '' }, 1_000);
    const agent = agents.client('server1');
    expect(await agent.getOperation('op-1')).toEqual({ opId: 'op-1', state: 'SUCCEEDED' });
    await expect(agent.nodeInfo()).rejects.toThrow(/connection refused/);
    expect(await agent.answers(100)).toBe(false);
    expect(observer.calls.map(({ method, errorCode }) => [method, errorCode])).toEqual([
      ['getOperation', undefined],
      ['nodeInfo', 'LOCKSTEP_E_UNAVAILABLE'],
      ['answers', undefined],
    ]);
    for (const call of observer.calls) expect(call.seconds).toBeGreaterThanOrEqual(0);
    expect(agents.client('server1')).toBe(agent);
  });
});
