// Clean-up that runs however a benchmark ends: normally, on an exception, on Ctrl-C or on its
// own time limit. Everything registered here is synchronous (kill a process group, remove a
// directory), so it also runs from process.on('exit'), where nothing asynchronous can.
import { rmSync } from 'node:fs';

const actions = new Map();
let nextId = 0;

/** Registers `action` to run at exit; the returned function runs it now (once) instead. */
export function onExit(action) {
  const id = nextId++;
  actions.set(id, action);
  return () => {
    if (!actions.delete(id)) return;
    action();
  };
}

function runAll() {
  for (const [id, action] of [...actions.entries()].reverse()) {
    actions.delete(id);
    try {
      action();
    } catch {
      // Best effort: one failed clean-up must not keep the others from running.
    }
  }
}

/** Removes `dir` at exit (or earlier through the returned function). */
export function removeAtExit(dir) {
  return onExit(() => rmSync(dir, { recursive: true, force: true }));
}

/** Sends `signal` to a whole process group (a detached child and everything it started). */
export function killGroup(pid, signal = 'SIGKILL') {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The benchmark ends (exit code 3) if it is still running after `ms`: it never hangs. */
export function limitRunTime(ms, name) {
  setTimeout(() => {
    console.error(`${name}: still running after ${Math.round(ms / 1000)} s: stopping (every process and temp dir is cleaned up)`);
    process.exit(3);
  }, ms).unref();
}

process.on('exit', runAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    console.error(`stopped by ${signal}`);
    process.exit(130);
  });
}
process.on('uncaughtException', (error) => {
  console.error(error);
  process.exit(1);
});
process.on('unhandledRejection', (error) => {
  console.error(error);
  process.exit(1);
});
