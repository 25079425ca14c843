// Certificates for a benchmark's nodes: one CA, the coordinator's certificate and one per
// agent naming its node (the coordinator checks that name, so agents cannot share one).
// Signed once per benchmark run, in a few concurrent batches.
import { join } from 'node:path';
import { distModule } from './dist-modules.mjs';

const { initCertificates, addAgentCertificates } = await distModule('shared/pki/certs-init.js');

const BATCHES = 4;

export async function makeBenchPki(dir, names) {
  const started = performance.now();
  const size = Math.ceil(names.length / BATCHES);
  const batches = Array.from({ length: BATCHES }, (_, index) => names.slice(index * size, (index + 1) * size)).filter((batch) => batch.length > 0);
  await initCertificates({ dir, coordinator: 'coordinator', agents: batches[0] });
  await Promise.all(batches.slice(1).map((batch) => addAgentCertificates(dir, batch)));
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    coordinator: { ca: join(dir, 'ca.pem'), cert: join(dir, 'coordinator.pem'), key: join(dir, 'coordinator.key') },
    agent: (name) => ({ cert: join(dir, 'agents', `${name}.pem`), key: join(dir, 'agents', `${name}.key`) }),
    signMs: performance.now() - started,
  };
}

/** node1 … nodeN (zero-padded past 9 so they sort), the names the agents' certificates carry. */
export function nodeNames(count) {
  const width = String(count).length;
  return Array.from({ length: count }, (_, index) => `node${String(index + 1).padStart(width, '0')}`);
}
