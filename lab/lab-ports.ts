// A taken port would make that node's agent fail to start, over and over, until `lab up`
// timed out; asking first turns it into a bad-input error naming the flag.
//
// A port found free can still be taken before the agent binds it. The kernel hands out the
// local ports of outgoing connections from its ephemeral range (ip_local_port_range, 32768–60999
// on Linux): a base chosen inside it lost a port to another process's connection in CI
// (EADDRINUSE, the agent restarting in a loop). freePortBase therefore chooses below that range,
// where only a listener that asks for the port by number can take it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { LockstepError } from '../shared/errors.js';
import { labNodes, type LabNode } from './lab-create.js';

export async function assertPortsFree(nodes: readonly LabNode[]): Promise<void> {
  for (const node of nodes) {
    const port = Number(node.address.slice(node.address.lastIndexOf(':') + 1));
    const problem = await bindProblem(port);
    if (problem !== undefined) {
      throw new LockstepError('LOCKSTEP_E_CONFIG', `--port-base: ${node.name} would listen on ${node.address}, which is not free (${problem}); choose another --port-base`, {
        field: '--port-base',
      });
    }
  }
}

/** Lowest port handed out to outgoing connections (Linux: /proc/sys/net/ipv4/ip_local_port_range; 32768 where unreadable). */
export function ephemeralPortFloor(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): number {
  try {
    const low = Number(readFileSync(rangeFile, 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST_BASE = 10_000;

/**
 * A base for `count` consecutive lab ports, all free now and all below the ephemeral range
 * (see the header), chosen at random so that labs started side by side rarely meet.
 */
export async function freePortBase(count: number, names?: readonly string[]): Promise<number> {
  const ceiling = Math.max(LOWEST_BASE + count + 1, ephemeralPortFloor()) - count;
  for (let attempt = 0; ; attempt++) {
    const base = LOWEST_BASE + Math.floor(Math.random() * (ceiling - LOWEST_BASE));
    try {
      await assertPortsFree(labNodes(count, base, names));
      return base;
    } catch (error) {
      if (attempt >= 50) throw error;
    }
  }
}

function bindProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
