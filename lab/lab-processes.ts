// The lab's processes as pid files name them: LAB/supervisor.pid and LAB/nodes/NAME/agent.pid.
// A pid file can outlive its process and the pid be reused, so before signalling we check,
// where /proc allows, that the process's command line is still the one we started.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function supervisorPidFile(root: string): string {
  return join(root, 'supervisor.pid');
}

export function agentPidFile(nodeDir: string): string {
  return join(nodeDir, 'agent.pid');
}

export function writePidFile(path: string, pid: number): void {
  writeFileSync(path, `${pid}\n`);
}

export function removePidFile(path: string): void {
  rmSync(path, { force: true });
}

/**
 * The pid in `path` when that process is alive and its command line contains every one of
 * `argvWords`; undefined otherwise (no file, dead, or a stranger reusing the pid).
 */
export function livePid(path: string, argvWords: readonly string[]): number | undefined {
  const pid = readPid(path);
  if (pid === undefined || !isAlive(pid)) return undefined;
  const argv = commandLine(pid);
  // Without /proc (not Linux) the pid file is all we have.
  if (argv === undefined) return pid;
  return argvWords.every((word) => argv.includes(word)) ? pid : undefined;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

// A detached process that exited stays a zombie until its parent reaps it, and in a
// container PID 1 may never do so: it has exited all the same.
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Sends a signal, ignoring a process that has already gone. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Resolves true once `pid` has exited, false after `timeoutMs`. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it is gone. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  signal(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  signal(pid, 'SIGKILL');
  await waitForExit(pid, graceMs);
}

function readPid(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}
