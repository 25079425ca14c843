// The coordinator's gRPC adapter for the CLI (SPEC §4.5): wire in, RunService call, wire out.
// Errors become gRPC statuses (shared/wire/grpc-errors); generated types go no further.
import type { sendUnaryData, ServerUnaryCall, ServerWritableStream } from '@grpc/grpc-js';
import { FINAL_RUN_STATES } from '../../shared/domain/run.js';
import type { Logger } from '../../shared/logger.js';
import { nodeViewToWire, operatorActionToWire, pb, plannedStepToWire, runEventToWire, runToWire, windowForecastToWire } from '../../shared/wire/coordinator-wire.js';
import { toStatus } from '../../shared/wire/grpc-errors.js';
import type { ActingOperator } from '../../shared/domain/operator-action.js';
import type { RunService, RunWatch } from '../engine/run-types.js';
import { plannedSteps } from './planned-steps.js';

type Handler<Req, Res> = (request: Req, call: ServerUnaryCall<Req, Res>) => Promise<Res> | Res;

export interface CoordinatorGrpcOptions {
  logger: Logger;
  /**
   * Who the caller is, for the audit trail, approvals and `apply --yes`: the composition root
   * decides whether the name the requester `claimed` counts (plaintext on loopback) or the
   * certificate (TLS) or the kernel (socket) does, and where the call came from.
   */
  operatorOf(call: ServerUnaryCall<unknown, unknown>, claim: { operator: string; comment: string; required?: boolean }): ActingOperator;
}

export function createCoordinatorGrpcService(service: RunService, options: CoordinatorGrpcOptions): pb.CoordinatorServer {
  const { logger } = options;
  const unary =
    <Req, Res>(name: string, handler: Handler<Req, Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      Promise.resolve()
        .then(() => handler(call.request, call))
        .then(
          (response) => callback(null, response),
          (error: unknown) => {
            const wireStatus = toStatus(error);
            logger.warn({ rpc: name, status: wireStatus.code, err: wireStatus.details }, 'request refused or failed');
            callback(wireStatus, null);
          },
        );
    };

  // What a mutating call changed is answered only once it is durable where the journal is kept (etcd: docs/ha.md).
  const durably = async <T>(answer: T): Promise<T> => {
    await service.durable?.();
    return answer;
  };

  return {
    submitRun: unary('SubmitRun', async (request: pb.SubmitRunRequest, call): Promise<pb.SubmitRunResponse> => {
      const by = options.operatorOf(call, { operator: request.requestedBy, comment: request.comment });
      const requestedBy = by.operator;
      const { runbookYaml, runbookPath, dryRun, autoApprove, expectedPlanHash, includeFacts } = request;
      // A dry run (`lockstep plan`) changes nothing: not an action of the trail.
      const result = await service.submit(
        { runbookYaml, runbookPath, dryRun, autoApprove, requestedBy, includeFacts, ...(expectedPlanHash !== '' && { expectedPlanHash }) },
        dryRun ? undefined : by,
      );
      logger.info({ run: result.runId, planHash: result.planHash, dryRun: request.dryRun, requestedBy }, request.dryRun ? 'plan compiled' : 'run submitted');
      return durably({
        runId: result.runId ?? '',
        planHash: result.planHash,
        steps: plannedSteps(result.plan).map(plannedStepToWire),
        warnings: result.plan.warnings,
        windowForecast: result.windowForecast && windowForecastToWire(result.windowForecast),
        factsJson: result.facts === undefined ? '' : JSON.stringify(result.facts),
      });
    }),
    getRun: unary('GetRun', (request: pb.GetRunRequest): pb.GetRunResponse => ({ run: runToWire(service.getRun(request.runId)) })),
    listRuns: unary('ListRuns', (request: pb.ListRunsRequest): pb.ListRunsResponse => ({ runs: service.listRuns(request.limit).map(runToWire) })),
    watchRun: (call) => watchRun(service, call, logger),
    approve: unary('Approve', (request: pb.ApproveRequest, call): Promise<pb.ApproveResponse> => {
      const by = options.operatorOf(call, request);
      return durably({ run: runToWire(service.approve(request.runId, request.gate, by.operator, by.comment, request.planHash, by)) });
    }),
    pause: unary('Pause', (request: pb.PauseRequest, call): Promise<pb.PauseResponse> => durably({ run: runToWire(service.pause(request.runId, options.operatorOf(call, { ...request, required: false }))) })),
    resume: unary('Resume', (request: pb.ResumeRequest, call): Promise<pb.ResumeResponse> => durably({ run: runToWire(service.resume(request.runId, options.operatorOf(call, { ...request, required: false }))) })),
    retry: unary('Retry', (request: pb.RetryRequest, call): Promise<pb.RetryResponse> =>
      durably({ run: runToWire(service.retry(request.runId, request.node === '' ? undefined : request.node, options.operatorOf(call, { ...request, required: false }))) }),
    ),
    cancel: unary('Cancel', (request: pb.CancelRequest, call): Promise<pb.CancelResponse> => durably({ run: runToWire(service.cancel(request.runId, options.operatorOf(call, { ...request, required: false }))) })),
    rollback: unary('Rollback', async (request: pb.RollbackRequest, call): Promise<pb.RollbackResponse> => {
      const by = options.operatorOf(call, request);
      return durably({ runId: (await service.rollback(request.runId, by.operator, by)).runId ?? '' });
    }),
    listAudit: unary('ListAudit', (request: pb.ListAuditRequest): pb.ListAuditResponse => ({
      actions: service.operatorActions({ runId: request.runId, sinceMs: request.sinceMs, limit: request.limit }).map(operatorActionToWire),
    })),
    listNodes: unary('ListNodes', async (request: pb.ListNodesRequest): Promise<pb.ListNodesResponse> => ({
      nodes: (await service.listNodes(request.runbookYaml, request.runbookPath)).map(nodeViewToWire),
    })),
  };
}

