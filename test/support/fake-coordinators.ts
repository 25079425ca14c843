// Small fake coordinators of an HA group (issue 15), real gRPC servers on loopback speaking the
// coordinator's service: all read one shared book of runs (as the real ones read etcd), any of
// them serves reads and watches, and a follower refuses every mutating call with the
// NotLeaderError that names the leader. For the CLI's tests of following the leader.
import { createConnection, createServer, type Socket } from 'node:net';
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream } from '@grpc/grpc-js';
import { FINAL_RUN_STATES, type RunEvent, type RunState, type RunView } from '../../shared/domain/run.js';
import { LockstepError, NotLeaderError } from '../../shared/errors.js';
import { pb, runEventToWire, runToWire } from '../../shared/wire/coordinator-wire.js';
import { serverCredentials, type TlsMaterial } from '../../shared/tls.js';
import { toStatus } from '../../shared/wire/grpc-errors.js';

type Listener = (event: RunEvent) => void;

/** The runs and their events every fake coordinator of a group reads and the leader writes. */
export class SharedRuns {
  readonly runs = new Map<string, { view: RunView; events: RunEvent[] }>();
  private readonly listeners = new Set<Listener>();
  private nextId = 1;

  create(): RunView {
    const id = `r-${this.nextId++}`;
    const view: RunView = { id, cluster: 'lab', procedure: 'custom', state: 'running', planHash: 'p1', steps: [], createdAtMs: Date.now(), updatedAtMs: Date.now(), pendingGates: [] };
    this.runs.set(id, { view, events: [] });
    this.append(id, 'run.created', 'running');
    return view;
  }

  get(runId: string): RunView {
    const run = this.runs.get(runId);
    if (run === undefined) throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `no run ${runId}`);
    return run.view;
  }

  /** Records the next event of the run and tells every watcher of any coordinator. */
  append(runId: string, type: string, runState: RunState): RunEvent {
    const run = this.runs.get(runId);
    if (run === undefined) throw new Error(`no run ${runId}`);
    run.view = { ...run.view, state: runState, updatedAtMs: Date.now() };
    const event: RunEvent = { seq: run.events.length + 1, runId, atMs: Date.now(), type, stepId: '', node: '', message: `event ${run.events.length + 1}`, runState };
    run.events.push(event);
    for (const listener of this.listeners) listener(event);
    return event;
  }

  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export interface FakeCoordinator {
  /** HOST:PORT it listens on. */
  readonly address: string;
  role: 'leader' | 'follower';
  /** Every call it received, by RPC name, refused ones too. */
  readonly calls: string[];
  /** Watch streams open on it now. */
  openWatches(): number;
  /** The coordinator dies as a SIGKILLed process does: every connection is reset, nothing listens any more. */
  stop(): void;
}

export interface FakeCoordinatorOptions {
  role: 'leader' | 'follower';
  /** Whom a follower names in its refusal; undefined while no leader is elected. */
  leader: () => string | undefined;
  /** Called as each call arrives, before it is answered (a test may stop the server there). */
  onCall?: (rpc: string) => void;
  /** Serve mTLS with this coordinator certificate instead of plaintext. */
  tls?: TlsMaterial;
}

export async function startFakeCoordinator(shared: SharedRuns, options: FakeCoordinatorOptions): Promise<FakeCoordinator> {
  const server = new Server();
  const watches = new Set<ServerWritableStream<pb.WatchRunRequest, pb.WatchRunResponse>>();
  const coordinator: FakeCoordinator = {
    address: '',
    role: options.role,
    calls: [],
    openWatches: () => watches.size,
    stop: () => {
      for (const front of fronts) front.cut();
      server.forceShutdown();
    },
  };
  const fronts: TcpFront[] = [];

  const unary =
    <Req, Res>(rpc: string, mutating: boolean, handler: (request: Req) => Res) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      coordinator.calls.push(rpc);
      options.onCall?.(rpc);
      try {
        if (mutating && coordinator.role === 'follower') throw new NotLeaderError(options.leader());
        callback(null, handler(call.request));
      } catch (error) {
        callback(toStatus(error), null);
      }
    };
  const control = (rpc: string, state: RunState) =>
    unary(rpc, true, (request: { runId: string }): { run: pb.Run } => {
      shared.get(request.runId);
      shared.append(request.runId, `run.${state}`, state);
      return { run: runToWire(shared.get(request.runId)) };
    });

  const service: pb.CoordinatorServer = {
    submitRun: unary('SubmitRun', true, (): pb.SubmitRunResponse => ({ runId: shared.create().id, planHash: 'p1', steps: [], warnings: [], windowForecast: undefined, factsJson: '' })),
    getRun: unary('GetRun', false, (request: pb.GetRunRequest): pb.GetRunResponse => ({ run: runToWire(shared.get(request.runId)) })),
    listRuns: unary('ListRuns', false, (): pb.ListRunsResponse => ({ runs: [...shared.runs.values()].map((run) => runToWire(run.view)).reverse() })),
    listAudit: unary('ListAudit', false, (): pb.ListAuditResponse => ({ actions: [] })),
    listNodes: unary('ListNodes', false, (): pb.ListNodesResponse => ({ nodes: [] })),
    approve: control('Approve', 'running'),
    pause: control('Pause', 'paused'),
    resume: control('Resume', 'running'),
    retry: control('Retry', 'running'),
    cancel: control('Cancel', 'cancelled'),
    rollback: unary('Rollback', true, (request: pb.RollbackRequest): pb.RollbackResponse => {
      shared.get(request.runId);
      return { runId: shared.create().id };
    }),
    watchRun: (call) => {
      coordinator.calls.push('WatchRun');
      options.onCall?.('WatchRun');
      const { runId, fromSeq } = call.request;
      const run = shared.runs.get(runId);
      if (run === undefined) {
        call.emit('error', toStatus(new LockstepError('LOCKSTEP_E_NOT_FOUND', `no run ${runId}`)));
        return;
      }
      watches.add(call);
      const send = (event: RunEvent): void => {
        if (event.runId !== runId || event.seq < fromSeq) return;
        call.write({ event: runEventToWire(event) });
        if (FINAL_RUN_STATES.has(event.runState)) finish();
      };
      const stopListening = shared.listen(send);
      const finish = (): void => {
        stopListening();
        watches.delete(call);
        if (!call.cancelled) call.end();
      };
      call.on('cancelled', () => {
        stopListening();
        watches.delete(call);
      });
      for (const event of [...run.events]) send(event);
    },
  };
  server.addService(pb.CoordinatorService, service);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', options.tls === undefined ? ServerCredentials.createInsecure() : serverCredentials(options.tls), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  const front = await tcpFront(port);
  fronts.push(front);
  return Object.assign(coordinator, { address: `127.0.0.1:${front.port}` });
}

interface TcpFront {
  port: number;
  cut(): void;
}

/**
 * A TCP relay before the server. grpc-js's own shutdown cancels calls politely (a client sees
 * CANCELLED); a coordinator that dies drops its connections (UNAVAILABLE), which resetting the
 * relay's sockets reproduces.
 */
async function tcpFront(targetPort: number): Promise<TcpFront> {
  const sockets = new Set<Socket>();
  const relay = createServer((incoming) => {
    const outgoing = createConnection(targetPort, '127.0.0.1');
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    incoming.pipe(outgoing).pipe(incoming);
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  const address = relay.address();
  if (address === null || typeof address === 'string') throw new Error('the relay has no TCP port');
  return {
    port: address.port,
    cut: () => {
      relay.close();
      for (const socket of sockets) socket.resetAndDestroy();
    },
  };
}
