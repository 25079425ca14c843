// The coordinator's composition root below main: builds the run service from a configuration,
// serves it over gRPC for the CLI and over HTTP. Tests start coordinators through this same
// function with their own RunService.
import { dirname } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { invalidArgument, LockstepError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { preparePrivateDir, warnIfKeyExposed } from '../shared/private-dir.js';
import { loadTlsMaterial, peerIdentity, serverCredentials } from '../shared/tls.js';
import { pb } from '../shared/wire/coordinator-wire.js';
import type { CoordinatorConfig } from './coordinator-config.js';
import type { RunService } from './engine/run-types.js';
import { createCoordinatorGrpcService } from './grpc/coordinator-grpc-service.js';
import { startHttpServer } from './http/http-server.js';
import { LOCKSTEP_VERSION } from '../shared/package-version.js';

export const COORDINATOR_VERSION = LOCKSTEP_VERSION;

/** How long a stop waits for open calls (watch streams never end by themselves) before cutting them. */
const SHUTDOWN_GRACE_MS = 2_000;

export type ClosableRunService = RunService & { close(): Promise<void> };

export interface CoordinatorParts {
  /** The engine in production (coordinator/engine/engine.ts), a fake in tests. */
  createRunService(options: { dbFile: string; logger: Logger; retainMs?: number }): Promise<ClosableRunService>;
}

export interface RunningCoordinator {
  /** HOST:PORT of the gRPC API actually bound (the real port when 0 was asked for). */
  address: string;
  port: number;
  httpAddress: string;
  httpPort: number;
  stop(): Promise<void>;
}

export async function startCoordinator(config: CoordinatorConfig, logger: Logger, parts: CoordinatorParts): Promise<RunningCoordinator> {
  const credentials = config.tls === undefined ? grpc.ServerCredentials.createInsecure() : serverCredentials(await loadTlsMaterial(config.tls));
  if (config.tls !== undefined) warnIfKeyExposed(config.tls.key, logger);
  // The journal decides what runs on every node: nobody but us may write its directory.
  preparePrivateDir(dirname(config.dbFile), { field: '--db', followSymlink: true, repair: (message) => logger.warn(message) });
  const service = await parts.createRunService({ dbFile: config.dbFile, logger, ...(config.retainMs !== undefined && { retainMs: config.retainMs }) });

  const server = new grpc.Server({ 'grpc.max_receive_message_length': 4 * 1024 * 1024 });
  server.addService(pb.CoordinatorService, createCoordinatorGrpcService(service, { logger, operatorOf: operatorPolicy(config.tls !== undefined) }));
  const port = await bind(server, config.listen, credentials).catch(async (error: unknown) => {
    await service.close();
    throw error;
  });
  const http = await startHttpServer(config.http, logger).catch(async (error: unknown) => {
    server.forceShutdown();
    await service.close();
    throw error;
  });
  const address = `${config.listen.slice(0, config.listen.lastIndexOf(':'))}:${port}`;
  logger.info({ listen: address, http: http.address, tls: config.tls !== undefined, db: config.dbFile }, 'coordinator listening');

  return {
    address,
    port,
    httpAddress: http.address,
    httpPort: http.port,
    stop: async () => {
      await Promise.all([shutdown(server), http.close()]);
      await service.close();
    },
  };
}

/**
 * SPEC §8: under TLS the operator is the client certificate's CN, whatever the request claims;
 * on plaintext loopback the CLI's claimed name ($USER) is all there is.
 */
function operatorPolicy(tls: boolean): (call: grpc.ServerUnaryCall<unknown, unknown>, claimed: string) => string {
  return (call, claimed) => {
    const name = tls ? (peerIdentity(call)?.commonName ?? '') : claimed.trim();
    if (name === '') throw invalidArgument('operator', tls ? 'the client certificate names no CN' : 'is required: who is asking (the CLI sends $USER)');
    return name;
  };
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
