// The coordinator's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts; SPEC §8 decides where plaintext may go.
import { z } from 'zod';
import { loadYamlFile } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { isLoopbackAddress, type TlsPaths } from '../shared/tls.js';

export const DEFAULT_COORDINATOR_LISTEN = '127.0.0.1:7450';
export const DEFAULT_COORDINATOR_HTTP = '127.0.0.1:7452';
export const DEFAULT_COORDINATOR_DB = '/var/lib/lockstep-coordinator/runs.sqlite';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:7450');

export const coordinatorConfigSchema = z
  .object({
    listen: hostPort.optional(),
    http: hostPort.optional(),
    db: z.string().min(1).optional(),
    'tls-ca': z.string().min(1).optional(),
    'tls-cert': z.string().min(1).optional(),
    'tls-key': z.string().min(1).optional(),
    'tls-crl': z.string().min(1).optional(),
    insecure: z.boolean().optional(),
    'log-level': z.enum(LOG_LEVELS).optional(),
  })
  .strict();

export type CoordinatorConfigInput = z.infer<typeof coordinatorConfigSchema>;

export interface CoordinatorConfig {
  /** The gRPC API for the CLI. */
  listen: string;
  /** /healthz now; the dashboard and /metrics later. */
  http: string;
  dbFile: string;
  /** Set: the API serves mTLS and the operator is the client certificate's CN. */
  tls: TlsPaths | undefined;
  /** --tls-crl: refused in the API's handshake and in every dial to an agent, whatever the runbook says. */
  tlsCrl?: string;
  logLevel: string;
}

/** Merges the file (if any) and the flags (which win) into a complete configuration. */
export function resolveCoordinatorConfig(file: string | undefined, flags: CoordinatorConfigInput): CoordinatorConfig {
  const fromFile = file === undefined ? {} : loadYamlFile(file, coordinatorConfigSchema);
  const merged: CoordinatorConfigInput = { ...fromFile, ...checkFlags(coordinatorConfigSchema, flags) };
  const listen = merged.listen ?? DEFAULT_COORDINATOR_LISTEN;
  const tls = tlsPaths(merged);
  if (tls === undefined && !isLoopbackAddress(listen)) {
    throw configError(
      '--listen',
      `${listen} is not a loopback address: the API would let anyone who can reach it approve gates and start runs. ` +
        'Give --tls-ca, --tls-cert and --tls-key (operators then present client certificates), or listen on 127.0.0.1.',
    );
  }
  return {
    listen,
    http: merged.http ?? DEFAULT_COORDINATOR_HTTP,
    dbFile: merged.db ?? DEFAULT_COORDINATOR_DB,
    tls: tls === undefined || merged['tls-crl'] === undefined ? tls : { ...tls, crl: merged['tls-crl'] },
    ...(merged['tls-crl'] !== undefined && { tlsCrl: merged['tls-crl'] }),
    logLevel: merged['log-level'] ?? 'info',
  };
}

function tlsPaths(merged: CoordinatorConfigInput): TlsPaths | undefined {
  const { 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key } = merged;
  const given = [ca, cert, key].filter((value) => value !== undefined).length;
  if (merged.insecure && given > 0) throw configError('--insecure', 'cannot be combined with --tls-ca/--tls-cert/--tls-key');
  if (given === 0) return undefined;
  if (ca === undefined || cert === undefined || key === undefined) throw configError('--tls-ca', 'give all three of --tls-ca, --tls-cert and --tls-key, or none');
  return { ca, cert, key };
}
