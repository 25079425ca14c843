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
import { PackagePathGuard } from '../../agent/package-path-guard.js';
import { PackageStaging } from '../../agent/package-staging.js';
import { Rebooter } from '../../agent/rebooter.js';
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
  const service = new AgentService({
    journal,
    facts: FACTS,
    packages: new RpmDriver({ executor }),
    services: options.serviceManager === 'systemd' ? new SystemdDriver(serviceOptions) : new SysvDriver(serviceOptions),
    cluster: new ClusterproDriver({ executor }),
    staging: new PackageStaging(new PackagePathGuard(options.packageDirs ?? [options.dir]), options.dir),
    hooks: new HookRunner({ executor, hooksDir: undefined }),
    rebooter: new Rebooter(executor),
    logger: silentLogger(),
    agentVersion: '0.1.0',
  });
  return { service, close: () => journal.close() };
}
