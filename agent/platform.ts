// Which node the agent runs on, and so which drivers it composes (SPEC §5.3): a Solaris node
// gets the SVR4 package driver and the Solaris Cluster driver (3.1 `scrgadm`/`scswitch`, or
// the 3.2+ `cl*` commands, by the release line of /etc/cluster/release); any other node rpm
// and CLUSTERPRO. Read through the Executor so that a simulated node answers the same argv.
import type { Logger } from '../shared/logger.js';
import type { SolarisClusterRelease } from './drivers/cluster/solaris/solaris-cluster-driver.js';
import type { Executor } from './exec/executor.js';
import type { NodeFacts } from './node-facts.js';
import { LockstepError } from '../shared/errors.js';

export const CLUSTER_RELEASE_FILE = '/etc/cluster/release';

const PROBE = { timeoutMs: 10_000, maxOutputBytes: 4096 } as const;

export type Platform =
  | { os: 'linux' }
  | {
      os: 'solaris';
      /** `uname -r`: 5.10, 5.11. */
      kernelRelease: string;
      clusterRelease: SolarisClusterRelease;
      /** The first line of /etc/cluster/release, as printed; empty when it could not be read. */
      releaseLine: string;
    };

/**
 * A node whose facts say Solaris is asked `uname -s` (it must say SunOS), `uname -r`, and
 * `cat /etc/cluster/release`. A Linux node runs nothing here: its drivers are the default.
 */
export async function detectPlatform(executor: Executor, facts: NodeFacts, logger: Logger): Promise<Platform> {
  if (facts.os() !== 'solaris') return { os: 'linux' };
  const system = await executor.run({ argv: ['uname', '-s'], ...PROBE });
  if (system.exitCode !== 0 || system.stdout.trim() !== 'SunOS') {
    throw new LockstepError(
      'LOCKSTEP_E_CONFIG',
      `this node looks like Solaris, but \`uname -s\` printed ${JSON.stringify(system.stdout.trim())} (exit ${system.exitCode}), not SunOS: the agent cannot tell which drivers to use`,
    );
  }
  const release = await executor.run({ argv: ['uname', '-r'], ...PROBE });
  const kernelRelease = release.exitCode === 0 ? release.stdout.trim() : '';
  const file = await executor.run({ argv: ['cat', CLUSTER_RELEASE_FILE], ...PROBE });
  const releaseLine = file.exitCode === 0 ? (file.stdout.split('\n').find((line) => line.trim() !== '')?.trim() ?? '') : '';
  const clusterRelease = clusterReleaseOf(releaseLine);
  if (clusterRelease === undefined) {
    logger.warn({ file: CLUSTER_RELEASE_FILE, line: releaseLine, exit: file.exitCode }, 'cluster release unreadable: the Solaris Cluster 3.2+ commands (cl*) are assumed');
  }
  return { os: 'solaris', kernelRelease, clusterRelease: clusterRelease ?? '3.2', releaseLine };
}

/** `Sun Cluster 3.1u4 for Solaris 9 sparc` → 3.1; `Sun Cluster 3.2u3 …`, `Oracle Solaris Cluster 4.3 …` → 3.2 (the cl* commands). */
export function clusterReleaseOf(line: string): SolarisClusterRelease | undefined {
  const match = /\bCluster\s+(\d+)\.(\d+)/i.exec(line);
  if (match === null) return undefined;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major < 3 || (major === 3 && minor <= 1) ? '3.1' : '3.2';
}
