// A lab for engine tests: `lockstep lab up --detach` as a real process, torn down after.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePortBase } from '../../lab/lab-ports.js';
import { builtProgram } from './processes.js';

export { freePortBase };
import { makeTempDir } from './temp-dir.js';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `lockstep` CLI; never throws for a non-zero exit. */
export async function lockstepCli(args: string[], options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [builtProgram('coordinator/cli/main.js'), ...args], {
      timeout: options.timeoutMs ?? 120_000,
      env: { ...process.env, ...options.env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

export interface TestLab {
  dir: string;
  runbook: string;
  down(): Promise<void>;
}

export async function startLab(options: { nodes: number; replicator?: boolean; extraArgs?: string[] }): Promise<TestLab> {
  const temp = makeTempDir('lockstep-lab-');
  const dir = join(temp.dir, 'lab');
  const args = ['lab', 'up', '--dir', dir, '--nodes', String(options.nodes), '--detach', '--port-base', String(await freePortBase(options.nodes))];
  if (options.replicator) args.push('--replicator');
  const up = await lockstepCli([...args, ...(options.extraArgs ?? [])]);
  if (up.code !== 0) throw new Error(`lab up failed (${up.code}): ${up.stderr}${up.stdout}`);
  return {
    dir,
    runbook: join(dir, 'runbook.yaml'),
    down: async () => {
      await lockstepCli(['lab', 'down', '--dir', dir]);
      temp.remove();
    },
  };
}
