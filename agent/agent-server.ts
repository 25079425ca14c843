// The agent's composition root below main: builds the journal, drivers and service from a
// configuration and serves them over gRPC. Tests start agents through this same function.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { LockstepError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { preparePrivateDir, warnIfKeyExposed } from '../shared/private-dir.js';
import { scheduleRetention } from '../shared/retention.js';
import { pb } from '../shared/wire/agent-wire.js';
import { assertInsecureAllowed, loadTlsMaterial, requirePeerRole, serverCredentials } from '../shared/tls.js';
import type { AgentConfig } from './agent-config.js';
import { AgentService } from './agent-service.js';
import type { ServiceDriver } from './drivers/driver.js';
import { SystemdDriver } from './drivers/service/systemd-driver.js';
import { SysvDriver } from './drivers/service/sysv-driver.js';
import type { Executor } from './exec/executor.js';
import { hostExecutor } from './exec/native-executor.js';
import { createAgentGrpcService } from './grpc/agent-grpc-service.js';
import { ConnectionGate, type ConnectionLimits, type RefusalReason } from './grpc/connection-gate.js';
import { HealthImplementation } from './grpc/health-implementation.js';
import { HookRunner } from './hook-runner.js';
import { nodeDrivers } from './node-drivers.js';
import { HostFacts, type NodeFacts } from './node-facts.js';
import { OpJournal } from './op-journal.js';
import { PackageFileReader } from './package-file-reader.js';
import { PackagePathGuard } from './package-path-guard.js';
import { PackageStaging } from './package-staging.js';
import { detectPlatform } from './platform.js';
import { Rebooter } from './rebooter.js';
import { LOCKSTEP_VERSION } from '../shared/package-version.js';

export const AGENT_VERSION = LOCKSTEP_VERSION;

/** Inputs only a test or the simulated node replaces; a real node uses the defaults. */
export interface AgentEnvironment {
  executor?: Executor;
  facts?: NodeFacts;
  /** Limits on connections still in their TLS handshake; DEFAULT_CONNECTION_LIMITS otherwise. */
  connectionLimits?: ConnectionLimits;
}

export interface RunningAgent {
  /** HOST:PORT actually bound (the port is the real one when 0 was asked for). */
  address: string;
  port: number;
  journal: OpJournal;
  /** Connections refused before authentication, by reason, since start. */
  refusedConnections: Readonly<Record<RefusalReason, number>>;
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, logger: Logger, environment: AgentEnvironment = {}): Promise<RunningAgent> {
  assertInsecureAllowed(config.listen, { insecure: config.tls === undefined, insecureAllowRemote: config.insecureAllowRemote });
  if (config.tls === undefined) logger.warn({ listen: config.listen }, 'INSECURE: serving without TLS; any local process can drive this agent');
  const credentials = config.tls === undefined ? grpc.ServerCredentials.createInsecure() : serverCredentials(await loadTlsMaterial(config.tls));

  const executor = environment.executor ?? hostExecutor(logger);
  const facts = environment.facts ?? new HostFacts();
  if (config.tls !== undefined) warnIfKeyExposed(config.tls.key, logger);
  // The journal says what already ran: nobody but us may write its directory.
  preparePrivateDir(config.stateDir, { field: '--state-dir', followSymlink: true, repair: (message) => logger.warn(message) });
  const bootId = await facts.bootId();
  const platform = await detectPlatform(executor, facts, logger);
  const drivers = await nodeDrivers(platform, { executor, stateDir: config.stateDir, ...(config.rpmDbPath !== undefined && { rpmDbPath: config.rpmDbPath }) });
  if (platform.os === 'solaris') logger.info({ kernel: platform.kernelRelease, cluster: platform.releaseLine, release: platform.clusterRelease }, 'Solaris node: svr4 and solaris-cluster drivers');
  const pathGuard = new PackagePathGuard(config.packageDirs, drivers.packageFormat);
  await pathGuard.verifyDirectories();
  const staging = new PackageStaging(pathGuard, config.stateDir);
  await staging.prepare();
  const journal = new OpJournal(join(config.stateDir, 'journal.sqlite'), bootId);
  const recovery = journal.recoverAfterStart();
  if (recovery.interrupted.length + recovery.rebootsCompleted.length > 0) logger.warn({ ...recovery, bootId }, 'journal recovered after restart');
  const stopRetention = scheduleRetention(config.retainMs, (cutoffMs) => journal.deleteFinishedBefore(cutoffMs), logger);

  const service = new AgentService({
    journal,
    facts,
    packages: drivers.packages,
    services: serviceDriver(config, executor),
    cluster: drivers.cluster,
    staging,
    packageFiles: new PackageFileReader(pathGuard),
    hooks: new HookRunner({ executor, hooksDir: config.hooksDir }),
    rebooter: new Rebooter(executor),
    logger,
    agentVersion: AGENT_VERSION,
    platform,
  });

  const server = new grpc.Server({
    'grpc.max_receive_message_length': 1024 * 1024,
    // channelz (grpc's introspection service, not served here) would keep statistics of every call.
    'grpc.enable_channelz': 0,
    // SPEC §8: only the coordinator role may call; the handshake already proved the CA.
    ...(config.tls !== undefined && { interceptors: [requirePeerRole('coordinator')] }),
  });
  server.addService(pb.AgentService, createAgentGrpcService(service, { logger }));
  const health = new HealthImplementation({ '': true, 'lockstep.agent.v1.Agent': true });
  health.addToServer(server);
  const host = config.listen.slice(0, config.listen.lastIndexOf(':'));
  const gate = new ConnectionGate({ server, credentials, logger, ...(environment.connectionLimits !== undefined && { limits: environment.connectionLimits }) });
  const port = await listen(gate, config.listen, host);
  logger.info({ listen: `${host}:${port}`, tls: config.tls !== undefined, bootId }, 'agent listening');

  return {
    address: `${host}:${port}`,
    port,
    journal,
    refusedConnections: gate.refused,
    stop: async () => {
      stopRetention();
      health.shutdown();
      await gate.close();
      await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      journal.close();
    },
  };
}

function serviceDriver(config: AgentConfig, executor: Executor): ServiceDriver {
  const manager = config.serviceManager === 'auto' ? (existsSync('/run/systemd/system') ? 'systemd' : 'sysv') : config.serviceManager;
  const options = { executor, allowList: config.services };
  return manager === 'systemd' ? new SystemdDriver(options) : new SysvDriver(options);
}

async function listen(gate: ConnectionGate, address: string, host: string): Promise<number> {
  try {
    return await gate.listen(host, Number(address.slice(address.lastIndexOf(':') + 1)));
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--listen: cannot listen on ${address}: ${(error as Error).message}`, { field: '--listen', cause: error });
  }
}
