// The dashboard's event stream (run-stream.ts) and a browser that does not read: the replay of
// a long history holds once the socket is full, instead of the coordinator reading and
// buffering it all; once the reader reads, every event arrives once and in order, then the
// run; and a reconnect with Last-Event-ID goes on after that event. The real engine and
// journal, a real HTTP connection.
import { mkdirSync } from 'node:fs';
import { get, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { silentLogger } from '../../shared/logger.js';
import { writeLongHistory } from '../support/long-history.js';
import { waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

const EVENTS = 30_000;
const MESSAGE_BYTES = 1_024;

let temp: ReturnType<typeof makeTempDir>;
let coordinator: RunningCoordinator;
let total: number;
/** Events the engine has handed to the stream so far: what the coordinator has read from the journal. */
let handedOver = 0;

function openStream(lastEventId?: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const headers = lastEventId === undefined ? {} : { 'last-event-id': String(lastEventId) };
    get({ host: '127.0.0.1', port: coordinator.httpPort, path: '/api/runs/run-long/events', headers }, resolve).on('error', reject);
  });
}

/** Reads the stream until the run snapshot after the replay; returns the event ids in order. */
async function idsUntilRun(response: IncomingMessage): Promise<number[]> {
  response.setEncoding('utf8');
  const chunks: string[] = [];
  let tail = '';
  for await (const chunk of response as AsyncIterable<string>) {
    chunks.push(chunk);
    // Only the new text, and the end of the last chunk where the marker may have been cut, is searched.
    const searched = tail + chunk;
    if (searched.includes('event: run\n')) break;
    tail = searched.slice(-16);
  }
  response.destroy();
  return [...chunks.join('').matchAll(/^id: (\d+)$/gm)].map((match) => Number(match[1]));
}

beforeAll(async () => {
  temp = makeTempDir('lockstep-dashboard-stream-');
  const dbFile = join(temp.dir, 'db', 'runs.sqlite');
  mkdirSync(join(temp.dir, 'db'), { mode: 0o700 });
  total = writeLongHistory(dbFile, { runId: 'run-long', count: EVENTS, messageBytes: MESSAGE_BYTES, finished: true });
  coordinator = await startCoordinator({ listen: '127.0.0.1:0', socket: undefined, http: '127.0.0.1:0', dbFile, tls: undefined, credentialsDirs: [temp.dir], fourEyes: false, logLevel: 'silent' }, silentLogger(), {
    createRunService: async (options) => {
      const engine = await createEngine(options);
      const watch = engine.watch.bind(engine);
      engine.watch = (runId, fromSeq, sink) =>
        watch(runId, fromSeq, {
          event: (event) => {
            handedOver += 1;
            return sink.event(event);
          },
          caughtUp: () => sink.caughtUp(),
        });
      return engine;
    },
  });
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  temp?.remove();
});

describe('the dashboard event stream and a slow browser', () => {
  it('reads only what the socket can carry until the browser reads, then sends every event once, in order', async () => {
    const response = await openStream();
    expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    response.pause();
    await waitFor('the replay to stall', async () => {
      const before = handedOver;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return before > 0 && handedOver === before ? true : undefined;
    });
    const heldAt = handedOver;
    console.info(`dashboard event stream, a browser that does not read: ${heldAt} of ${total} events (${MESSAGE_BYTES} B each) read from the journal before the replay held`);
    expect(heldAt).toBeLessThan(total / 4);

    const ids = await idsUntilRun(response);
    expect(ids).toEqual(Array.from({ length: total }, (_, index) => index + 1));
  }, 60_000);

  it('answers HEAD on the stream without holding the connection, and 404 for an unknown run', async () => {
    const head = await fetch(`http://127.0.0.1:${coordinator.httpPort}/api/runs/run-long/events`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const unknown = await fetch(`http://127.0.0.1:${coordinator.httpPort}/api/runs/run-none/events`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/run-none/);
  });

  it('goes on after the Last-Event-ID a reconnecting browser sends', async () => {
    const ids = await idsUntilRun(await openStream(total - 5));
    expect(ids).toEqual([total - 4, total - 3, total - 2, total - 1, total]);
  });
});
