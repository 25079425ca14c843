// RunHook runs an executable from the agent's hooks directory only: the site's own steps
// (kernel update, application checks). The name is a plain file name, never a path. A hook runs
// as root, so, as cron and sudo demand of their files, the directory, every directory above it
// and the hook are root's alone; the hook is opened once without following a symlink, checked
// on that descriptor, and executed through it (docs/security.md §3).
import type { Stats } from 'node:fs';
import { closeSync, constants, fstatSync, lstatSync, openSync } from 'node:fs';
import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import type { OperationResult } from '../shared/domain/operation.js';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import { MAX_HOOK_ARG_LENGTH, MAX_HOOK_ARGS, requireName, requireText } from '../shared/names.js';
import { operationResult } from './drivers/command-outcome.js';
import type { Executor } from './exec/executor.js';
import { assertTrustedDirectory, assertTrustedEntry } from './trusted-path.js';

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY;

export interface HookRunnerOptions {
  executor: Executor;
  /**
   * Undefined: hooks are not configured and every RunHook is refused. Its real path is read
   * at the first RunHook and kept: re-pointing a symlinked hooks directory needs a restart.
   */
  hooksDir: string | undefined;
  timeoutMs?: number;
}

/** A hook opened and checked; `close` once it has run. */
export interface OpenHook {
  /** Its path in the hooks directory: argv[0], and what the journal shows. */
  file: string;
  /** The descriptor it was checked on, executed through /proc. */
  fd: number;
  close(): Promise<void>;
}

export class HookRunner {
  private realHooksDir: string | undefined;

  constructor(private readonly options: HookRunnerOptions) {}

  /** Checks the request and opens the hook; throws INVALID_ARGUMENT / NOT_FOUND / UNTRUSTED_PATH before anything runs. */
  async open(name: string, args: readonly string[]): Promise<OpenHook> {
    requireName('name', name);
    if (args.length > MAX_HOOK_ARGS) throw invalidArgument('args', `has ${args.length} entries; at most ${MAX_HOOK_ARGS} are allowed`);
    args.forEach((arg, index) => requireText(`args[${index}]`, arg, MAX_HOOK_ARG_LENGTH));
    const dir = this.options.hooksDir;
    if (dir === undefined) throw invalidArgument('name', 'no hooks directory is configured on this agent (--hooks-dir)');
    const realDir = (this.realHooksDir ??= await realpath(dir));
    await assertTrustedDirectory('--hooks-dir', realDir);
    const file = join(realDir, name);
    // Synchronous: a few calls on a local directory cost the agent less than as many thread-pool
    // round trips, a quarter of the CPU of a RunHook otherwise (issue 19, docs/PERFORMANCE.md §4.3).
    let checked: Stats;
    try {
      checked = lstatSync(file);
    } catch {
      throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `name: no hook "${name}" in ${dir}`, { field: 'name' });
    }
    if (checked.isSymbolicLink()) throw invalidArgument('name', `hook "${name}" is a symbolic link; a hook must be a file in the hooks directory itself`);
    if (!checked.isFile()) throw invalidArgument('name', `hook "${name}" is not a regular file`);
    const fd = openSync(file, OPEN_FLAGS);
    try {
      checkOpened(name, file, checked, fstatSync(fd));
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return { file, fd, close: async () => closeSync(fd) };
  }

  /** Executes the descriptor `open` checked (through /proc), not the path, which may name another file by now. */
  async run(hook: OpenHook, args: readonly string[]): Promise<OperationResult> {
    const execPath = `/proc/${process.pid}/fd/${hook.fd}`;
    // A script's $0 is then that /proc path; LOCKSTEP_HOOK says where the hook lives.
    const env = { LOCKSTEP_HOOK: hook.file };
    return operationResult(await this.options.executor.run({ argv: [hook.file, ...args], execPath, env, timeoutMs: this.options.timeoutMs ?? 30 * 60_000 }));
  }
}

function checkOpened(name: string, file: string, checked: Stats, opened: Stats): void {
  if (opened.dev !== checked.dev || opened.ino !== checked.ino || !opened.isFile()) throw invalidArgument('name', `hook "${name}" was replaced while it was being opened`);
  assertTrustedEntry('name', file, opened);
  if ((opened.mode & 0o111) === 0) throw invalidArgument('name', `hook "${name}" is not executable`);
}
