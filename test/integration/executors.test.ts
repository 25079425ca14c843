// The two real executors side by side: NativeExecutor (native/spawn, posix_spawn) must give
// what ProcessExecutor (node child_process) gives, for every part of the Executor contract.
import { chmodSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Executor } from '../../agent/exec/executor.js';
import { hostExecutor, loadAddon, NativeExecutor } from '../../agent/exec/native-executor.js';
import { ProcessExecutor } from '../../agent/exec/process-executor.js';
import { silentLogger } from '../../shared/logger.js';
import { makeTempDir } from '../support/temp-dir.js';

const addon = loadAddon();
if (typeof addon === 'string') {
  if (process.env.CI === 'true') throw new Error(`CI=true and the spawn addon does not load: ${addon}`);
  console.warn(`SKIPPING NativeExecutor: ${addon}`);
}
const executors: [string, () => Executor][] = [['ProcessExecutor', () => new ProcessExecutor()]];
if (typeof addon !== 'string') executors.push(['NativeExecutor', () => new NativeExecutor(addon)]);

const temp = makeTempDir();
beforeAll(() => {
  // A tool found only on the PATH the command is given, not on the test's own.
  writeFileSync(join(temp.dir, 'only-here'), '#!/bin/sh\necho "found $1"\n');
  chmodSync(join(temp.dir, 'only-here'), 0o755);
  writeFileSync(join(temp.dir, 'no-shebang'), 'echo "no #! line"\n');
  chmodSync(join(temp.dir, 'no-shebang'), 0o755);
});
afterAll(() => temp.remove());

describe.each(executors)('%s', (_name, make) => {
  const executor = make();

  it('returns the exit code, stdout and stderr', async () => {
    const result = await executor.run({ argv: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'] });
    expect(result).toMatchObject({ argv: ['/bin/sh', '-c', 'echo out; echo err >&2; exit 3'], exitCode: 3, stdout: 'out\n', stderr: 'err\n', timedOut: false, truncated: false });
  });

  it('kills the command with SIGKILL at its timeout and says so', async () => {
    const result = await executor.run({ argv: ['sleep', '30'], timeoutMs: 200 });
    expect(result).toMatchObject({ exitCode: 137, timedOut: true, stderr: 'killed after the 200 ms timeout\n' });
    expect(result.durationMs).toBeLessThan(5_000);
  });

  it('keeps the tail of each stream within the cap', async () => {
    const result = await executor.run({ argv: ['seq', '1', '100000'], maxOutputBytes: 20 });
    expect(result.stdout).toBe('\n99998\n99999\n100000\n');
    expect(result.truncated).toBe(true);
    const small = await executor.run({ argv: ['seq', '1', '3'], maxOutputBytes: 6 });
    expect(small).toMatchObject({ stdout: '1\n2\n3\n', truncated: false });
    expect(await executor.run({ argv: ['seq', '1', '3'], maxOutputBytes: 0 })).toMatchObject({ stdout: '', truncated: true });
    const big = await executor.run({ argv: ['seq', '1', '400000'] });
    expect(big.stdout.length).toBe(1024 * 1024);
    expect(big.stdout.endsWith('\n399999\n400000\n')).toBe(true);
    expect(big.truncated).toBe(true);
    // Both streams, each its own cap.
    const both = await executor.run({ argv: ['/bin/sh', '-c', 'seq 1 50000; seq 1 50000 >&2'], maxOutputBytes: 6 });
    expect(both).toMatchObject({ stdout: '50000\n', stderr: '50000\n', truncated: true });
  });

  it('looks a name up on the PATH of the environment it gives the command, and passes that environment', async () => {
    const result = await executor.run({ argv: ['only-here', 'x'], env: { PATH: `/nonexistent:${temp.dir}` } });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'found x\n' });
    const env = await executor.run({ argv: ['env'], env: { EXTRA: 'yes' } });
    expect(env.stdout.split('\n').filter(Boolean).sort()).toEqual(['EXTRA=yes', 'LANG=C', 'LC_ALL=C', 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']);
  });

  it('runs a file without #! through /bin/sh, as execvp does', async () => {
    expect(await executor.run({ argv: [join(temp.dir, 'no-shebang')] })).toMatchObject({ exitCode: 0, stdout: 'no #! line\n' });
  });

  it('answers 127 and "command not found" for a program that is not there, on the PATH or by path', async () => {
    expect(await executor.run({ argv: ['lockstep-no-such-tool', 'a'] })).toMatchObject({ exitCode: 127, stdout: '', stderr: 'lockstep-no-such-tool: command not found\n' });
    expect(await executor.run({ argv: ['/nonexistent/tool'] })).toMatchObject({ exitCode: 127, stderr: '/nonexistent/tool: command not found\n' });
  });

  it('names the error when the program exists but cannot be executed', async () => {
    const result = await executor.run({ argv: [temp.dir] });
    expect(result).toMatchObject({ exitCode: 127, stderr: `${temp.dir}: spawn ${temp.dir} EACCES\n` });
  });

  it('runs in the cwd asked for', async () => {
    expect(await executor.run({ argv: ['pwd'], cwd: temp.dir })).toMatchObject({ exitCode: 0, stdout: `${temp.dir}\n` });
  });

  it('executes execPath (a /proc/PID/fd/N) while telling the program argv[0]', async () => {
    const handle = await open('/bin/sh', 'r');
    try {
      const result = await executor.run({ argv: ['my-hook', '-c', 'tr "\\0" " " < /proc/$$/cmdline', 'arg'], execPath: `/proc/${process.pid}/fd/${handle.fd}` });
      expect(result).toMatchObject({ exitCode: 0, stdout: 'my-hook -c tr "\\0" " " < /proc/$$/cmdline arg ', argv: ['my-hook', '-c', 'tr "\\0" " " < /proc/$$/cmdline', 'arg'] });
    } finally {
      await handle.close();
    }
  });

  it('starts the command with every signal at its default and none blocked (node ignores SIGPIPE)', async () => {
    const result = await executor.run({ argv: ['grep', '-E', '^Sig(Ign|Blk)', '/proc/self/status'] });
    expect(result.stdout).toBe('SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n');
  });

  it('runs many commands at once, each with its own output', async () => {
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => executor.run({ argv: ['/bin/sh', '-c', 'sleep 0.0$1; echo $1; echo e$1 >&2; exit $(($1 % 7))', 'sh', String(i)] })));
    results.forEach((result, i) => expect(result).toMatchObject({ exitCode: i % 7, stdout: `${i}\n`, stderr: `e${i}\n` }));
  });
});

