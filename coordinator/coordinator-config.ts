// The coordinator's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts; SPEC §8 decides where plaintext may go.
import { z } from 'zod';
import { loadYamlFile } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { parseDuration } from '../shared/duration.js';
import { DEFAULT_RETAIN } from '../shared/retention.js';
import { isLoopbackAddress, type TlsPaths } from '../shared/tls.js';

export const DEFAULT_COORDINATOR_LISTEN = '127.0.0.1:7450';
export const DEFAULT_COORDINATOR_HTTP = '127.0.0.1:7452';
export const DEFAULT_COORDINATOR_DB = '/var/lib/lockstep-coordinator/runs.sqlite';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:7450');
const file = z.string().min(1);
const duration = z.string().refine((value) => (parseDuration(value) ?? 0) > 0, 'expected a duration such as 90d, 12h or 1d12h');

/** One setting: its check, and how it reads as a flag (`--KEY`). */
export interface CoordinatorSetting {
  schema: z.ZodType;
  help: string;
  /** The value's name in --help; a setting without one is a yes/no flag. */
  arg?: string;
  choices?: readonly string[];
}

/** Every setting once: the config file's key, the flag's name, its check and its help (coordinator-flags.ts). */
export const COORDINATOR_SETTINGS = {
  listen: { schema: hostPort, arg: '<host:port>', help: `gRPC API for the CLI (default ${DEFAULT_COORDINATOR_LISTEN}; non-loopback needs --tls-*)` },
  http: { schema: hostPort, arg: '<host:port>', help: `HTTP endpoint for /healthz (default ${DEFAULT_COORDINATOR_HTTP})` },
  db: { schema: file, arg: '<file>', help: `the SQLite run journal (default ${DEFAULT_COORDINATOR_DB})` },
  'tls-ca': { schema: file, arg: '<file>', help: 'CA certificate that operator client certificates must chain to' },
  'tls-cert': { schema: file, arg: '<file>', help: "the coordinator's certificate" },
  'tls-key': { schema: file, arg: '<file>', help: "the coordinator's private key" },
  insecure: { schema: z.boolean(), help: 'serve the API without TLS (the default on loopback; refused elsewhere)' },
  'log-level': { schema: z.enum(LOG_LEVELS), arg: '<level>', choices: LOG_LEVELS, help: 'log level (default info)' },
  retain: {
    schema: duration,
    arg: '<duration>',
    help: `delete finished runs (with their steps, approvals and events) unchanged for this long, at start and hourly; unfinished runs are kept (default ${DEFAULT_RETAIN})`,
  },
} as const satisfies Record<string, CoordinatorSetting>;

type Settings = typeof COORDINATOR_SETTINGS;

export const coordinatorConfigSchema = z
  .object(Object.fromEntries(Object.entries(COORDINATOR_SETTINGS).map(([key, setting]) => [key, setting.schema.optional()])) as { [K in keyof Settings]: z.ZodOptional<Settings[K]['schema']> })
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
  logLevel: string;
  /** Finished runs unchanged for longer are deleted; undefined: kept for ever (tests, the demo). */
  retainMs?: number;
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
    tls,
    logLevel: merged['log-level'] ?? 'info',
    retainMs: parseDuration(merged.retain ?? DEFAULT_RETAIN),
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
