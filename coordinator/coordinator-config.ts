// The coordinator's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts; SPEC §8 decides where plaintext may go.
import { z } from 'zod';
import { loadYamlFile } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { OPERATOR_ROLES, type OperatorRole } from '../shared/pki/roles.js';
import { parseDuration } from '../shared/duration.js';
import { DEFAULT_RETAIN } from '../shared/retention.js';
import { isLoopbackAddress, type TlsPaths } from '../shared/tls.js';

export const DEFAULT_COORDINATOR_SOCKET = '/run/lockstep/coordinator.sock';
export const DEFAULT_SOCKET_GROUP = 'lockstep';
export const DEFAULT_ROLE_GROUPS: Readonly<Record<OperatorRole, string>> = { viewer: 'lockstep', operator: 'lockstep-operator', approver: 'lockstep-approver' };
export const DEFAULT_CREDENTIALS_DIR = '/etc/lockstep/pki';
export const DEFAULT_COORDINATOR_HTTP = '127.0.0.1:7452';
export const DEFAULT_COORDINATOR_DB = '/var/lib/lockstep-coordinator/runs.sqlite';
export const DEFAULT_ETCD_PREFIX = '/lockstep/';
export const DEFAULT_ETCD_LEASE_TTL = '5s';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:7450');
const file = z.string().min(1);
const groupName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/, 'expected a group name');
const duration = z.string().refine((value) => (parseDuration(value) ?? 0) > 0, 'expected a duration such as 90d, 12h or 1d12h');

/** One setting: its check, and how it reads as a flag (`--KEY`). */
export interface CoordinatorSetting {
  schema: z.ZodType;
  help: string;
  /** The value's name in --help; a setting without one is a yes/no flag. */
  arg?: string;
  /** The flag may be given more than once; the config file's key takes a list. */
  repeatable?: boolean;
  choices?: readonly string[];
}

