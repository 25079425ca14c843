// Errors cross the wire as a gRPC status with the message as details; the stable lockstep
// code and the field ride in metadata so the client can rebuild a LockstepError; a follower's
// refusal names the leader there too, so the client can send the call on (NotLeaderError).
import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ERROR_CODES, LockstepError, NotLeaderError, describeError, isLockstepError, type ErrorCode } from '../errors.js';

const CODE_KEY = 'lockstep-error-code';
const FIELD_KEY = 'lockstep-error-field';
const LEADER_KEY = 'lockstep-leader';
// The details travel in an HTTP/2 trailer. A message that quotes a huge input (a 1 MiB run
// id in "no run …") made a trailer no client accepts, and the caller waited for its deadline
// instead of getting the refusal: every message is cut to a size any peer takes.
const MAX_DETAILS_CHARS = 4_096;

export function toStatus(error: unknown): Partial<StatusObject> {
  const metadata = new Metadata();
  if (isLockstepError(error)) {
    metadata.set(CODE_KEY, error.code);
    if (error.field !== undefined) metadata.set(FIELD_KEY, bounded(error.field));
    if (error instanceof NotLeaderError && error.leader !== undefined) metadata.set(LEADER_KEY, bounded(error.leader));
    return { code: status[error.status], details: bounded(error.message), metadata };
  }
  metadata.set(CODE_KEY, 'LOCKSTEP_E_INTERNAL');
  return { code: status.INTERNAL, details: bounded(describeError(error)), metadata };
}

function bounded(text: string): string {
  return text.length <= MAX_DETAILS_CHARS ? text : `${text.slice(0, MAX_DETAILS_CHARS)}… (${text.length - MAX_DETAILS_CHARS} more characters cut)`;
}

/** Rebuilds the LockstepError an adapter sent, or classifies a transport failure. */
export function fromServiceError(error: ServiceError, peer: string): LockstepError {
  const code = error.metadata?.get(CODE_KEY)[0];
  const field = error.metadata?.get(FIELD_KEY)[0];
  if (code === 'LOCKSTEP_E_NOT_LEADER') {
    const leader = error.metadata?.get(LEADER_KEY)[0];
    return new NotLeaderError(typeof leader === 'string' && leader !== '' ? leader : undefined, { cause: error });
  }
  if (typeof code === 'string' && code in ERROR_CODES) {
    return new LockstepError(code as ErrorCode, error.details, { cause: error, ...(typeof field === 'string' && { field }) });
  }
  if (error.code === status.UNAVAILABLE || error.code === status.DEADLINE_EXCEEDED) {
    return new LockstepError('LOCKSTEP_E_UNAVAILABLE', `${peer}: ${error.details || status[error.code]}`, { cause: error });
  }
  if (error.code === status.INVALID_ARGUMENT) {
    return new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${peer}: ${error.details}`, { cause: error });
  }
  return new LockstepError('LOCKSTEP_E_INTERNAL', `${peer}: ${status[error.code] ?? error.code}: ${error.details}`, { cause: error });
}

/** The gRPC status name of a failed call, e.g. "PERMISSION_DENIED", for messages and tests. */
export function statusName(error: ServiceError): string {
  return status[error.code] ?? String(error.code);
}
