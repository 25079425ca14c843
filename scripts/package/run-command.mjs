// Runs one packaging tool to completion, its output passed through, and fails the build with
// the command line when it fails (a packaging step that half-worked must not ship).
import { spawnSync } from 'node:child_process';

/** Runs argv (no shell) in `cwd`; `env` is added to this process's environment. */
export function runCommand(argv, { cwd, env } = {}) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.error) throw new Error(`${argv.join(' ')}: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status ?? result.signal} (in ${cwd ?? process.cwd()})`);
}

/** Like runCommand, but returns what the command printed on stdout. */
export function commandOutput(argv, { cwd } = {}) {
  const result = spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (result.error) throw new Error(`${argv.join(' ')}: ${result.error.message}`, { cause: result.error });
  if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status ?? result.signal}`);
  return result.stdout;
}