/** Every setting once: the config file's key, the flag's name, its check and its help (coordinator-flags.ts). */
export const COORDINATOR_SETTINGS = {
  socket: { schema: file, arg: '<path>', help: `the API's Unix socket; callers are identified by the OS (default ${DEFAULT_COORDINATOR_SOCKET} unless --listen is given)` },
  'socket-group': { schema: groupName, arg: '<group>', help: `the group that may connect to --socket (default ${DEFAULT_SOCKET_GROUP})` },
  'viewer-group': { schema: groupName, arg: '<group>', help: `local users in this group may read runs (default ${DEFAULT_ROLE_GROUPS.viewer})` },
  'operator-group': { schema: groupName, arg: '<group>', help: `local users in this group may plan, apply and steer runs (default ${DEFAULT_ROLE_GROUPS.operator})` },
  'approver-group': { schema: groupName, arg: '<group>', help: `local users in this group may approve gates (default ${DEFAULT_ROLE_GROUPS.approver})` },
  listen: { schema: hostPort, arg: '<host:port>', help: 'also serve the API on TCP: with --tls-* (client certificates), or with --insecure on loopback only' },
  'credentials-dir': { schema: z.array(file).min(1), arg: '<dir>', repeatable: true, help: `a runbook's tls: files must be inside one of these (repeatable; default ${DEFAULT_CREDENTIALS_DIR})` },
  'four-eyes': { schema: z.boolean(), help: "every run's gates need an approver other than its submitter (and apply --yes is refused)" },
  http: {
    schema: hostPort,
    arg: '<host:port>',
    help: `the dashboard, /api and /healthz (default ${DEFAULT_COORDINATOR_HTTP}); off loopback only with --tls-* (HTTPS, operator client certificates)`,
  },
  db: { schema: file, arg: '<file>', help: `the SQLite run journal (default ${DEFAULT_COORDINATOR_DB})` },
  'tls-ca': { schema: file, arg: '<file>', help: 'CA certificate that operator client certificates must chain to' },
  'tls-cert': { schema: file, arg: '<file>', help: "the coordinator's certificate" },
  'tls-key': { schema: file, arg: '<file>', help: "the coordinator's private key" },
  'tls-crl': { schema: file, arg: '<file>', help: 'a CRL (PEM) from lockstep certs revoke: revoked operator and agent certificates are refused' },
  insecure: { schema: z.boolean(), help: 'serve --listen without TLS, every caller holding every role: loopback only (labs, tests)' },
  'log-level': { schema: z.enum(LOG_LEVELS), arg: '<level>', choices: LOG_LEVELS, help: 'log level (default info)' },
  etcd: {
    schema: z.string().min(1),
    arg: '<urls>',
    help: 'keep the journal in etcd and run highly available (docs/ha.md): comma-separated client URLs, e.g. http://h1:2379,http://h2:2379,http://h3:2379; --db is then unused',
  },
  'etcd-prefix': { schema: z.string().min(1), arg: '<prefix>', help: `the etcd key prefix of this coordinator group's journal (default ${DEFAULT_ETCD_PREFIX})` },
  'etcd-tls-ca': { schema: file, arg: '<file>', help: "CA certificate that signed the etcd members' certificates (https:// endpoints)" },
  'etcd-tls-cert': { schema: file, arg: '<file>', help: 'client certificate for etcd, when the members ask for one (with --etcd-tls-key)' },
  'etcd-tls-key': { schema: file, arg: '<file>', help: "the etcd client certificate's private key" },
  'etcd-lease-ttl': {
    schema: duration,
    arg: '<duration>',
    help: `the leadership lease's TTL: a dead leader is replaced after about this long (default ${DEFAULT_ETCD_LEASE_TTL}; at least 2s, whole seconds)`,
  },
  advertise: {
    schema: hostPort,
    arg: '<host:port>',
    help: "with --etcd: the API address followers name to clients as the leader's (default: --listen's address)",
  },
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

export interface LocalSocketConfig {
  path: string;
  group: string;
  roleGroups: Readonly<Record<OperatorRole, string>>;
}

export interface CoordinatorConfig {
  /** The API on a Unix socket, callers identified by the kernel. */
  socket: LocalSocketConfig | undefined;
  /** The API on TCP: TLS when `tls` is set, else --insecure on loopback. */
  listen: string | undefined;
  /** The dashboard and /healthz: plain HTTP on loopback, else HTTPS with the API's TLS files. */
  http: string;
  dbFile: string;
  /** Set: the API serves mTLS and the operator is the client certificate's CN. */
  tls: TlsPaths | undefined;
  /** --tls-crl: refused in the API's handshake and in every dial to an agent, whatever the runbook says. */
  tlsCrl?: string;
  /** The only directories a runbook's tls: files may come from. */
  credentialsDirs: string[];
  /** Every run's gates need an approver other than its submitter. */
  fourEyes: boolean;
  logLevel: string;
  /** Finished runs unchanged for longer are deleted; undefined: kept for ever (tests, the demo). */
  retainMs?: number;
  /** --etcd: the journal lives in etcd and coordinators elect a leader (docs/ha.md). */
  etcd?: EtcdConfig;
}

export interface EtcdConfig {
  endpoints: string[];
  prefix: string;
  tls?: { ca: string; cert?: string; key?: string };
  leaseTtlSeconds: number;
  /** The API address followers give clients when this coordinator leads. */
  advertise: string;
}

/** Merges the file (if any) and the flags (which win) into a complete configuration. */
export function resolveCoordinatorConfig(file: string | undefined, flags: CoordinatorConfigInput): CoordinatorConfig {
  const fromFile = file === undefined ? {} : loadYamlFile(file, coordinatorConfigSchema);
  const merged: CoordinatorConfigInput = { ...fromFile, ...checkFlags(coordinatorConfigSchema, flags) };
  const tls = tlsPaths(merged);
  const listen = merged.listen;
  if (listen !== undefined) checkListen(listen, tls !== undefined, merged.insecure === true);
  else if (merged.insecure) throw configError('--insecure', 'applies to --listen only; the socket is always authenticated by the OS');
  const http = merged.http ?? DEFAULT_COORDINATOR_HTTP;
  if (tls === undefined && !isLoopbackAddress(http)) {
    throw configError('--http', `${http} is not a loopback address: the dashboard shows every run to whoever reaches it. Give --tls-ca, --tls-cert and --tls-key (it then serves HTTPS to operator client certificates), or use 127.0.0.1`);
  }
  return {
    socket: merged.socket !== undefined || listen === undefined ? socketConfig(merged) : undefined,
    listen,
    http,
    dbFile: merged.db ?? DEFAULT_COORDINATOR_DB,
    tls: tls === undefined || merged['tls-crl'] === undefined ? tls : { ...tls, crl: merged['tls-crl'] },
    ...(merged['tls-crl'] !== undefined && { tlsCrl: merged['tls-crl'] }),
    credentialsDirs: merged['credentials-dir'] ?? [DEFAULT_CREDENTIALS_DIR],
    fourEyes: merged['four-eyes'] === true,
    logLevel: merged['log-level'] ?? 'info',
    retainMs: parseDuration(merged.retain ?? DEFAULT_RETAIN),
    ...etcdConfig(merged, listen),
  };
}

function etcdConfig(merged: CoordinatorConfigInput, listen: string | undefined): { etcd?: EtcdConfig } {
  const { etcd, 'etcd-prefix': prefix, 'etcd-tls-ca': ca, 'etcd-tls-cert': cert, 'etcd-tls-key': key, 'etcd-lease-ttl': ttl, advertise } = merged;
  if (etcd === undefined) {
    const stray = (['etcd-prefix', 'etcd-tls-ca', 'etcd-tls-cert', 'etcd-tls-key', 'etcd-lease-ttl', 'advertise'] as const).find((flag) => merged[flag] !== undefined);
    if (stray !== undefined) throw configError(`--${stray}`, 'applies with --etcd only');
    return {};
  }
  const endpoints = etcd.split(',').map((entry) => entry.trim());
  for (const endpoint of endpoints) {
    if (!/^https?:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}\/?$/.test(endpoint)) {
      throw configError('--etcd', `"${endpoint}" is not an etcd client URL: expected http://HOST:PORT or https://HOST:PORT, comma-separated`);
    }
  }
  const https = endpoints.filter((endpoint) => endpoint.startsWith('https://'));
  if (https.length > 0 && https.length < endpoints.length) throw configError('--etcd', 'mixes http:// and https:// endpoints: the members of one cluster serve clients one way');
  if (https.length > 0 && ca === undefined) throw configError('--etcd-tls-ca', 'the --etcd endpoints are https://: give the CA that signed their certificates');
  if (https.length === 0 && (ca ?? cert ?? key) !== undefined) throw configError('--etcd-tls-ca', 'TLS files given but the --etcd endpoints are http://: use https:// endpoints, or drop the --etcd-tls-* flags');
  if ((cert === undefined) !== (key === undefined)) throw configError('--etcd-tls-cert', 'give both --etcd-tls-cert and --etcd-tls-key, or neither');
  const chosenPrefix = prefix ?? DEFAULT_ETCD_PREFIX;
  if (!/^\/([A-Za-z0-9._-]+\/)*$/.test(chosenPrefix)) throw configError('--etcd-prefix', `"${chosenPrefix}" must start and end with "/" and hold only letters, digits, ".", "_", "-" and "/", e.g. /lockstep/site-a/`);
  const ttlMs = parseDuration(ttl ?? DEFAULT_ETCD_LEASE_TTL) ?? 0;
  if (ttlMs < 2000 || ttlMs % 1000 !== 0) throw configError('--etcd-lease-ttl', `"${ttl ?? ''}" must be whole seconds, at least 2s (etcd leases count in seconds)`);
  const advertised = advertise ?? listen;
  if (advertised === undefined) throw configError('--advertise', 'with --etcd, followers must name the leader to clients: give --listen (TCP API) or --advertise HOST:PORT');
  if (/^(0\.0\.0\.0|\[::\]):/.test(advertised)) throw configError('--advertise', `${advertised} is a wildcard: give the address clients dial, e.g. --advertise coord1.example:7450`);
  return {
    etcd: {
      endpoints,
      prefix: chosenPrefix,
      ...(ca !== undefined && { tls: { ca, ...(cert !== undefined && { cert }), ...(key !== undefined && { key }) } }),
      leaseTtlSeconds: ttlMs / 1000,
      advertise: advertised,
    },
  };
}

