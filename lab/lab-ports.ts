// A taken port would make that node's agent fail to start, over and over, until `lab up`
// timed out; asking first turns it into a bad-input error naming the flag.
import { createServer } from 'node:net';
import { LockstepError } from '../shared/errors.js';
import type { LabNode } from './lab-create.js';

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

function bindProblem(port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
  });
}
