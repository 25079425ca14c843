// RunHook runs an executable from the agent's hooks directory only: the site's own steps
// (kernel update, application checks). The name is a plain file name, never a path.
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { OperationResult } from '../shared/domain/operation.js';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import { requireName, requireText } from '../shared/names.js';
import { operationResult } from './drivers/command-outcome.js';
import type { Executor } from './exec/executor.js';

export const MAX_HOOK_ARGS = 64;

export interface HookRunnerOptions {
  executor: Executor;
  /**
   * Undefined: hooks are not configured and every RunHook is refused. Its real path is read
   * at the first RunHook and kept: re-pointing a symlinked hooks directory needs a restart.
   */
  hooksDir: string | undefined;
  timeoutMs?: number;
}

export class HookRunner {
  private realHooksDir: string | undefined;

  constructor(private readonly options: HookRunnerOptions) {}

  /** Checks the request; throws INVALID_ARGUMENT / NOT_FOUND before anything runs. */
  async resolve(name: string, args: readonly string[]): Promise<string> {
    requireName('name', name);
    if (args.length > MAX_HOOK_ARGS) throw invalidArgument('args', `has ${args.length} entries; at most ${MAX_HOOK_ARGS} are allowed`);
    args.forEach((arg, index) => requireText(`args[${index}]`, arg, 1024));
    const dir = this.options.hooksDir;
    if (dir === undefined) throw invalidArgument('name', 'no hooks directory is configured on this agent (--hooks-dir)');
    const realDir = (this.realHooksDir ??= await realpath(dir));
    let file: string;
    try {
      file = await realpath(join(realDir, name));
    } catch {
      throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `name: no hook "${name}" in ${dir}`, { field: 'name' });
    }
    if (dirname(file) !== realDir) throw invalidArgument('name', `hook "${name}" resolves outside the hooks directory`);
    if (!(await stat(file)).isFile()) throw invalidArgument('name', `hook "${name}" is not a regular file`);
    try {
      await access(file, constants.X_OK);
    } catch {
      throw invalidArgument('name', `hook "${name}" is not executable`);
    }
    return file;
  }

  async run(file: string, args: readonly string[]): Promise<OperationResult> {
    return operationResult(await this.options.executor.run({ argv: [file, ...args], timeoutMs: this.options.timeoutMs ?? 30 * 60_000 }));
  }
}
