// One registry of stable error codes. A code never changes meaning; the gRPC adapters map
// each to a status code, and docs/errors.md documents every one (a test keeps them in step).

export const ERROR_CODES = {
  LOCKSTEP_E_INVALID_ARGUMENT: {
    status: 'INVALID_ARGUMENT',
    summary: 'A request or input field is missing, malformed or not allowed; nothing was run.',
  },
  LOCKSTEP_E_STALE_EPOCH: {
    status: 'FAILED_PRECONDITION',
    summary: 'The request carries an older run epoch than the agent has seen: a newer coordinator owns the run.',
  },
  LOCKSTEP_E_UNSUPPORTED: {
    status: 'FAILED_PRECONDITION',
    summary: "The node's driver does not support the requested operation.",
  },
  LOCKSTEP_E_OP_CONFLICT: {
    status: 'FAILED_PRECONDITION',
    summary: 'An operation id was reused for a different request.',
  },
  LOCKSTEP_E_PREFLIGHT: {
    status: 'FAILED_PRECONDITION',
    summary: "The vendor's manual forbids this update on these nodes (version, platform, package or options); nothing was started.",
  },
  LOCKSTEP_E_UNTRUSTED_PATH: {
    status: 'FAILED_PRECONDITION',
    summary: 'A directory or file the agent installs or runs from (package directory, hooks) can be changed by a user other than root; nothing was run.',
  },
  LOCKSTEP_E_DIGEST_MISMATCH: {
    status: 'FAILED_PRECONDITION',
    summary: "The package file's sha256 differs from the one the plan recorded: it changed after the plan; nothing was run.",
  },
  LOCKSTEP_E_AVAILABILITY_VETO: {
    status: 'FAILED_PRECONDITION',
    summary: 'The cluster action or reboot would leave a failover group with no online server, or a mirror with no up-to-date copy online; nothing was run.',
  },
  LOCKSTEP_E_AVAILABILITY_PROOF: {
    status: 'FAILED_PRECONDITION',
    summary: 'A stage of the plan can leave a failover group with no server to run on, or a mirror with no up-to-date copy online, and the plan does not declare the downtime; nothing was started.',
  },
  LOCKSTEP_E_PLAN_CHANGED: {
    status: 'FAILED_PRECONDITION',
    summary: 'apply --plan HASH: the plan compiled now, after a new preflight, differs from the one lockstep plan showed; nothing was started.',
  },
  LOCKSTEP_E_APPROVAL_REFUSED: {
    status: 'FAILED_PRECONDITION',
    summary: "The approval is for another plan than the run's, or its gate is not awaiting approval (and not marked pre-approve); nothing was approved.",
  },
  LOCKSTEP_E_NOT_FOUND: {
    status: 'NOT_FOUND',
    summary: 'The named thing (file, hook, run) does not exist.',
  },
  LOCKSTEP_E_COMMAND: {
    status: 'INTERNAL',
    summary: 'An external command could not be started or its output could not be understood.',
  },
  LOCKSTEP_E_PARSE: {
    status: 'INTERNAL',
    summary: "A tool's output did not have the expected layout.",
  },
  LOCKSTEP_E_CONFIG: {
    status: 'INVALID_ARGUMENT',
    summary: 'The configuration file or command-line flags are invalid.',
  },
  LOCKSTEP_E_TLS: {
    status: 'UNAUTHENTICATED',
    summary: 'Certificates are missing, unreadable, or do not fit together.',
  },
  LOCKSTEP_E_NOT_LEADER: {
    status: 'FAILED_PRECONDITION',
    summary: 'This coordinator is a follower; mutating calls go to the leader it names.',
  },
  LOCKSTEP_E_PERMISSION_DENIED: {
    status: 'PERMISSION_DENIED',
    summary: "The caller lacks the role the call needs, or a four-eyes policy forbids it; nothing was done.",
  },
  LOCKSTEP_E_UNAVAILABLE: {
    status: 'UNAVAILABLE',
    summary: 'A peer (agent or coordinator) could not be reached.',
  },
  LOCKSTEP_E_INTERNAL: {
    status: 'INTERNAL',
    summary: 'A bug: an invariant of lockstep itself did not hold.',
  },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;
export type GrpcStatusName = (typeof ERROR_CODES)[ErrorCode]['status'];

export interface LockstepErrorOptions {
  /** The input field the error is about, e.g. `path` or `op.op_id`. */
  field?: string;
  cause?: unknown;
}

export class LockstepError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, options: LockstepErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LockstepError';
    this.code = code;
    this.field = options.field;
  }

  get status(): GrpcStatusName {
    return ERROR_CODES[this.code].status;
  }
}

/**
 * A follower's refusal of a mutating call (issue 15): nothing was done, so the caller may send
 * the same call to `leader`, the leader's advertised gRPC address (HOST:PORT), or, while no
 * leader is elected (`undefined`), ask again later.
 */
export class NotLeaderError extends LockstepError {
  readonly leader: string | undefined;

  constructor(leader: string | undefined, options: Omit<LockstepErrorOptions, 'field'> = {}) {
    super(
      'LOCKSTEP_E_NOT_LEADER',
      leader === undefined
        ? 'this coordinator is a follower and no leader is elected yet (etcd election in progress or etcd has no quorum)'
        : `this coordinator is a follower; the leader is ${leader}`,
      options,
    );
    this.name = 'NotLeaderError';
    this.leader = leader;
  }
}

/** A bad input: names the field and says what was expected. */
export function invalidArgument(field: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${field}: ${message}`, { field });
}

export function isLockstepError(error: unknown, code?: ErrorCode): error is LockstepError {
  return error instanceof LockstepError && (code === undefined || error.code === code);
}

/**
 * The message of any thrown value and of its causes, for logs and operator-facing text. A
 * cause the text already quotes is not repeated, nor a gRPC error's status line around the
 * details that its translation (shared/wire/grpc-errors.ts) carries.
 */
export function describeError(error: unknown): string {
  let text = error instanceof Error ? error.message : String(error);
  const seen = new Set<unknown>([error]);
  for (let cause = causeOf(error); cause !== undefined && !seen.has(cause); cause = causeOf(cause)) {
    seen.add(cause);
    const own = causeText(cause);
    if (own !== '' && !text.includes(own)) text = `${text}: ${own}`;
  }
  return text;
}

function causeOf(error: unknown): unknown {
  return error instanceof Error ? error.cause : undefined;
}

function causeText(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const details = (cause as { details?: unknown }).details;
  return typeof details === 'string' ? details : cause.message;
}
