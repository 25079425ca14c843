// The one access check of the coordinator's API (SPEC §8): every call needs a role, the
// transport says who the caller is (caller.ts), and a call outside the caller's roles is
// PERMISSION_DENIED naming the role, journaled in the audit table. Handlers never see it.
import * as grpc from '@grpc/grpc-js';
import { LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { OperatorRole } from '../../shared/pki/roles.js';
import { pb } from '../../shared/wire/coordinator-wire.js';
import { toStatus } from '../../shared/wire/grpc-errors.js';
import type { AuditEntry } from '../engine/run-types.js';
import type { CallerOf } from './caller.js';

/** The role each RPC needs; a new RPC does not compile until it is listed here. */
export const RPC_ROLES: Readonly<Record<keyof typeof pb.CoordinatorService, OperatorRole>> = {
  getRun: 'viewer',
  listRuns: 'viewer',
  watchRun: 'viewer',
  listNodes: 'viewer',
  listAudit: 'viewer',
  // SubmitRun is both `plan` (dry run) and `apply`: either is an operator's.
  submitRun: 'operator',
  pause: 'operator',
  resume: 'operator',
  retry: 'operator',
  cancel: 'operator',
  rollback: 'operator',
  approve: 'approver',
};

const ROLE_BY_PATH = new Map(
  (Object.keys(RPC_ROLES) as Array<keyof typeof RPC_ROLES>).map((method) => {
    const path: string = pb.CoordinatorService[method].path;
    return [path, { rpc: path.slice(path.lastIndexOf('/') + 1), role: RPC_ROLES[method] }];
  }),
);

export interface AuthorizeOptions {
  callerOf: CallerOf;
  audit(entry: AuditEntry): void;
  logger: Logger;
}

export function authorizeCalls(options: AuthorizeOptions): grpc.ServerInterceptor {
  return (method, call) =>
    new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, forward) => {
            const refusal = check(method.path, call, options);
            if (refusal === undefined) forward(metadata);
            else call.sendStatus({ code: grpc.status.PERMISSION_DENIED, details: refusal.message, metadata: toStatus(refusal).metadata ?? null });
          },
        }),
    });
}

function check(path: string, call: grpc.ServerInterceptingCallInterface, options: AuthorizeOptions): LockstepError | undefined {
  const needed = ROLE_BY_PATH.get(path);
  const caller = options.callerOf(call);
  const who = caller === undefined ? `unidentified peer ${call.getPeer()}` : caller.transport === 'insecure-tcp' ? '(unauthenticated)' : caller.name;
  const entry = { caller: who, transport: caller?.transport ?? 'unknown', rpc: needed?.rpc ?? path, role: needed?.role ?? '' };
  let refusal: LockstepError | undefined;
  if (needed === undefined) refusal = denied(`${path} is not an RPC of this coordinator`);
  else if (caller === undefined) refusal = denied('the caller could not be identified');
  else if (!caller.roles.has(needed.role)) {
    const held = caller.roles.size === 0 ? 'no role' : `only ${[...caller.roles].join(', ')}`;
    refusal = denied(`${needed.rpc} needs the ${needed.role} role; ${who} has ${held}`);
  }
  // Reads are not journaled (watch streams, dashboards); every refusal and every change is.
  if (refusal !== undefined || needed?.role !== 'viewer') {
    options.audit({ ...entry, allowed: refusal === undefined, detail: refusal?.message ?? '' });
    if (refusal !== undefined) options.logger.warn({ audit: entry, err: refusal.message }, 'API call refused');
  }
  return refusal;
}

function denied(message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_PERMISSION_DENIED', message);
}
