// The coordinator's composition root below main: builds the run service from a configuration,
// serves it over gRPC for the CLI and over HTTP. Tests start coordinators through this same
// function with their own RunService.
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { LockstepError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { preparePrivateDir, warnIfKeyExposed } from '../shared/private-dir.js';
import { isLoopbackAddress, loadTlsMaterial, serverCredentials } from '../shared/tls.js';
import { pb } from '../shared/wire/coordinator-wire.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { RunService } from './engine/run-types.js';
import { authorizeCalls } from './grpc/authorize-calls.js';
import { actingOperator, callerResolver } from './grpc/caller.js';
import { createCoordinatorGrpcService } from './grpc/coordinator-grpc-service.js';
import type { EngineObserver } from './engine/engine-observer.js';
import { dashboardRoutes } from './http/dashboard-routes.js';
import { healthRoute } from './http/health-route.js';
import { startHttpServer } from './http/http-server.js';
import { createCoordinatorMetrics } from './http/metrics.js';
import { metricsRoute } from './http/metrics-route.js';
import { serveLocalSocket, type LocalSocket } from './local-api/local-socket.js';
import { LOCKSTEP_VERSION } from '../shared/package-version.js';

export const COORDINATOR_VERSION = LOCKSTEP_VERSION;

/** How long a stop waits for open calls (watch streams never end by themselves) before cutting them. */
const SHUTDOWN_GRACE_MS = 2_000;

export type ClosableRunService = RunService & {
  close(): Promise<void>;
  /** An HA coordinator's role and leader (docs/ha.md), for /healthz. */
  roleNow?(): { role: 'leader' | 'follower'; leader: string };
};

export interface CoordinatorParts {
  /** The engine in production (coordinator/engine/engine.ts), a fake in tests. */
  createRunService(options: { dbFile: string; logger: Logger; credentialsDirs: readonly string[]; fourEyes: boolean; agentCrl?: string; retainMs?: number; observer: EngineObserver }): Promise<ClosableRunService>;
}

export interface RunningCoordinator {
  /** HOST:PORT of the TCP API actually bound (the real port when 0 was asked for), else `unix:SOCKET`. */
  address: string;
  /** The TCP port, 0 without --listen. */
  port: number;
  socketPath: string | undefined;
  httpAddress: string;
  httpPort: number;
  stop(): Promise<void>;
}

export async function startCoordinator(config: CoordinatorConfig, logger: Logger, parts: CoordinatorParts): Promise<RunningCoordinator> {
  const tlsMaterial = config.tls === undefined ? undefined : await loadTlsMaterial(config.tls);
  const credentials = tlsMaterial === undefined ? grpc.ServerCredentials.createInsecure() : serverCredentials(tlsMaterial);
  if (config.tls !== undefined) warnIfKeyExposed(config.tls.key, logger);
  // The journal decides what runs on every node: nobody but us may write its directory (with --etcd it is in etcd).
  if (config.etcd === undefined) preparePrivateDir(dirname(config.dbFile), { field: '--db', followSymlink: true, repair: (message) => logger.warn(message) });
  const metrics = createCoordinatorMetrics();
  const service = await parts.createRunService({
    observer: metrics,
    dbFile: config.dbFile,
    logger,
    credentialsDirs: config.credentialsDirs,
    fourEyes: config.fourEyes,
    ...(config.tlsCrl !== undefined && { agentCrl: config.tlsCrl }),
    ...(config.retainMs !== undefined && { retainMs: config.retainMs }),
  });

  let socket: LocalSocket | undefined;
  const callerOf = callerResolver({
    socketCaller: (peer) => socket?.callerOf(peer),
    tcp: config.listen === undefined ? 'none' : config.tls === undefined ? 'insecure' : 'tls',
  });
  const server = new grpc.Server({
    'grpc.max_receive_message_length': 4 * 1024 * 1024,
    interceptors: [authorizeCalls({ callerOf, audit: (entry) => service.recordAudit(entry), logger })],
  });
  server.addService(
    pb.CoordinatorService,
    createCoordinatorGrpcService(service, {
      logger,
      operatorOf: (call, claim) => actingOperator(requireCaller(callerOf(call)), call.getPeer(), claim.operator, claim.comment, claim.required),
    }),
  );
  const closeAll = async (): Promise<void> => {
    server.forceShutdown();
    await socket?.close();
    await service.close();
  };
  let port = 0;
  try {
    if (config.listen !== undefined) port = await bind(server, config.listen, credentials);
    if (config.socket !== undefined) socket = await serveLocalSocket(server, { ...config.socket, logger });
  } catch (error) {
    await closeAll();
    throw error;
  }
  // An HA coordinator's /healthz names its role and the leader (docs/ha.md).
  const roleNow = service.roleNow?.bind(service);
  const http = await startHttpServer(config.http, logger, {
    routes: [...(roleNow === undefined ? [] : [healthRoute(roleNow)]), metricsRoute(metrics.registry, logger), dashboardRoutes(service, logger)],
    // coordinator-config.ts allows a non-loopback --http only with the API's TLS files.
    ...(tlsMaterial !== undefined && !isLoopbackAddress(config.http) && { tls: tlsMaterial }),
  }).catch(async (error: unknown) => {
    await closeAll();
    throw error;
  });
  const tcpAddress = config.listen === undefined ? undefined : `${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${port}`;
  if (tcpAddress !== undefined && config.tls === undefined) {
    logger.warn({ listen: tcpAddress }, 'INSECURE: the API on --listen has no TLS; anyone on this host can do everything through it, under any name (--insecure, for labs and tests only)');
  }
  logger.info(
    { socket: socket?.path, listen: tcpAddress, http: http.address, tls: config.tls !== undefined, ...(config.etcd ? { etcd: config.etcd.endpoints, prefix: config.etcd.prefix } : { db: config.dbFile }), credentialsDirs: config.credentialsDirs },
    'coordinator listening',
  );

  return {
    address: tcpAddress ?? `unix:${socket?.path ?? ''}`,
    port,
    socketPath: socket?.path,
    httpAddress: http.address,
    httpPort: http.port,
    stop: async () => {
      await Promise.all([shutdown(server), http.close(), socket?.close()]);
      await service.close();
    },
  };
}

// The access check has already refused a call without a caller; this is its invariant.
function requireCaller<T>(caller: T | undefined): T {
  if (caller === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'a call reached its handler without an identified caller');
  return caller;
}

function bind(server: grpc.Server, listen: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(listen, credentials, (error, port) => {
      if (error) reject(new LockstepError('LOCKSTEP_E_CONFIG', `--listen: cannot listen on ${listen}: ${error.message}`, { field: '--listen', cause: error }));
      else resolve(port);
    });
  });
}

function shutdown(server: grpc.Server): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}
