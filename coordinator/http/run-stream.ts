// One run's events as server-sent events (the dashboard's live feed): the engine's watch
// (event-feed.ts) from the event after the browser's Last-Event-ID, each event one `event`
// message whose id is its seq, and after each batch one `run` message with the run as it now
// stands. A socket that is full holds the watch (write() said false) until it drains, so a slow
// browser costs one page of events, not the history.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RunService } from '../engine/run-types.js';

/** A comment line this often keeps idle proxies and browsers from dropping a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** How soon a browser reconnects after the stream breaks. */
const RETRY_MS = 1_000;

/** `Last-Event-ID: 41` → 42; absent or not a seq → 0 (the whole history). */
export function firstSeqAfter(lastEventId: string | string[] | undefined): number {
  const value = Array.isArray(lastEventId) ? lastEventId[0] : lastEventId;
  if (value === undefined || !/^\d{1,15}$/.test(value.trim())) return 0;
  return Number(value.trim()) + 1;
}

/** Streams `runId` to `response`; getRun has already answered NOT_FOUND for an unknown run. */
export function streamRun(service: RunService, runId: string, request: IncomingMessage, response: ServerResponse, headers: Record<string, string>): void {
  response.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  response.write(`retry: ${RETRY_MS}\n\n`);
  let caughtUp = false;
  let runQueued = false;
  const sendRun = (): void => {
    runQueued = false;
    if (response.destroyed) return;
    let run: string;
    try {
      run = JSON.stringify(service.getRun(runId));
    } catch {
      // Gone meanwhile (retention deletes finished runs): the stream ends, the browser's retry gets the 404.
      response.end();
      return;
    }
    // JSON has no raw newline, so each message is one data line.
    response.write(`event: run\ndata: ${run}\n\n`);
  };
  // Events committed in one turn share one snapshot of the run.
  const queueRun = (): void => {
    if (runQueued || !caughtUp) return;
    runQueued = true;
    setImmediate(sendRun);
  };
  const watch = service.watch(runId, firstSeqAfter(request.headers['last-event-id']), {
    event: (event) => {
      const more = response.write(`id: ${event.seq}\nevent: event\ndata: ${JSON.stringify(event)}\n\n`);
      queueRun();
      return more;
    },
    caughtUp: () => {
      caughtUp = true;
      queueRun();
    },
  });
  const keepalive = setInterval(() => response.write(': keepalive\n\n'), KEEPALIVE_MS);
  keepalive.unref();
  response.on('drain', () => watch.resume());
  response.on('close', () => {
    clearInterval(keepalive);
    watch.stop();
  });
}
