// Child processes for the benchmarks: argv arrays (never a shell), each in its own process
// group so that stopping it stops everything it started (ansible's forks, an agent's hooks),
// each with a time limit, and each killed at exit if it is still there.
import { spawn } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import { createServer } from 'node:net';
import { clearTimeout, setTimeout } from 'node:timers';
import { killGroup, onExit } from './teardown.mjs';

const OUTPUT_CAP = 1024 * 1024;

/**
 * Starts `argv` detached (its own process group). `log`: a file for stdout and stderr;
 * otherwise both are captured (the last MiB) and `output()` returns them. `timeoutMs`: the
 * group is killed with SIGKILL after that long.
 */
export function startProcess(argv, { timeoutMs, env = process.env, cwd, log, stdin = 'ignore' } = {}) {
  if (!Number.isFinite(timeoutMs)) throw new Error(`startProcess ${argv[0]}: a timeoutMs is required`);
  const fd = log === undefined ? undefined : openSync(log, 'a');
  const child = spawn(argv[0], argv.slice(1), { detached: true, env, cwd, stdio: [stdin, fd ?? 'pipe', fd ?? 'pipe'] });
  if (fd !== undefined) closeSync(fd);
  let output = '';
  const keep = (chunk) => {
    output += chunk.toString();
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid);
  }, timeoutMs);
  timer.unref();
  const forget = onExit(() => killGroup(child.pid));
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      keep(`${argv[0]}: ${error.message}\n`);
      resolve({ code: 127, signal: null });
    });
  });
  void exited.then(() => {
    // The leader is gone; what it started may not be.
    killGroup(child.pid);
    forget();
  });
  return {
    child,
    pid: child.pid,
    exited,
    output: () => output,
    timedOut: () => timedOut,
    /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the leader has exited. */
    async stop(graceMs = 3_000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      killGroup(child.pid, 'SIGTERM');
      const late = setTimeout(() => killGroup(child.pid), graceMs);
      const result = await exited;
      clearTimeout(late);
      return result;
    },
  };
}

/** Runs `argv` to its end; resolves with exit code, output and wall time (never rejects). */
export async function runProcess(argv, options) {
  const started = performance.now();
  const running = startProcess(argv, options);
  const { code, signal } = await running.exited;
  return { code, signal, output: running.output(), timedOut: running.timedOut(), wallMs: performance.now() - started };
}

/** Runs a helper that prints its result as one JSON line; that result, or an error naming `what` with the output's end. */
export async function runForJson(what, argv, options) {
  const result = await runProcess(argv, options);
  const line = result.output.split('\n').find((candidate) => candidate.startsWith('{'));
  if (result.code !== 0 || line === undefined) throw new Error(`${what} failed (${result.code ?? result.signal}):\n${result.output.slice(-2000)}`);
  return JSON.parse(line);
}

const handedOut = new Set();

/** A loopback port that was free a moment ago, and not handed out before by this process. */
export async function freePort() {
  for (;;) {
    const port = await new Promise((resolve, reject) => {
      const server = createServer();
      server.unref();
      server.on('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: bound } = server.address();
        server.close(() => resolve(bound));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** Polls `probe` until it returns something other than undefined; throws after `timeoutMs`, or at once when `probe` throws an error marked `fatal`. */
export async function waitFor(what, probe, timeoutMs, intervalMs = 50) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      if (error?.fatal) throw error;
      lastError = error;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${lastError.message ?? lastError})` : ''}`);
}

/** An error that ends a `waitFor` at once (the thing waited for can no longer happen). */
export function fatal(message) {
  return Object.assign(new Error(message), { fatal: true });
}
