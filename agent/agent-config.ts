// The agent's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts. The settings are few and flat, so
// they are checked here by hand: zod alone would be ~7 MB of an idle agent (PERFORMANCE.md §3),
// and the YAML parser is loaded only when there is a file to read.
import type { ConfigSchema, SchemaIssue } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { CLUSTERPRO_SERVICES } from '../shared/domain/clusterpro.js';
import { parseDuration } from '../shared/duration.js';
import { DEFAULT_RETAIN } from '../shared/retention.js';

export const DEFAULT_AGENT_LISTEN = '0.0.0.0:7451';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SERVICE_MANAGERS = ['auto', 'sysv', 'systemd'] as const;

export interface AgentConfigInput {
  listen?: string;
  'state-dir'?: string;
  'package-dir'?: string[];
  'hooks-dir'?: string;
  'tls-ca'?: string;
  'tls-cert'?: string;
  'tls-key'?: string;
  /** A CRL from `lockstep certs revoke`: a coordinator certificate it lists is refused. */
  'tls-crl'?: string;
  insecure?: boolean;
  'insecure-allow-remote'?: boolean;
  /** Services ControlService may touch (the driver's allow-list). */
  services?: string[];
  'service-manager'?: (typeof SERVICE_MANAGERS)[number];
  /** A private rpm database (rpm --dbpath), for rehearsals. */
  'rpm-dbpath'?: string;
  'log-level'?: (typeof LOG_LEVELS)[number];
  /** Finished journal rows older than this are deleted, e.g. 90d. */
  retain?: string;
  /** A simulated node's directory, LAB/nodes/NAME (SPEC §9). */
  sim?: string;
}

/** The issues with one setting's value; `path` names it (and the entry, in a list). */
type Rule = (value: unknown, path: PropertyKey[]) => SchemaIssue[];

const rule =
  (valid: (value: unknown) => boolean, expected: string): Rule =>
  (value, path) =>
    valid(value) ? [] : [{ path, message: `expected ${expected}, got ${describeValue(value)}` }];
const listOf =
  (entry: Rule): Rule =>
  (value, path) =>
    Array.isArray(value) ? value.flatMap((item, index) => entry(item, [...path, index])) : [{ path, message: `expected a list, got ${describeValue(value)}` }];
const isText = (value: unknown): value is string => typeof value === 'string';
const text = rule((value) => isText(value) && value !== '', 'a non-empty string');
const yesNo = rule((value) => typeof value === 'boolean', 'true or false');
const matching = (pattern: RegExp, expected: string) => rule((value) => isText(value) && pattern.test(value), expected);
const duration = rule((value) => isText(value) && (parseDuration(value) ?? 0) > 0, 'a duration such as 90d, 12h or 1d12h');
const oneOf = (choices: readonly string[]) => rule((value) => isText(value) && choices.includes(value), `one of ${choices.join(', ')}`);

/** One setting: its check, and how it reads as a flag (`--KEY`, or `--FLAG` where named). */
export interface AgentSetting {
  rule: Rule;
  help: string;
  /** The value's name in --help; a setting without one is a yes/no flag. */
  arg?: string;
  /** The flag gives one entry of the list and may be repeated. */
  repeats?: boolean;
  /** The flag's name when it is not the key (`--service` adds to `services`). */
  flag?: string;
}

export const AGENT_SETTINGS: { readonly [K in keyof Required<AgentConfigInput>]: AgentSetting } = {
  listen: {
    rule: matching(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'HOST:PORT, e.g. 0.0.0.0:7451'),
    arg: '<host:port>',
    help: `address to serve on (default ${DEFAULT_AGENT_LISTEN})`,
  },
  'state-dir': { rule: text, arg: '<dir>', help: 'where the operation journal lives (default /var/lib/lockstep-agent)' },
  'package-dir': { rule: listOf(text), arg: '<dir>', repeats: true, help: 'a directory package files may come from (root-owned, not group/other-writable); repeat for more' },
  'hooks-dir': { rule: text, arg: '<dir>', help: 'the only directory RunHook may run executables from (it, its parents and hooks root-owned, not group/other-writable)' },
  'tls-ca': { rule: text, arg: '<file>', help: 'CA certificate that client certificates must chain to' },
  'tls-cert': { rule: text, arg: '<file>', help: "this agent's certificate (SAN = node name)" },
  'tls-key': { rule: text, arg: '<file>', help: "this agent's private key" },
  'tls-crl': { rule: text, arg: '<file>', help: 'CRL (PEM, from lockstep certs revoke): refuse the certificates it lists' },
  insecure: { rule: yesNo, help: 'serve without TLS (refused on non-loopback addresses)' },
  'insecure-allow-remote': { rule: yesNo, help: 'allow --insecure on a non-loopback address' },
  services: {
    rule: listOf(matching(/^[A-Za-z0-9_.@:-]{1,128}$/, 'a service name')),
    flag: 'service',
    arg: '<name>',
    repeats: true,
    help: 'a service ControlService may touch; repeat for more (default: the CLUSTERPRO services)',
  },
  'service-manager': { rule: oneOf(SERVICE_MANAGERS), arg: '<kind>', help: `how services are controlled: ${SERVICE_MANAGERS.join(', ')} (default auto)` },
  'rpm-dbpath': { rule: text, arg: '<dir>', help: 'use a private rpm database (rpm --dbpath), for rehearsals' },
  'log-level': { rule: oneOf(LOG_LEVELS), arg: '<level>', help: `${LOG_LEVELS.join(', ')} (default info)` },
  retain: {
    rule: duration,
    arg: '<duration>',
    help: `delete finished operations from the journal after this long, at start and hourly; a RUNNING one is kept (default ${DEFAULT_RETAIN})`,
  },
  sim: { rule: text, arg: '<node-dir>', help: 'run on a simulated node, LAB/nodes/NAME (lockstep lab)' },
};

