// The operator trail (SPEC §7 `lockstep audit`): who did what to which run, from where, and why.
// Journaled by the coordinator with the action itself; read by the CLI, the dashboard and log shippers.

export const OPERATOR_ACTIONS = ['submit', 'approve', 'pause', 'resume', 'retry', 'cancel', 'rollback'] as const;
export type OperatorActionKind = (typeof OPERATOR_ACTIONS)[number];

/** Who acts, as the transport proved it, and why. */
export interface ActingOperator {
  /** The certificate's name (TLS), the kernel-named local user (socket), or "NAME (unauthenticated)" (--insecure TCP). */
  operator: string;
  authenticated: boolean;
  /** socket, tls or insecure-tcp. */
  transport: string;
  /** host:port, or the socket with the caller's pid. */
  address: string;
  comment: string;
}

export interface OperatorAction extends ActingOperator {
  seq: number;
  atMs: number;
  runId: string;
  action: OperatorActionKind;
  /** What was acted on: the plan hash, the gate, the node, the new run. */
  detail: string;
}

export interface AuditQuery {
  /** Empty: every run. */
  runId: string;
  /** 0: from the beginning. */
  sinceMs: number;
  /** 0: the coordinator's default. */
  limit: number;
}