/**
 * Messages a watch may have queued on its stream before it holds. grpc-js's stream says it is
 * full at 16, less than one round's burst at 32 nodes (a dispatch, then a result, per node): held
 * there, a run's last events waited for 'drain' and a read of the journal, some 50 ms at load 10
 * between run.succeeded and `apply --wait` hearing it (issue 19). A page's worth keeps a slow
 * reader's cost to a page of messages.
 */
export const WATCH_QUEUE_MESSAGES = 256;

/**
 * Past events from `from_seq`, then live ones; the stream ends after the event that makes the
 * run final, or when the client goes away. A run already final with nothing left to replay
 * ends once the replay has caught up. A client that reads slowly holds the replay: once
 * WATCH_QUEUE_MESSAGES wait on the stream nothing more is read, and 'drain' (when all have
 * left) resumes it (event-feed.ts).
 */
function watchRun(service: RunService, call: ServerWritableStream<pb.WatchRunRequest, pb.WatchRunResponse>, logger: Logger): void {
  const { runId, fromSeq } = call.request;
  let watch: RunWatch | undefined;
  let ended = false;
  const finish = (): void => {
    if (ended) return;
    ended = true;
    watch?.stop();
    if (!call.cancelled) call.end();
  };
  call.on('cancelled', () => {
    ended = true;
    watch?.stop();
  });
  call.on('drain', () => watch?.resume());
  try {
    watch = service.watch(runId, fromSeq, {
      event: (event) => {
        if (ended) return false;
        // A write() that answers false still queues its message, and 'drain' follows once the queue is empty.
        const room = call.write({ event: runEventToWire(event) }) || call.writableLength < WATCH_QUEUE_MESSAGES;
        if (FINAL_RUN_STATES.has(event.runState)) finish();
        return room && !ended;
      },
      // A final run that sent no final event from `from_seq` on has nothing more to say.
      caughtUp: () => {
        if (FINAL_RUN_STATES.has(service.getRun(runId).state)) finish();
      },
    });
  } catch (error) {
    ended = true;
    const wireStatus = toStatus(error);
    logger.warn({ rpc: 'WatchRun', run: runId, status: wireStatus.code, err: wireStatus.details }, 'watch refused');
    call.emit('error', wireStatus);
  }
}
