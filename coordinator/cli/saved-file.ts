// A file one command writes for another to read (plan --save-facts, rehearse --save-durations):
// written whole or not at all, so a reader never finds it half there. A failure names the flag.
import { rename, rm, writeFile } from 'node:fs/promises';
import { describeError, LockstepError } from '../../shared/errors.js';

export async function saveWhole(flag: string, path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    await writeFile(temporary, text, { flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: cannot write ${path}: ${describeError(error)}`, { field: flag, cause: error });
  }
}
