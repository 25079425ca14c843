// An AgentService built in this process, without gRPC: the real service, journal (SQLite in a
// temp dir), path guard and drivers, over an Executor the test gives. The same constructors
// as agent/agent-server.ts, so what it refuses and runs is what a real agent refuses and runs.
import { join } from 'node:path';
import { AgentService } from '../../agent/agent-service.js';
import { ClusterproDriver } from '../../agent/drivers/cluster/clusterpro-driver.js';
import { RpmDriver } from '../../agent/drivers/package/rpm-driver.js';
import { SystemdDriver } from '../../agent/drivers/service/systemd-driver.js';
import { SysvDriver } from '../../agent/drivers/service/sysv-driver.js';
import type { Executor } from '../../agent/exec/executor.js';
import { HookRunner } from '../../agent/hook-runner.js';
import type { NodeFacts } from '../../agent/node-facts.js';
import { OpJournal } from '../../agent/op-journal.js';
import { PackageFileReader } from '../../agent/package-file-reader.js';
import { PackagePathGuard } from '../../agent/package-path-guard.js';
import { PackageStaging } from '../../agent/package-staging.js';
import { Rebooter } from '../../agent/rebooter.js';
import { nodeDrivers } from '../../agent/node-drivers.js';
import { detectPlatform } from '../../agent/platform.js';
import { CLUSTERPRO_SERVICES } from '../../shared/domain/clusterpro.js';
import { silentLogger } from '../../shared/logger.js';

export interface InProcessAgentOptions {
  executor: Executor;
  /** Holds the journal; also the package directory unless `packageDirs` says otherwise. */
  dir: string;
  packageDirs?: string[];
  serviceManager?: 'sysv' | 'systemd';
}

export interface InProcessAgent {
  service: AgentService;
  close(): void;
}

const FACTS: NodeFacts = {
  hostname: async () => 'server1',
  machine: async () => 'x86_64',
  kernelRelease: async () => '2.6.18-92.el5',
  bootId: async () => 'boot-server1-0',
  uptimeSeconds: async () => 60,
  os: () => 'linux',
};

export function inProcessAgent(options: InProcessAgentOptions): InProcessAgent {
  const { executor } = options;
  const journal = new OpJournal(join(options.dir, 'journal.sqlite'), 'boot-server1-0');
  const serviceOptions = { executor, allowList: CLUSTERPRO_SERVICES };
  const guard = new PackagePathGuard(options.packageDirs ?? [options.dir]);
  const service = new AgentService({
    journal,
    facts: FACTS,
    packages: new RpmDriver({ executor }),
    services: options.serviceManager === 'systemd' ? new SystemdDriver(serviceOptions) : new SysvDriver(serviceOptions),
    cluster: new ClusterproDriver({ executor }),
    staging: new PackageStaging(guard, options.dir),
    packageFiles: new PackageFileReader(guard),
    hooks: new HookRunner({ executor, hooksDir: undefined }),
    rebooter: new Rebooter(executor),
    logger: silentLogger(),
    agentVersion: '0.1.0',
  });
  return { service, close: () => journal.close() };
}

export interface SolarisAgentOptions {
  /** Answers `uname -s` (SunOS), `uname -r` and `cat /etc/cluster/release` as well as the tools. */
  executor: Executor;
  dir: string;
  packageDirs?: string[];
  /** The node's name (hostname); phys-schost-1 by default. */
  node?: string;
  /** The boot id the node reports now (it changes when a test's executor "reboots" it). */
  bootId?: () => string;
}

/**
 * An AgentService on a Solaris node, composed as agent-server.ts composes one: the platform
 * detected through the executor, then the SVR4 and Solaris Cluster drivers of its release.
 */
export async function inProcessSolarisAgent(options: SolarisAgentOptions): Promise<InProcessAgent> {
  const { executor } = options;
  const node = options.node ?? 'phys-schost-1';
  const bootId = options.bootId ?? (() => `boot-${node}-0`);
  const facts: NodeFacts = { ...FACTS, hostname: async () => node, bootId: async () => bootId(), os: () => 'solaris' };
  const platform = await detectPlatform(executor, facts, silentLogger());
  const drivers = await nodeDrivers(platform, { executor, stateDir: options.dir });
  const journal = new OpJournal(join(options.dir, 'journal.sqlite'), bootId());
  const guard = new PackagePathGuard(options.packageDirs ?? [options.dir], drivers.packageFormat);
  const service = new AgentService({
    journal,
    facts,
    packages: drivers.packages,
    services: new SysvDriver({ executor, allowList: new Set() }),
    cluster: drivers.cluster,
    staging: new PackageStaging(guard, options.dir),
    packageFiles: new PackageFileReader(guard),
    hooks: new HookRunner({ executor, hooksDir: undefined }),
    rebooter: new Rebooter(executor),
    logger: silentLogger(),
    agentVersion: '0.1.0',
    platform,
    rebootDelayMs: 0,
  });
  return { service, close: () => journal.close() };
}
