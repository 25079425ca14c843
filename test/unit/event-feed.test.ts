// A run's events for one watcher (coordinator/engine/event-feed.ts): the history a page at a
// time and never in the caller's turn, held while the watcher is full, then live events —
// every event once, in order, whatever arrives while the watcher is held.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EVENT_PAGE_SIZE, watchRunEvents } from '../../coordinator/engine/event-feed.js';
import type { EventSink, RunEvent } from '../../coordinator/engine/run-types.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import { writeLongHistory } from '../support/long-history.js';
import { makeTempDir } from '../support/temp-dir.js';

const temps: Array<ReturnType<typeof makeTempDir>> = [];
afterEach(() => {
  for (const temp of temps.splice(0)) temp.remove();
});

/** A store holding run-1: its run.created and `count` notes. */
function storeWithHistory(count: number): { store: RunStore } {
  const temp = makeTempDir('lockstep-feed-');
  temps.push(temp);
  const file = join(temp.dir, 'runs.sqlite');
  writeLongHistory(file, { runId: 'run-1', count });
  return { store: new RunStore(file) };
}

const turns = (count: number): Promise<void> =>
  Array.from({ length: count }).reduce<Promise<void>>((previous) => previous.then(() => new Promise((resolve) => setImmediate(resolve))), Promise.resolve());

/** A watcher that takes `room` events, then says it is full. */
function heldSink(room: number): EventSink & { seen: RunEvent[]; room: number; caughtUp: () => void; caught: boolean } {
  const sink = {
    seen: [] as RunEvent[],
    room,
    caught: false,
    event(event: RunEvent): boolean {
      sink.seen.push(event);
      sink.room -= 1;
      return sink.room > 0;
    },
    caughtUp(): void {
      sink.caught = true;
    },
  };
  return sink;
}

const expectInOrderOnce = (events: RunEvent[], from: number): void => {
  expect(events.map((event) => event.seq)).toEqual(Array.from({ length: events.length }, (_, index) => from + index));
};

describe('a run’s event feed', () => {
  it('replays nothing in the caller’s turn, and reads the history a page at a time', async () => {
    const { store } = storeWithHistory(3 * EVENT_PAGE_SIZE);
    const pages: number[] = [];
    const read = store.events.bind(store);
    store.events = (runId, fromSeq, limit) => {
      const page = read(runId, fromSeq, limit);
      pages.push(page.length);
      return page;
    };
    const sink = heldSink(Number.MAX_SAFE_INTEGER);
    const watch = watchRunEvents(store, 'run-1', 0, sink);
    expect(sink.seen).toEqual([]);
    await turns(10);
    watch.stop();
    expect(sink.caught).toBe(true);
    expect(pages).toEqual([EVENT_PAGE_SIZE, EVENT_PAGE_SIZE, EVENT_PAGE_SIZE, 1]);
    expectInOrderOnce(sink.seen, 1);
    store.close();
  });

  it('reads nothing more while the watcher is full, and goes on from where it stopped on resume', async () => {
    const { store } = storeWithHistory(2_000);
    let reads = 0;
    const read = store.events.bind(store);
    store.events = (...args) => {
      reads += 1;
      return read(...args);
    };
    const sink = heldSink(10);
    const watch = watchRunEvents(store, 'run-1', 0, sink);
    await turns(20);
    expect(sink.seen).toHaveLength(10);
    expect(reads).toBe(1);
    for (let round = 0; round < 300 && !sink.caught; round++) {
      sink.room = 100;
      watch.resume();
      await turns(3);
    }
    watch.stop();
    expect(sink.caught).toBe(true);
    expectInOrderOnce(sink.seen, 1);
    expect(sink.seen).toHaveLength(2_001);
    store.close();
  });

  it('loses no live event that commits while the watcher is held, and delivers none twice', async () => {
    const { store } = storeWithHistory(5);
    const sink = heldSink(Number.MAX_SAFE_INTEGER);
    const watch = watchRunEvents(store, 'run-1', 0, sink);
    await turns(5);
    expect(sink.caught).toBe(true);
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'live 1' });
    sink.room = 1; // the next one fills it
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'live 2' });
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'while held' });
    await turns(5);
    expect(sink.seen.map((event) => event.message).slice(-2)).toEqual(['live 1', 'live 2']);
    sink.room = Number.MAX_SAFE_INTEGER;
    watch.resume();
    await turns(5);
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'live again' });
    watch.stop();
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'after stop' });
    expect(sink.seen.map((event) => event.message).slice(-4)).toEqual(['live 1', 'live 2', 'while held', 'live again']);
    expectInOrderOnce(sink.seen, 1);
    store.close();
  });

  it('loses no event that commits while the watcher is held in the middle of the last page of the history', async () => {
    // A first `apply --wait` watches from 0 while the run already has dozens of events: the
    // stream fills (16 messages) mid-page, events commit before 'drain', and the rest of that
    // page, read before them, must not be taken for the newest.
    const { store } = storeWithHistory(40);
    const sink = heldSink(16);
    const watch = watchRunEvents(store, 'run-1', 0, sink);
    await turns(5);
    expect(sink.seen).toHaveLength(16);
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'while held' });
    sink.room = Number.MAX_SAFE_INTEGER;
    watch.resume();
    await turns(5);
    expect(sink.caught).toBe(true);
    store.recordEvent('run-1', { type: 'step.note', stepId: '', node: '', message: 'live' });
    watch.stop();
    expect(sink.seen.map((event) => event.message).slice(-2)).toEqual(['while held', 'live']);
    expectInOrderOnce(sink.seen, 1);
    expect(sink.seen).toHaveLength(43);
    store.close();
  });

  it('loses no event that commits while the watcher is held again in the page read on resume (the last round of a run)', async () => {
    // Live, a burst fills the stream; on 'drain' the feed reads what it missed, fills the stream
    // again mid-page, and the run's last events commit before the next 'drain': they are the
    // final word of the run, and the watch (and `apply --wait`) waits for them (issue 19).
    const { store } = storeWithHistory(5);
    const sink = heldSink(Number.MAX_SAFE_INTEGER);
    const watch = watchRunEvents(store, 'run-1', 0, sink);
    await turns(5);
    expect(sink.caught).toBe(true);
    sink.room = 1;
    for (let node = 1; node <= 32; node++) store.recordEvent('run-1', { type: 'step.dispatched', stepId: 'hook-4', node: `node${node}`, message: '' });
    expect(sink.seen.at(-1)?.node).toBe('node1');
    sink.room = 16;
    watch.resume();
    await turns(5);
    expect(sink.seen.at(-1)?.node).toBe('node17');
    store.recordEvent('run-1', { type: 'run.succeeded', stepId: '', node: '', message: 'last' });
    sink.room = Number.MAX_SAFE_INTEGER;
    watch.resume();
    await turns(5);
    watch.stop();
    expect(sink.seen.at(-1)?.message).toBe('last');
    expectInOrderOnce(sink.seen, 1);
    store.close();
  });

  it('starts at from_seq, and refuses an unknown run at once', async () => {
    const { store } = storeWithHistory(10);
    const sink = heldSink(Number.MAX_SAFE_INTEGER);
    const watch = watchRunEvents(store, 'run-1', 8, sink);
    await turns(3);
    watch.stop();
    expectInOrderOnce(sink.seen, 8);
    expect(sink.seen).toHaveLength(4);
    expect(() => watchRunEvents(store, 'run-nope', 0, sink)).toThrow(/no run "run-nope"/);
    store.close();
  });
});
