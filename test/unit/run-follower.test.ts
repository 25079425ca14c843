// `apply --wait` and `watch` on a pipe (coordinator/cli/run-follower.ts): one line per event, and
// the run read only when an event's state may end the follow — that read, not the event, decides
// (issue 19: a whole RunView after each of some 300 events cost the coordinator 7–11 % of its time).
import { describe, expect, it } from 'vitest';
import { blockedOnly, followRun, untilFinal, type Screen } from '../../coordinator/cli/run-follower.js';
import type { RunEvent, RunState, RunView } from '../../shared/domain/run.js';
import type { Coordinator } from '../../shared/wire/coordinator-client.js';

const RUN = 'r-1';

const runIn = (state: RunState): RunView => ({ id: RUN, cluster: 'lab', procedure: 'custom', state, planHash: 'h', steps: [], createdAtMs: 0, updatedAtMs: 0, pendingGates: [] });

let seq = 0;
const eventIn = (runState: RunState, type = 'step.succeeded'): RunEvent => ({ seq: ++seq, runId: RUN, atMs: 0, type, stepId: 'hook-1', node: 'node01', message: '', runState });

/**
 * A coordinator whose run is in `state(delivered)` when read, `delivered` events into its watch,
 * which delivers `events` one a turn; the first read answers after `firstReadTurns` turns.
 */
function fakeCoordinator(options: { events: RunEvent[]; state: (delivered: number) => RunState; firstReadTurns?: number }): { client: Coordinator; reads: () => number; watchOpenedBeforeFirstRead: () => boolean } {
  let reads = 0;
  let delivered = 0;
  let firstReadAnswered = false;
  let watchOpenedEarly = false;
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  const client = {
    async getRun(): Promise<RunView> {
      reads += 1;
      if (reads === 1) for (let index = 0; index < (options.firstReadTurns ?? 0); index++) await turn();
      firstReadAnswered = true;
      return runIn(options.state(delivered));
    },
    async watch(_runId: string, _fromSeq: number, onEvent: (event: RunEvent) => void, watchOptions: { signal?: AbortSignal } = {}): Promise<void> {
      watchOpenedEarly = !firstReadAnswered;
      for (const event of options.events) {
        await turn();
        if (watchOptions.signal?.aborted === true) return;
        delivered += 1;
        onEvent(event);
      }
    },
  } as unknown as Coordinator;
  return { client, reads: () => reads, watchOpenedBeforeFirstRead: () => watchOpenedEarly };
}

function pipe(): Screen & { text: () => string } {
  let written = '';
  return { isTTY: false, write: (chunk: string) => ((written += chunk), true), text: () => written } as unknown as Screen & { text: () => string };
}

describe('following a run on a pipe', () => {
  it('reads the run at the start and when an event says it is final, not after every event', async () => {
    const events = [...Array.from({ length: 300 }, () => eventIn('running')), eventIn('succeeded', 'run.succeeded')];
    const { client, reads } = fakeCoordinator({ events, state: (delivered) => (delivered === events.length ? 'succeeded' : 'running') });
    const screen = pipe();
    expect(await followRun(client, RUN, { screen, stopWhen: blockedOnly })).toBe(0);
    expect(reads()).toBe(2);
    expect(screen.text().split('\n').filter((line) => line.includes('step.succeeded'))).toHaveLength(300);
    expect(screen.text()).toContain('run.succeeded');
  });

  it('opens the watch beside the first read, and prints its events only after that read', async () => {
    const { client, watchOpenedBeforeFirstRead } = fakeCoordinator({ events: [eventIn('running'), eventIn('succeeded', 'run.succeeded')], state: () => 'succeeded', firstReadTurns: 5 });
    const screen = pipe();
    // The run is final when first read: its grid alone, as before, and the watch is let go.
    expect(await followRun(client, RUN, { screen, stopWhen: untilFinal })).toBe(0);
    expect(watchOpenedBeforeFirstRead()).toBe(true);
    expect(screen.text()).not.toContain('step.succeeded');
    expect(screen.text()).toContain('SUCCEEDED');
  });

  it('takes no replayed event for where the run stands: a run blocked, then retried, is followed on', async () => {
    const events = [eventIn('running'), eventIn('blocked', 'run.blocked'), eventIn('running', 'run.retry'), eventIn('succeeded', 'run.succeeded')];
    const { client, reads } = fakeCoordinator({ events, state: (delivered) => (delivered === events.length ? 'succeeded' : 'running') });
    // The 'blocked' event asks for a read; the run is past it by then (retried): the follow goes on.
    expect(await followRun(client, RUN, { screen: pipe(), stopWhen: blockedOnly })).toBe(0);
    expect(reads()).toBe(3);
  });

  it('exits 4 when the read at a blocked event finds the run blocked', async () => {
    const events = [eventIn('running'), eventIn('blocked', 'run.blocked'), eventIn('running', 'run.retry')];
    const { client } = fakeCoordinator({ events, state: (delivered) => (delivered >= 2 ? 'blocked' : 'running') });
    expect(await followRun(client, RUN, { screen: pipe(), stopWhen: blockedOnly })).toBe(4);
  });
});