/** SPEC §8: TCP carries the API only under TLS with client certificates, or --insecure on loopback. */
function checkListen(listen: string, tls: boolean, insecure: boolean): void {
  if (tls) return;
  if (!insecure) {
    throw configError(
      '--listen',
      `${listen} without TLS would let anyone who can reach it start runs and approve gates. Give --tls-ca, --tls-cert and --tls-key ` +
        '(operators then present client certificates), or --insecure on a loopback address (labs, tests), or use the Unix socket (--socket).',
    );
  }
  if (!isLoopbackAddress(listen)) {
    throw configError('--insecure', `refuses ${listen}, which is not a loopback address: give --tls-ca, --tls-cert and --tls-key, or listen on 127.0.0.1`);
  }
}

function socketConfig(merged: CoordinatorConfigInput): LocalSocketConfig {
  const roleGroups = Object.fromEntries(OPERATOR_ROLES.map((role) => [role, merged[`${role}-group`] ?? DEFAULT_ROLE_GROUPS[role]])) as Record<OperatorRole, string>;
  return { path: merged.socket ?? DEFAULT_COORDINATOR_SOCKET, group: merged['socket-group'] ?? DEFAULT_SOCKET_GROUP, roleGroups };
}

function tlsPaths(merged: CoordinatorConfigInput): TlsPaths | undefined {
  const { 'tls-ca': ca, 'tls-cert': cert, 'tls-key': key } = merged;
  const given = [ca, cert, key].filter((value) => value !== undefined).length;
  if (merged.insecure && given > 0) throw configError('--insecure', 'cannot be combined with --tls-ca/--tls-cert/--tls-key');
  if (given === 0) return undefined;
  if (ca === undefined || cert === undefined || key === undefined) throw configError('--tls-ca', 'give all three of --tls-ca, --tls-cert and --tls-key, or none');
  return { ca, cert, key };
}
