import { spawn } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import { LockstepError } from '../../shared/errors.js';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from '../../shared/command-limits.js';
import type { ExecRequest, ExecResult, Executor } from './executor.js';

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** What every command gets (PATH, LC_ALL, LANG), with the executor's own additions. */
export function baseEnvironment(baseEnv: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  return { PATH: BASE_PATH, LC_ALL: 'C', LANG: 'C', ...baseEnv };
}

/** What stderr gets when a command could not start (its exit code is then 127). */
export function notStartedMessage(program: string, code: string | undefined, message: string): string {
  return `${program}: ${code === 'ENOENT' ? 'command not found' : message}\n`;
}

/** What stderr gets when a command was killed at its deadline. */
export function timeoutMessage(timeoutMs: number): string {
  return `killed after the ${timeoutMs} ms timeout\n`;
}

/** Keeps the last `limit` bytes of a stream and says whether anything was dropped. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = false;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limit && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.limit;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
      this.dropped = true;
    }
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Runs real processes: argv arrays only (no shell), a timeout and an output cap on each. */
export class ProcessExecutor implements Executor {
  private readonly baseEnv: Readonly<Record<string, string>>;

  constructor(baseEnv: Readonly<Record<string, string>> = {}) {
    this.baseEnv = baseEnvironment(baseEnv);
  }

  run(request: ExecRequest): Promise<ExecResult> {
    const [program, ...args] = request.argv;
    if (program === undefined) return Promise.reject(new LockstepError('LOCKSTEP_E_INTERNAL', 'ProcessExecutor: argv is empty'));
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const limit = request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
    const started = performance.now();
    const stdout = new TailBuffer(limit);
    const stderr = new TailBuffer(limit);
    const env = request.env === undefined ? this.baseEnv : { ...this.baseEnv, ...request.env };

    return new Promise((resolve) => {
      let timedOut = false;
      let settled = false;
      const child = spawn(request.execPath ?? program, args, { argv0: program, shell: false, env, cwd: request.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
      const finish = (exitCode: number, extraError = ''): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({
          argv: [...request.argv],
          exitCode,
          stdout: stdout.text(),
          stderr: stderr.text() + extraError,
          timedOut,
          truncated: stdout.dropped || stderr.dropped,
          durationMs: Math.round(performance.now() - started),
        });
      };
      child.on('error', (error: NodeJS.ErrnoException) => {
        finish(127, notStartedMessage(program, error.code, error.message));
      });
      child.on('close', (code, signal) => {
        if (code !== null) return finish(code);
        const signalNumber = signal ? (osConstants.signals[signal] ?? 9) : 9;
        finish(128 + signalNumber, timedOut ? timeoutMessage(timeoutMs) : '');
      });
    });
  }
}
