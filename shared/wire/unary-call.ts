// One unary gRPC call as a promise, with a deadline; a failure becomes the LockstepError the
// server sent, or LOCKSTEP_E_UNAVAILABLE when the peer could not be reached.
import { Metadata, type Client, type ServiceError } from '@grpc/grpc-js';
import { LockstepError, describeError } from '../errors.js';
import { fromServiceError } from './grpc-errors.js';

export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (error: ServiceError | null, response: Res) => void,
) => unknown;

/** `peer` names the other side in error messages, e.g. "coordinator 127.0.0.1:7450". */
export function callUnary<Req, Res>(client: Client, method: UnaryMethod<Req, Res>, request: Req, deadlineMs: number, peer: string): Promise<Res> {
  return new Promise((resolve, reject: (error: LockstepError) => void) => {
    try {
      method.call(client, request, new Metadata(), { deadline: new Date(Date.now() + deadlineMs) }, (error, response) => {
        if (error) reject(fromServiceError(error, peer));
        else resolve(response);
      });
    } catch (error) {
      // grpc-js throws, rather than calling back, on a channel already closed (a node's
      // channel replaced by AgentPool.reconnect): the peer cannot be reached this way.
      reject(new LockstepError('LOCKSTEP_E_UNAVAILABLE', `${peer}: ${describeError(error)}`, { cause: error }));
    }
  });
}
