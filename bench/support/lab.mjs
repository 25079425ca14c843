// `lockstep lab up --detach` for the benchmarks that need a lab (latencies.mjs, ha-etcd.mjs).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runProcess } from './bounded-process.mjs';
import { CLI_MAIN, DIST } from './dist-modules.mjs';
import { onExit } from './teardown.mjs';

const { freePortBase } = await import(`${DIST}lab/lab-ports.js`);

/** A lab of `nodes` in `dir` on a free port range; `down()` stops it (also at exit, whatever happens). */
export async function labUp(dir, nodes) {
  const down = onExit(() => {
    try {
      execFileSync(process.execPath, [CLI_MAIN, 'lab', 'down', '--dir', dir], { stdio: 'ignore', timeout: 30_000 });
    } catch {
      // Nothing running.
    }
  });
  // Consecutive free ports below the ephemeral range; lab up exits 2 when one was taken meanwhile: try again.
  for (let attempt = 0; ; attempt++) {
    const portBase = await freePortBase(nodes);
    const up = await runProcess([process.execPath, CLI_MAIN, 'lab', 'up', '--dir', dir, '--nodes', String(nodes), '--detach', '--port-base', String(portBase)], { timeoutMs: 180_000 });
    if (up.code === 0) break;
    if (up.code !== 2 || attempt === 4) throw new Error(`lockstep lab up failed (${up.code}):\n${up.output}`);
  }
  return { dir, runbook: parse(readFileSync(join(dir, 'runbook.yaml'), 'utf8')), down };
}
