// A run's events for one watcher (WatchRun): the history from `fromSeq`, read a page at a time
// with the event loop free between pages, then live events as the store commits them. When
// the watcher is full (WatchRun's stream has a page of messages unsent) nothing more is read: on resume
// the feed goes on with the rest of its page, then reads the journal again from the event after
// the last one delivered (live events are not kept while held) and goes live only from a page
// read in that same turn, so a slow reader of a long history costs one page of memory, not the
// history, and misses nothing that committed while it was held.
import type { RunStore } from '../store/run-store.js';
import type { EventSink, RunEvent, RunWatch } from './run-types.js';

/** Events per read of the history: small enough to be quick, large enough to be few. */
export const EVENT_PAGE_SIZE = 256;

export function watchRunEvents(store: RunStore, runId: string, fromSeq: number, sink: EventSink): RunWatch {
  store.getRun(runId); // NOT_FOUND now, not in a later turn
  let next = fromSeq;
  // replaying: reading pages; live: passing on what the store publishes; held: the sink is full.
  let mode: 'replaying' | 'live' | 'held' = 'replaying';
  let stopped = false;
  let caughtUp = false;

  const deliver = (event: RunEvent): boolean => {
    next = event.seq + 1;
    const more = sink.event(event);
    if (!more) mode = 'held';
    return more && !stopped;
  };

  // The page being delivered: what a held watcher has not taken yet waits here, one page at most.
  let page: RunEvent[] = [];
  let at = 0;
  let pageWasFull = false;

  const readPage = (): void => {
    if (stopped || mode !== 'replaying') return;
    let readNow = false;
    if (at === page.length) {
      page = store.events(runId, next, EVENT_PAGE_SIZE);
      at = 0;
      pageWasFull = page.length === EVENT_PAGE_SIZE;
      readNow = true;
    }
    while (at < page.length) if (!deliver(page[at++] as RunEvent)) return;
    // The rest of a page read before a hold is not the newest: what committed during the hold was
    // published to nobody (a held feed does not listen), so read on from the journal before going live.
    if (pageWasFull || !readNow) {
      setImmediate(readPage);
      return;
    }
    // Within this turn no event can commit unseen: the store publishes each right after its commit.
    mode = 'live';
    if (!caughtUp) {
      caughtUp = true;
      sink.caughtUp();
    }
  };

  const unsubscribe = store.onEvent((event) => {
    if (stopped || mode !== 'live' || event.runId !== runId || event.seq < next) return;
    deliver(event);
  });
  setImmediate(readPage);

  return {
    resume: () => {
      if (stopped || mode !== 'held') return;
      mode = 'replaying';
      setImmediate(readPage);
    },
    stop: () => {
      stopped = true;
      unsubscribe();
    },
  };
}