export const agentConfigSchema: ConfigSchema<AgentConfigInput> = {
  safeParse(value) {
    const issues: SchemaIssue[] =
      typeof value !== 'object' || value === null || Array.isArray(value)
        ? [{ path: [], message: `expected a mapping of settings, got ${describeValue(value)}` }]
        : Object.entries(value).flatMap(([key, setting]) =>
            Object.hasOwn(AGENT_SETTINGS, key)
              ? AGENT_SETTINGS[key as keyof AgentConfigInput].rule(setting, [key])
              : [{ path: [key], message: `is not a setting of the agent; expected one of ${Object.keys(AGENT_SETTINGS).join(', ')}` }],
          );
    return issues.length === 0 ? { success: true, data: value as AgentConfigInput } : { success: false, error: { issues } };
  },
};

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return JSON.stringify(value);
  return typeof value === 'object' ? 'a mapping' : `${typeof value} ${String(value)}`;
}

export interface AgentConfig {
  listen: string;
  stateDir: string;
  packageDirs: string[];
  hooksDir: string | undefined;
  tls: { ca: string; cert: string; key: string; crl?: string } | undefined;
  insecureAllowRemote: boolean;
  services: string[];
  serviceManager: 'auto' | 'sysv' | 'systemd';
  rpmDbPath: string | undefined;
  logLevel: string;
  /** Finished journal rows older than this are deleted (shared/retention.ts). */
  retainMs: number;
  /** Set: the agent runs on this simulated node (LAB/nodes/NAME) instead of the host. */
  sim?: string;
}

/** Merges the file (if any) and the flags (which win) into a complete configuration. */
export async function resolveAgentConfig(file: string | undefined, flags: AgentConfigInput): Promise<AgentConfig> {
  const fromFile = file === undefined ? {} : (await import('../shared/config-file.js')).loadYamlFile(file, agentConfigSchema);
  const flagsChecked = checkFlags(agentConfigSchema, flags);
  const merged: AgentConfigInput = { ...fromFile, ...flagsChecked };
  const tlsFiles = [merged['tls-ca'], merged['tls-cert'], merged['tls-key']];
  const tlsGiven = tlsFiles.filter((value) => value !== undefined).length;
  if (merged.insecure && tlsGiven > 0) throw configError('--insecure', 'cannot be combined with --tls-ca/--tls-cert/--tls-key');
  if (merged.insecure && merged['tls-crl'] !== undefined) throw configError('--tls-crl', 'revokes certificates, and --insecure checks none: drop one of them');
  if (!merged.insecure && tlsGiven !== 3) {
    throw configError('--tls-ca', 'the agent serves mTLS only: give --tls-ca, --tls-cert and --tls-key (or --insecure on a loopback address, for tests)');
  }
  return {
    listen: merged.listen ?? DEFAULT_AGENT_LISTEN,
    stateDir: merged['state-dir'] ?? '/var/lib/lockstep-agent',
    packageDirs: merged['package-dir'] ?? [],
    hooksDir: merged['hooks-dir'],
    tls: merged.insecure
      ? undefined
      : { ca: tlsFiles[0] as string, cert: tlsFiles[1] as string, key: tlsFiles[2] as string, ...(merged['tls-crl'] !== undefined && { crl: merged['tls-crl'] }) },
    insecureAllowRemote: merged['insecure-allow-remote'] ?? false,
    services: merged.services ?? [...CLUSTERPRO_SERVICES],
    serviceManager: merged['service-manager'] ?? 'auto',
    rpmDbPath: merged['rpm-dbpath'],
    logLevel: merged['log-level'] ?? 'info',
    retainMs: parseDuration(merged.retain ?? DEFAULT_RETAIN) as number,
    sim: merged.sim,
  };
}
