// LAB/runbook.yaml (SPEC §6.1, §9): a rolling update of this lab, as an operator would write
// it, with the coordinator's certificates relative to the runbook's directory (SPEC §8).
import { Document } from 'yaml';

export interface LabRunbookInput {
  cluster: string;
  nodes: ReadonlyArray<{ name: string; address: string }>;
  /** Absolute path of the update's rpm, the same on every node. */
  packagePath: string;
  order: readonly string[];
  replicator: boolean;
}

export function renderLabRunbook(input: LabRunbookInput): string {
  const doc = new Document({
    cluster: input.cluster,
    nodes: input.nodes.map((node) => ({ name: node.name, address: node.address })),
    procedure: 'clusterpro/rolling-update',
    bundle: 'CPRO-XL050-06',
    params: { package: input.packagePath, order: [...input.order] },
    tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
    // SPEC §5.2: with Replicator the manual recommends the full-stop update; the lab's
    // runbook acknowledges the double resync so that the rolling update runs as written.
    ...(input.replicator && { acknowledge: ['replicator-double-resync'] }),
  });
  doc.commentBefore = ' Written by `lockstep lab up`: a rolling update of this lab (CPRO-XL050-06 3.1.3).';
  return doc.toString();
}