describe.skipIf(typeof addon === 'string')('NativeExecutor only', () => {
  it('is what the agent uses on Linux once the addon is built', () => {
    expect(hostExecutor(silentLogger())).toBeInstanceOf(process.platform === 'linux' ? NativeExecutor : ProcessExecutor);
  });

  it('stops reading 2 s after the command exited when a background process keeps its stdout open', async () => {
    const executor = new NativeExecutor(addon as Exclude<typeof addon, string>);
    const result = await executor.run({ argv: ['/bin/sh', '-c', 'sleep 20 & echo started'] });
    expect(result).toMatchObject({ exitCode: 0, stdout: 'started\n', timedOut: false });
    expect(result.stderr).toMatch(/still open 2 s after the command exited/);
    expect(result.durationMs).toBeGreaterThanOrEqual(1_900);
    expect(result.durationMs).toBeLessThan(10_000);
  });

  it('starts a child in another directory itself where glibc can (≥ 2.29), else hands that request to child_process', async () => {
    const real = addon as Exclude<typeof addon, string>;
    expect(real.chdir).toBe(true); // Debian 12: glibc 2.36
    const without = new NativeExecutor({
      chdir: false,
      spawn: () => {
        throw new Error('a request with a cwd reached the addon');
      },
    });
    expect(await without.run({ argv: ['pwd'], cwd: temp.dir })).toMatchObject({ exitCode: 0, stdout: `${temp.dir}\n` });
  });

  it('watches one command after another from the same waiter thread: no thread started for the second', async () => {
    const executor = new NativeExecutor(addon as Exclude<typeof addon, string>);
    const { readdirSync } = await import('node:fs');
    const tasksWhile = async (): Promise<Set<string>> => {
      const running = executor.run({ argv: ['sleep', '0.3'] });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const tasks = new Set(readdirSync('/proc/self/task'));
      expect((await running).exitCode).toBe(0);
      return tasks;
    };
    const first = await tasksWhile();
    const second = await tasksWhile();
    // A thread per child would show the second child's waiter as a task the first did not have.
    expect([...second].filter((task) => !first.has(task))).toEqual([]);
  });

  it('keeps node alive while a command is pending, and not once none is', async () => {
    const { spawnSync } = await import('node:child_process');
    const file = new URL('../../native/spawn/build/Release/spawn.node', import.meta.url).pathname;
    // Nothing else holds the event loop: node prints the exit code only if the pending child kept it alive, and exits only if the addon then let go.
    const script = `require(${JSON.stringify(file)}).spawn('sleep', ['sleep', '0.3'], ['PATH=/bin:/usr/bin'], null, 10000, 1000, (r) => console.log(r.exitCode))`;
    const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(child.signal, 'node did not exit').toBeNull();
    expect(child.stdout, child.stderr).toBe('0\n');
  });
});
