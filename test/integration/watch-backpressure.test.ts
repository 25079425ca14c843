// WatchRun honours the stream's backpressure (coordinator-grpc-service.ts, event-feed.ts): a
// client that does not read a long history holds the coordinator's replay a page or so past
// what the connection can carry, instead of the coordinator reading and buffering it all;
// once the client reads, every event arrives, once and in order, and the stream ends.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { silentLogger } from '../../shared/logger.js';
import { pb } from '../../shared/wire/coordinator-wire.js';
import { writeLongHistory } from '../support/long-history.js';
import { waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

const EVENTS = 10_000;
const MESSAGE_BYTES = 1_024;

let temp: ReturnType<typeof makeTempDir>;
let coordinator: RunningCoordinator;
let client: pb.CoordinatorClient;
let total: number;
/** Events the engine has handed to WatchRun so far: what the coordinator has read and buffered. */
let handedOver = 0;

beforeAll(async () => {
  temp = makeTempDir('lockstep-watch-');
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
  client = new pb.CoordinatorClient(coordinator.address, credentials.createInsecure(), { 'grpc.max_receive_message_length': 64 * 1024 * 1024 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await coordinator?.stop();
  temp?.remove();
});

describe('WatchRun and a slow reader of a long history', () => {
  it('reads only what the connection can carry until the client reads, then sends everything once, in order', async () => {
    const stream = client.watchRun({ runId: 'run-long', fromSeq: 0 });
    const seqs: number[] = [];
    const ended = new Promise<void>((resolve, reject) => {
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    // A reader that takes the first event and then stops reading (grpc-js holds the HTTP/2
    // stream once its reader's buffer is full; before the first read it would take everything).
    let slow = true;
    stream.on('data', (response: pb.WatchRunResponse) => {
      seqs.push(Number(response.event?.seq ?? 0));
      if (slow) stream.pause();
    });
    await waitFor('the replay to stall', async () => {
      const before = handedOver;
      await new Promise((resolve) => setTimeout(resolve, 300));
      return before > 0 && handedOver === before ? true : undefined;
    });
    const heldAt = handedOver;
    console.info(`WatchRun, a reader that stopped after one event: ${heldAt} of ${total} events (${MESSAGE_BYTES} B each) read from the journal before the replay held`);
    expect(heldAt).toBeLessThan(total / 10);

    slow = false;
    stream.resume();
    await ended;
    expect(seqs).toHaveLength(total);
    expect(seqs).toEqual(Array.from({ length: total }, (_, index) => index + 1));
    expect(handedOver).toBe(total);
  }, 60_000);
});
