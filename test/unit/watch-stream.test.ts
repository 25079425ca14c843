// WatchRun's side of the stream (coordinator-grpc-service.ts): a burst of live events (a round at
// 32 nodes) is written at once, not held at grpc-js's 16 queued messages until 'drain' and a read
// of the journal (issue 19: run.succeeded reached `apply --wait` some 50 ms late); a reader that
// does not read holds the feed at WATCH_QUEUE_MESSAGES, and 'drain' resumes it.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createCoordinatorGrpcService, WATCH_QUEUE_MESSAGES } from '../../coordinator/grpc/coordinator-grpc-service.js';
import type { EventSink, RunService } from '../../coordinator/engine/run-types.js';
import type { RunEvent } from '../../shared/domain/run.js';
import { silentLogger } from '../../shared/logger.js';

const eventNumber = (seq: number): RunEvent => ({ seq, runId: 'r-1', atMs: 0, type: 'step.dispatched', stepId: 'hook-1', node: `node${seq}`, message: '', runState: 'running' });

/** WatchRun on a stream whose client reads nothing until `release()`. */
function watchOnAStalledStream(): { sink: EventSink; resumes: () => number; release: () => void } {
  let sink: EventSink | undefined;
  let resumes = 0;
  const service = {
    watch: (_runId: string, _fromSeq: number, given: EventSink) => {
      sink = given;
      return { resume: () => (resumes += 1), stop: () => undefined };
    },
  } as unknown as RunService;
  const grpc = createCoordinatorGrpcService(service, { logger: silentLogger(), operatorOf: () => ({ operator: 'test', comment: '', authenticated: false, transport: 'tcp', address: '' }) as never });
  const waiting: Array<() => void> = [];
  const call = Object.assign(new Writable({ objectMode: true, write: (_chunk, _encoding, done: () => void) => waiting.push(done) }), { request: { runId: 'r-1', fromSeq: 0 }, cancelled: false });
  grpc.watchRun(call as never);
  if (sink === undefined) throw new Error('WatchRun did not watch');
  return {
    sink,
    resumes: () => resumes,
    release: () => {
      while (waiting.length > 0) waiting.shift()?.();
    },
  };
}

describe('WatchRun’s stream', () => {
  it('takes a round’s burst at once, holds at WATCH_QUEUE_MESSAGES, and resumes on drain', async () => {
    const { sink, resumes, release } = watchOnAStalledStream();
    const answers = Array.from({ length: WATCH_QUEUE_MESSAGES }, (_, index) => sink.event(eventNumber(index + 1)));
    expect(answers.slice(0, 64).every(Boolean)).toBe(true);
    expect(answers.indexOf(false)).toBe(WATCH_QUEUE_MESSAGES - 1);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(resumes()).toBe(1);
  });
});
