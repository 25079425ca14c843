// Real, tiny clusterpro .rpm files for tests, built the way the lab builds them
// (lab/lab-rpms.ts): an empty payload with the product's name, version, release,
// architecture and Summary.
import { buildRealRpms, initRpmDb } from '../../lab/lab-rpms.js';

export { initRpmDb };

export interface RpmSpec {
  version: string;
  release: string;
  /** rpm's architecture: x86_64, i686, ia64, ppc64, i386… */
  arch: string;
  /** The product's own words, e.g. `CLUSTERPRO X 2.1 for Linux(x86_64)`. */
  summary: string;
}

/** Builds one .rpm per spec into `dir`; returns their paths keyed by rpm's label (`clusterpro-2.1.3-1.x86_64`). */
export async function buildClusterproRpms(dir: string, specs: readonly RpmSpec[]): Promise<Record<string, string>> {
  const labelled = specs.map((spec) => ({ ...spec, label: `clusterpro-${spec.version}-${spec.release}.${spec.arch}` }));
  const paths = await buildRealRpms(dir, labelled.map((spec) => ({ ...spec, fileName: `${spec.label}.rpm` })));
  return Object.fromEntries(labelled.map((spec, index) => [spec.label, paths[index] as string]));
}
