// Every external command the agent runs goes through an Executor: the real one spawns a
// process (no shell), the simulated node (lab/node) answers the same argv from its state.

export interface ExecRequest {
  /** argv[0] is the program (absolute path or a name looked up on PATH); never a shell line. */
  argv: readonly string[];
  /**
   * The file to execute when it is not argv[0]: `/proc/PID/fd/N` of a descriptor the caller
   * opened and checked (hook-runner), so that what runs is what was checked. argv[0] is still
   * what the program is told and what the record shows.
   */
  execPath?: string;
  /** Killed with SIGKILL after this long (DEFAULT_TIMEOUT_MS, shared/command-limits.ts, when absent). */
  timeoutMs?: number;
  /** stdout and stderr are each cut to this many bytes, the tail kept (DEFAULT_MAX_OUTPUT_BYTES when absent). */
  maxOutputBytes?: number;
  /** Added to a minimal environment (PATH, LC_ALL=C). */
  env?: Readonly<Record<string, string>>;
  cwd?: string;
}

export interface ExecResult {
  argv: string[];
  /** The exit code; 128 + signal number when killed; 127 when the program could not start. */
  exitCode: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Output beyond maxOutputBytes was dropped. */
  truncated: boolean;
  durationMs: number;
}

export interface Executor {
  run(request: ExecRequest): Promise<ExecResult>;
}

/** How much of a command's output is kept in the journal and sent to the coordinator. */
export const OUTPUT_TAIL_BYTES = 4096;
