// What a finished command means to a driver. Every driver answers a mutating request the same
// way (ok = exit code 0, the command journaled, the reason in words on failure) and treats a
// query it could not complete the same way; one place keeps them in step.
import type { OperationResult } from '../../shared/domain/operation.js';
import { LockstepError } from '../../shared/errors.js';
import { describeExit, toCommandRecord } from '../exec/command-record.js';
import type { ExecRequest, ExecResult, Executor } from '../exec/executor.js';

/** The result of a one-command operation: ok when it exited 0. */
export function operationResult(result: ExecResult): OperationResult {
  const ok = result.exitCode === 0;
  return { ok, commands: [toCommandRecord(result)], message: ok ? '' : describeExit(result) };
}

/** A query whose output the driver needs did not succeed. */
export function commandFailed(result: ExecResult): LockstepError {
  return new LockstepError('LOCKSTEP_E_COMMAND', describeExit(result));
}

/** stdout of a command whose output is needed; a failed command throws LOCKSTEP_E_COMMAND. */
export async function queryOutput(executor: Executor, request: ExecRequest): Promise<string> {
  const result = await executor.run(request);
  if (result.exitCode !== 0) throw commandFailed(result);
  return result.stdout;
}

/**
 * Runs a command whose exit code is the answer (0 = yes), such as `chkconfig NAME` or
 * `systemctl is-active NAME`. A timeout answers nothing, so it throws instead of saying no.
 */
export async function exitsZero(executor: Executor, request: ExecRequest): Promise<boolean> {
  const result = await executor.run(request);
  if (result.timedOut) throw commandFailed(result);
  return result.exitCode === 0;
}
