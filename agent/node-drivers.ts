// The package and cluster drivers of this node, by its platform (platform.ts): rpm and
// CLUSTERPRO on Linux; on Solaris the SVR4 driver (pkgadd with the agent's own admin file,
// written in the state directory) and the Solaris Cluster driver of the node's release.
// agent-server.ts and the tests' in-process agents compose a node the same way through here.
import { ClusterproDriver } from './drivers/cluster/clusterpro-driver.js';
import { SolarisClusterDriver } from './drivers/cluster/solaris/solaris-cluster-driver.js';
import type { ClusterDriver, PackageDriver } from './drivers/driver.js';
import { RpmDriver } from './drivers/package/rpm-driver.js';
import { Svr4Driver, writeAdminFile } from './drivers/package/svr4-driver.js';
import type { Executor } from './exec/executor.js';
import type { PackageFormat } from './package-path-guard.js';
import type { Platform } from './platform.js';

export interface NodeDrivers {
  packages: PackageDriver;
  cluster: ClusterDriver;
  /** What the package path guard accepts: rpm files, or SVR4 directories and datastreams. */
  packageFormat: PackageFormat;
}

export interface NodeDriverOptions {
  executor: Executor;
  /** The agent's private state directory (the admin file goes there). */
  stateDir: string;
  rpmDbPath?: string;
}

export async function nodeDrivers(platform: Platform, options: NodeDriverOptions): Promise<NodeDrivers> {
  const { executor } = options;
  if (platform.os === 'solaris') {
    return {
      packages: new Svr4Driver({ executor, adminFile: await writeAdminFile(options.stateDir) }),
      cluster: new SolarisClusterDriver({ executor, release: platform.clusterRelease }),
      packageFormat: 'svr4',
    };
  }
  return {
    packages: new RpmDriver({ executor, ...(options.rpmDbPath !== undefined && { dbPath: options.rpmDbPath }) }),
    cluster: new ClusterproDriver({ executor }),
    packageFormat: 'rpm',
  };
}
