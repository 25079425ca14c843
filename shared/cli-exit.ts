// Exit codes shared by the three programs (SPEC §7).
import { isLockstepError, describeError } from './errors.js';
import { terminalText } from './terminal-text.js';

export const EXIT = {
  ok: 0,
  runFailed: 1,
  badInput: 2,
  unreachable: 3,
  waitingForOperator: 4,
} as const;

/** The exit code for an error that ended a program: bad input or refused (nothing done) 2, unreachable (or no coordinator leader) 3, else 1. */
export function exitCodeFor(error: unknown): number {
  if (isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE') || isLockstepError(error, 'LOCKSTEP_E_NOT_LEADER')) return EXIT.unreachable;
  if (
    isLockstepError(error, 'LOCKSTEP_E_CONFIG') ||
    isLockstepError(error, 'LOCKSTEP_E_INVALID_ARGUMENT') ||
    isLockstepError(error, 'LOCKSTEP_E_TLS') ||
    isLockstepError(error, 'LOCKSTEP_E_PERMISSION_DENIED') ||
    isLockstepError(error, 'LOCKSTEP_E_PREFLIGHT') ||
    isLockstepError(error, 'LOCKSTEP_E_PLAN_CHANGED') ||
    isLockstepError(error, 'LOCKSTEP_E_AVAILABILITY_PROOF') ||
    isLockstepError(error, 'LOCKSTEP_E_APPROVAL_REFUSED') ||
    isLockstepError(error, 'LOCKSTEP_E_NOT_FOUND')
  ) {
    return EXIT.badInput;
  }
  return EXIT.runFailed;
}

/** Prints the error for a person (no stack unless LOCKSTEP_DEBUG is set) and exits. */
export function failAndExit(program: string, error: unknown): never {
  const detail = process.env.LOCKSTEP_DEBUG && error instanceof Error ? error.stack : describeError(error);
  // A coordinator's error may quote a runbook or a node's answer.
  process.stderr.write(`${program}: ${terminalText(detail ?? '')}\n`);
  process.exit(exitCodeFor(error));
}
