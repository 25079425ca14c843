// A domain-speaking client of the coordinator, for the CLI and the tests. Failures become
// LockstepErrors: the coordinator's own codes come back as sent, an unreachable coordinator
// as LOCKSTEP_E_UNAVAILABLE.
import { connectivityState, credentials as grpcCredentials, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { NodeView, RunEvent, RunView, SubmitInput, SubmittedRun } from '../domain/run.js';
import type { AuditQuery, OperatorAction } from '../domain/operator-action.js';
import { pb, nodeViewFromWire, operatorActionFromWire, runEventFromWire, runFromWire, submittedRunFromWire } from './coordinator-wire.js';
import { LockstepError } from '../errors.js';
import { fromServiceError } from './grpc-errors.js';
import { callUnary, type UnaryMethod } from './unary-call.js';

export interface CoordinatorClientOptions {
  /** Deadline of each unary call; submitting and listing nodes ask the agents, so allow for that. */
  deadlineMs?: number;
  /** The name the coordinator's certificate carries, when it differs from the host dialled (an IP address). */
  serverName?: string;
}

/**
 * Who asks and why. The name counts only over --insecure loopback TCP (journaled as
 * unauthenticated); the socket and TLS prove the caller themselves.
 */
export interface OperatorClaim {
  operator?: string;
  comment?: string;
}

function claim(by: OperatorClaim): { operator: string; comment: string } {
  return { operator: by.operator ?? '', comment: by.comment ?? '' };
}

export interface WatchOptions {
  /** Aborting stops watching; the promise then resolves. */
  signal?: AbortSignal;
}

/** What the CLI asks of a coordinator: one CoordinatorClient, or a list of them that follows the leader (coordinator/cli/coordinator-list.ts). */
export type Coordinator = Pick<
  CoordinatorClient,
  'submit' | 'getRun' | 'listRuns' | 'approve' | 'pause' | 'resume' | 'retry' | 'cancel' | 'rollback' | 'listAudit' | 'listNodes' | 'watch' | 'close'
>;

export class CoordinatorClient {
  private readonly client: pb.CoordinatorClient;
  private readonly deadlineMs: number;

  constructor(
    readonly address: string,
    credentials: ChannelCredentials = grpcCredentials.createInsecure(),
    options: CoordinatorClientOptions = {},
  ) {
    this.client = new pb.CoordinatorClient(address, credentials, {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
      ...(options.serverName !== undefined && { 'grpc.ssl_target_name_override': options.serverName }),
    });
    this.deadlineMs = options.deadlineMs ?? 120_000;
  }

  close(): void {
    this.client.close();
  }

  /**
   * `'ready'` once a connection to the coordinator is up; `'failed'` as soon as connecting
   * fails (refused, no route, TLS handshake refused: a call now fails at once, saying why);
   * `'no-answer'` after `timeoutMs`. A call sent after `'ready'` may have reached it; one that
   * failed UNAVAILABLE otherwise did not, so even a call that must not run twice may go elsewhere.
   */
  connects(timeoutMs: number): Promise<'ready' | 'failed' | 'no-answer'> {
    const channel = this.client.getChannel();
    const deadline = Date.now() + timeoutMs;
    return new Promise((resolve) => {
      const check = (): void => {
        const state = channel.getConnectivityState(true);
        if (state === connectivityState.READY) return resolve('ready');
        if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return resolve('failed');
        channel.watchConnectivityState(state, deadline, (error) => (error ? resolve('no-answer') : check()));
      };
      check();
    });
  }

  /** `comment`: why, for the audit trail. */
  async submit(input: SubmitInput, comment = ''): Promise<SubmittedRun> {
    return submittedRunFromWire(await this.call(this.client.submitRun, { ...input, comment, expectedPlanHash: input.expectedPlanHash ?? '', includeFacts: input.includeFacts === true }));
  }

  async getRun(runId: string): Promise<RunView> {
    return runFromWire((await this.call(this.client.getRun, { runId })).run);
  }

  /** Newest first; `limit` 0 lets the coordinator choose. */
  async listRuns(limit = 0): Promise<RunView[]> {
    return (await this.call(this.client.listRuns, { limit })).runs.map(runFromWire);
  }

  /** `planHash`: the plan the approver read (the run's `planHash` as shown); another is refused. */
  async approve(runId: string, gate: string, approval: { operator: string; comment?: string; planHash: string }): Promise<RunView> {
    return runFromWire((await this.call(this.client.approve, { runId, gate, operator: approval.operator, comment: approval.comment ?? '', planHash: approval.planHash })).run);
  }

  async pause(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return runFromWire((await this.call(this.client.pause, { runId, ...claim(by) })).run);
  }

  async resume(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return runFromWire((await this.call(this.client.resume, { runId, ...claim(by) })).run);
  }

  /** Retries the failed step of `node`, or every failed step when no node is given. */
  async retry(runId: string, node?: string, by: OperatorClaim = {}): Promise<RunView> {
    return runFromWire((await this.call(this.client.retry, { runId, node: node ?? '', ...claim(by) })).run);
  }

  async cancel(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return runFromWire((await this.call(this.client.cancel, { runId, ...claim(by) })).run);
  }

  /** The id of the new run that undoes `runId`. */
  async rollback(runId: string, operator: string, comment = ''): Promise<string> {
    return (await this.call(this.client.rollback, { runId, operator, comment })).runId;
  }

  /** The operator trail, oldest first: of one run, or of every run when `runId` is empty. */
  async listAudit(query: Partial<AuditQuery> = {}): Promise<OperatorAction[]> {
    const { actions } = await this.call(this.client.listAudit, { runId: query.runId ?? '', sinceMs: query.sinceMs ?? 0, limit: query.limit ?? 0 });
    return actions.map(operatorActionFromWire);
  }

  async listNodes(runbookYaml: string, runbookPath: string): Promise<NodeView[]> {
    return (await this.call(this.client.listNodes, { runbookYaml, runbookPath })).nodes.map(nodeViewFromWire);
  }

  /**
   * Every event of the run from `fromSeq` on, then live ones. Resolves when the coordinator
   * ends the stream (the run is final) or when `options.signal` aborts; rejects on failure, with
   * LOCKSTEP_E_UNAVAILABLE when the coordinator went away mid-stream.
   */
  watch(runId: string, fromSeq: number, onEvent: (event: RunEvent) => void, options: WatchOptions = {}): Promise<void> {
    return new Promise((resolve, reject) => {
      // No deadline: a run may take hours.
      const stream = this.client.watchRun({ runId, fromSeq });
      let cancelled = false;
      const abort = (): void => {
        cancelled = true;
        stream.cancel();
      };
      options.signal?.addEventListener('abort', abort, { once: true });
      const settle = (error?: ServiceError): void => {
        options.signal?.removeEventListener('abort', abort);
        if (error === undefined || (error.code === status.CANCELLED && cancelled)) resolve();
        // A coordinator that shuts down or dies cancels its streams: the watch broke, it did not end.
        else if (error.code === status.CANCELLED) reject(new LockstepError('LOCKSTEP_E_UNAVAILABLE', `coordinator ${this.address}: the coordinator cancelled the watch (it stopped?)`, { cause: error }));
        else reject(fromServiceError(error, `coordinator ${this.address}`));
      };
      stream.on('data', (response: pb.WatchRunResponse) => {
        try {
          onEvent(runEventFromWire(response.event));
        } catch (error) {
          cancelled = true;
          stream.cancel();
          reject(error);
        }
      });
      stream.on('error', (error: ServiceError) => settle(error));
      stream.on('end', () => settle());
      if (options.signal?.aborted) abort();
    });
  }

  private call<Req, Res>(method: UnaryMethod<Req, Res>, request: Req): Promise<Res> {
    return callUnary(this.client, method, request, this.deadlineMs, `coordinator ${this.address}`);
  }
}
