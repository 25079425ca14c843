// What a spawn costs the process that spawns (issue 19, the agent's RunHook): the parent's
// CPU per `/bin/true` started with pipes for stdout and stderr, from this process as it is (a
// bare node) and with BENCH_BALLAST_MB of touched memory added (an agent is ~55 MB). Three
// ways, interleaved: node's child_process.spawn as ProcessExecutor calls it (libuv 1.46 forks,
// so the kernel copies the parent's page tables), the agent's ProcessExecutor, and its
// NativeExecutor (native/spawn: posix_spawn with CLONE_VFORK, a thread per child).
//   node --jitless bench/spawn-cost.mjs                     # as the agent runs (its unit's NODE_OPTIONS)
//   BENCH_BALLAST_MB=20 node --jitless bench/spawn-cost.mjs
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { distModule } from './support/dist-modules.mjs';

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ballast = Array.from({ length: Number(process.env.BENCH_BALLAST_MB ?? 0) }, () => Buffer.alloc(1 << 20, 1));
const { ProcessExecutor } = await distModule('agent/exec/process-executor.js');
const { NativeExecutor, loadAddon } = await distModule('agent/exec/native-executor.js');
const addon = loadAddon();
if (typeof addon === 'string') throw new Error(`the spawn addon does not load: ${addon}`);

const childProcess = () =>
  new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    child.once('error', reject);
    child.once('close', resolve);
  });
const viaExecutor = (executor) => async () => {
  const result = await executor.run({ argv: ['/bin/true'], timeoutMs: 10_000 });
  if (result.exitCode !== 0) throw new Error(`/bin/true exited ${result.exitCode}: ${result.stderr}`);
};
const ways = { childProcess, processExecutor: viaExecutor(new ProcessExecutor()), nativeExecutor: viaExecutor(new NativeExecutor(addon)) };

async function measure(once) {
  for (let i = 0; i < 20; i++) await once();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < SPAWNS; i++) await once();
  const cpu = process.cpuUsage(cpuBefore);
  const perSpawn = (us) => Math.round(us / SPAWNS) / 1000;
  return { total: perSpawn(cpu.user + cpu.system), user: perSpawn(cpu.user), system: perSpawn(cpu.system), wallMs: Math.round(((performance.now() - started) / SPAWNS) * 100) / 100 };
}

console.log(JSON.stringify({ bench: 'spawn-cost', node: process.version, uv: process.versions.uv, execArgv: process.execArgv, ballastMB: ballast.length, spawns: SPAWNS }));
for (let round = 1; round <= ROUNDS; round++) {
  for (const [way, once] of Object.entries(ways)) {
    const parentCpuMsPerSpawn = await measure(once);
    const loadavg = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(JSON.stringify({ round, way, rssMB: Math.round(process.memoryUsage().rss / 2 ** 20), parentCpuMsPerSpawn, loadavg }));
  }
}
