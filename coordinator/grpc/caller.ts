// Who is calling the coordinator's API, as the transport proves it (SPEC §8): the kernel on the
// Unix socket, the client certificate under TLS. Only --insecure loopback TCP takes the name
// the request claims, and every record then says it is unauthenticated.
import type { ServerInterceptingCallInterface } from '@grpc/grpc-js';
import type { ActingOperator } from '../../shared/domain/operator-action.js';
import { invalidArgument } from '../../shared/errors.js';
import { OPERATOR_ROLES, type OperatorRole } from '../../shared/pki/roles.js';
import { peerIdentity } from '../../shared/tls.js';

export type CallerTransport = 'socket' | 'tls' | 'insecure-tcp';

export interface Caller {
  /** The OS user (socket) or the certificate's CN (TLS); empty over --insecure TCP, where only a claim exists. */
  name: string;
  transport: CallerTransport;
  roles: ReadonlySet<OperatorRole>;
  /** Where the call came from when the call's peer does not say it (the socket, with the caller's pid). */
  address?: string;
}

export type CallOrigin = Pick<ServerInterceptingCallInterface, 'getPeer' | 'getAuthContext'>;

/** The caller of a call, or undefined when the transport proves nobody (which the API then refuses). */
export type CallerOf = (call: CallOrigin) => Caller | undefined;

/** Any role includes viewing: an approver must see the gate it approves. */
export function withViewer(roles: Iterable<OperatorRole>): ReadonlySet<OperatorRole> {
  const set = new Set(roles);
  if (set.size > 0) set.add('viewer');
  return set;
}

export interface CallerSources {
  /** The Unix socket's callers by the peer key the socket gave each connection (local-socket.ts). */
  socketCaller(peer: string): Caller | undefined;
  /** Whether a TCP listener serves TLS; otherwise it is --insecure on loopback. */
  tcp: 'tls' | 'insecure' | 'none';
}

export function callerResolver(sources: CallerSources): CallerOf {
  return (call) => {
    const local = sources.socketCaller(call.getPeer());
    if (local !== undefined) return local;
    if (sources.tcp === 'tls') {
      const identity = peerIdentity(call);
      return identity === undefined ? undefined : { name: identity.commonName, transport: 'tls', roles: withViewer(identity.operatorRoles) };
    }
    // Labs, tests and benchmarks: whoever reaches loopback may do everything (coordinator-config.ts refuses it elsewhere).
    if (sources.tcp === 'insecure') return { name: '', transport: 'insecure-tcp', roles: new Set(OPERATOR_ROLES) };
    return undefined;
  };
}

/**
 * The name journaled for a caller: proven, or the claim marked as such. A claim is required
 * where the API always asked for one (submit, approve, rollback); pause, resume, retry and
 * cancel took none before the audit trail, so an older client's call is journaled as unclaimed.
 */
export function journalName(caller: Caller, claimed: string, claimRequired = true): string {
  if (caller.transport !== 'insecure-tcp') {
    if (caller.name === '') throw invalidArgument('operator', 'the client certificate names no CN');
    return caller.name;
  }
  const name = claimed.trim();
  if (name === '' && claimRequired) throw invalidArgument('operator', 'is required: who is asking (the CLI sends $USER)');
  return `${name === '' ? '(unclaimed)' : name} (unauthenticated)`;
}

/** The operator of an action as the audit trail records it (shared/domain/operator-action.ts). */
export function actingOperator(caller: Caller, peer: string, claimed: string, comment: string, claimRequired = true): ActingOperator {
  return {
    operator: journalName(caller, claimed, claimRequired),
    authenticated: caller.transport !== 'insecure-tcp',
    transport: caller.transport,
    address: caller.address ?? peer,
    comment: comment.trim(),
  };
}
