// A runbook's `rehearsal: FILE` (issue 17), read by the coordinator when it predicts a windowed
// run's segments: bounded, a regular file only, its text never echoed (the runbook names it).
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { describeError, LockstepError } from '../../shared/errors.js';
import type { Runbook } from '../runbook/runbook-schema.js';
import { checkRehearsalFits, parseRehearsalDurations, rehearsedKinds } from '../schedule/rehearsal-durations.js';
import type { RehearsedKind } from '../schedule/step-predictions.js';

/** A durations file is a few kilobytes; this is generous. */
const MAX_BYTES = 1 << 20;

/** The kinds the runbook's rehearsal predicts (none without `rehearsal`); its path already resolved (load-runbook.ts). */
export function readRunbookRehearsal(runbook: Runbook): Map<string, RehearsedKind> {
  if (runbook.rehearsal === undefined || runbook.window === undefined) return new Map();
  const file = runbook.rehearsal;
  const durations = parseRehearsalDurations(readBounded(file), file, 'rehearsal');
  checkRehearsalFits(durations, runbook, file, 'rehearsal');
  return rehearsedKinds(durations);
}

function readBounded(file: string): string {
  let fd: number;
  try {
    // O_NONBLOCK: a FIFO named here must not hang the coordinator before fstat refuses it.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `rehearsal: cannot read ${file}: ${describeError(error)}; write it with "lockstep rehearse RUNBOOK --save-durations ${file}", or remove "rehearsal"`, { field: 'rehearsal', cause: error });
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new LockstepError('LOCKSTEP_E_CONFIG', `rehearsal: ${file} is not a regular file: expected a file "lockstep rehearse --save-durations" wrote`, { field: 'rehearsal' });
    if (stat.size > MAX_BYTES) throw new LockstepError('LOCKSTEP_E_CONFIG', `rehearsal: ${file} is ${stat.size} bytes: expected a durations file of at most ${MAX_BYTES} bytes`, { field: 'rehearsal' });
    const buffer = Buffer.alloc(stat.size);
    let read = 0;
    while (read < buffer.length) {
      const got = readSync(fd, buffer, read, buffer.length - read, read);
      if (got === 0) break;
      read += got;
    }
    return buffer.subarray(0, read).toString('utf8');
  } finally {
    closeSync(fd);
  }
}
