// The agent's executor on Linux: the same contract and results as ProcessExecutor, but each
// process is started by the native/spawn addon with posix_spawn (glibc's CLONE_VFORK), not by
// libuv 1.46, which forks the whole ~55 MB agent for every command (issue 19,
// docs/PERFORMANCE.md §4.3). A thread in the addon waits for the child, keeps the tails of its
// output, kills it at its deadline and reaps it.
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { findNativeAddon, nativeAddonPath } from '../../shared/native-addon.js';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from '../../shared/command-limits.js';
import type { ExecRequest, ExecResult, Executor } from './executor.js';
import { baseEnvironment, notStartedMessage, ProcessExecutor, timeoutMessage } from './process-executor.js';

/** How a child ended, as the addon reports it. */
interface SpawnOutcome {
  exitCode?: number;
  signal?: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
  /** Its pipes were still open 2 s after it exited (a background process holds them); reading stopped. */
  outputCut: boolean;
}

export interface SpawnAddon {
  /** Whether spawn can start a child in another directory (glibc ≥ 2.29); when not, a request with a cwd goes to child_process. */
  readonly chdir: boolean;
  /** The child's pid, or -errno when it could not start (the callback is then never called). */
  spawn(file: string, argv: string[], env: string[], cwd: string | null, timeoutMs: number, maxOutputBytes: number, done: (outcome: SpawnOutcome) => void): number;
}

const ADDON = nativeAddonPath('spawn');
const OUTPUT_CUT = 'lockstep: the output was still open 2 s after the command exited (a background process holds it); the rest is not read\n';
const errnoNames = new Map(Object.entries(osConstants.errno).map(([name, number]) => [number, name]));

export class NativeExecutor implements Executor {
  private readonly baseEnv: Readonly<Record<string, string>>;
  private readonly withCwd: Executor | undefined;

  constructor(
    private readonly addon: SpawnAddon,
    baseEnv: Readonly<Record<string, string>> = {},
  ) {
    this.baseEnv = baseEnvironment(baseEnv);
    this.withCwd = addon.chdir ? undefined : new ProcessExecutor(baseEnv);
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    if (request.cwd !== undefined && this.withCwd !== undefined) return this.withCwd.run(request);
    const [program] = request.argv;
    if (program === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'NativeExecutor: argv is empty');
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const file = request.execPath ?? program;
    const env = Object.entries(request.env === undefined ? this.baseEnv : { ...this.baseEnv, ...request.env }).map(([name, value]) => `${name}=${value}`);
    // A C string ends at the first NUL: refuse what child_process refuses rather than run a shorter command.
    if ([file, ...request.argv, ...env, request.cwd ?? ''].some((text) => text.includes('\0'))) {
      throw new LockstepError('LOCKSTEP_E_INTERNAL', `NativeExecutor: ${program}: an argument, the environment or the cwd holds a NUL byte`);
    }
    const started = performance.now();
    const result = (exitCode: number, outcome: Pick<SpawnOutcome, 'stdout' | 'stderr' | 'timedOut' | 'truncated'>): ExecResult => ({
      argv: [...request.argv],
      exitCode,
      ...outcome,
      durationMs: Math.round(performance.now() - started),
    });
    return new Promise((resolve) => {
      const pid = this.addon.spawn(file, [...request.argv], env, request.cwd ?? null, timeoutMs, request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, (outcome) => {
        const killed = outcome.signal !== undefined;
        const stderr = outcome.stderr + (killed && outcome.timedOut ? timeoutMessage(timeoutMs) : '') + (outcome.outputCut ? OUTPUT_CUT : '');
        resolve(result(killed ? 128 + (outcome.signal ?? 0) : (outcome.exitCode ?? 0), { ...outcome, stderr }));
      });
      if (pid < 0) {
        // Worded as node's spawn error, so that both executors report the same.
        const code = errnoNames.get(-pid) ?? `errno ${-pid}`;
        resolve(result(127, { stdout: '', stderr: notStartedMessage(program, code, `spawn ${file} ${code}`), timedOut: false, truncated: false }));
      }
    });
  }
}

/** The executor for this host: NativeExecutor on Linux when its addon loads, else ProcessExecutor, saying why. */
export function hostExecutor(logger: Logger): Executor {
  const why = process.platform !== 'linux' ? `the native spawner is for Linux (this is ${process.platform})` : loadAddon();
  if (typeof why !== 'string') return new NativeExecutor(why);
  logger.info({ reason: why }, 'commands are started with node child_process (forks the agent for each)');
  return new ProcessExecutor();
}

/** The addon, or why it could not be loaded. */
export function loadAddon(): SpawnAddon | string {
  const file = findNativeAddon('spawn', import.meta.url);
  if (file === undefined) return `${ADDON} is not built (npm run build:native)`;
  try {
    return createRequire(import.meta.url)(file) as SpawnAddon;
  } catch (error) {
    return `${file}: ${(error as Error).message}`;
  }
}
