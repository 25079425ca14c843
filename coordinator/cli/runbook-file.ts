// The runbook a command names: its text and its absolute path, which the coordinator needs to
// resolve the relative paths inside it (SPEC §8).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { describeError, LockstepError } from '../../shared/errors.js';

export interface RunbookFile {
  yaml: string;
  path: string;
}

export async function readRunbookFile(file: string): Promise<RunbookFile> {
  const path = resolve(file);
  try {
    return { yaml: await readFile(path, 'utf8'), path };
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${file}: cannot be read: ${describeError(error)}`, { field: 'RUNBOOK', cause: error });
  }
}
