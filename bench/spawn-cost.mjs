// What a spawn costs the process that spawns (issue 19, the agent's RunHook): the parent's
// CPU per `/bin/true` started with pipes for stdout and stderr, as ProcessExecutor starts a
// hook, from this process as it is (a bare node, the size a small spawner helper would
// have) and with BENCH_BALLAST_MB of touched memory added (an agent is ~55 MB). libuv 1.46
// (Node 20) forks, so the kernel copies the parent's page tables; the JavaScript side of
// child_process costs the same in any node process.
//   node --jitless bench/spawn-cost.mjs                     # as the agent runs (its unit's NODE_OPTIONS)
//   BENCH_BALLAST_MB=20 node --jitless bench/spawn-cost.mjs
import { spawn } from 'node:child_process';

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 200);
const ballast = Array.from({ length: Number(process.env.BENCH_BALLAST_MB ?? 0) }, () => Buffer.alloc(1 << 20, 1));

const once = () =>
  new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });
    child.once('error', reject);
    child.once('close', resolve);
  });

for (let i = 0; i < 20; i++) await once();
const cpuBefore = process.cpuUsage();
const started = performance.now();
for (let i = 0; i < SPAWNS; i++) await once();
const cpu = process.cpuUsage(cpuBefore);
const perSpawn = (us) => Math.round(us / SPAWNS) / 1000;
console.log(
  JSON.stringify({
    bench: 'spawn-cost',
    node: process.version,
    uv: process.versions.uv,
    execArgv: process.execArgv,
    ballastMB: ballast.length,
    rssMB: Math.round(process.memoryUsage().rss / 2 ** 20),
    spawns: SPAWNS,
    parentCpuMsPerSpawn: { total: perSpawn(cpu.user + cpu.system), user: perSpawn(cpu.user), system: perSpawn(cpu.system) },
    wallMsPerSpawn: Math.round(((performance.now() - started) / SPAWNS) * 100) / 100,
    loadavg: (await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  }),
);
