// The agent's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts. The settings are few and flat, so
// they are checked here by hand: zod alone would be ~7 MB of an idle agent (PERFORMANCE.md §3),
// and the YAML parser is loaded only when there is a file to read.
import type { ConfigSchema, SchemaIssue } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { CLUSTERPRO_SERVICES } from '../shared/domain/clusterpro.js';

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
  insecure?: boolean;
  'insecure-allow-remote'?: boolean;
  /** Services ControlService may touch (the driver's allow-list). */
  services?: string[];
  'service-manager'?: (typeof SERVICE_MANAGERS)[number];
  /** A private rpm database (rpm --dbpath), for rehearsals. */
  'rpm-dbpath'?: string;
  'log-level'?: (typeof LOG_LEVELS)[number];
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
const oneOf = (choices: readonly string[]) => rule((value) => isText(value) && choices.includes(value), `one of ${choices.join(', ')}`);

const RULES: { readonly [K in keyof Required<AgentConfigInput>]: Rule } = {
  listen: matching(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'HOST:PORT, e.g. 0.0.0.0:7451'),
  'state-dir': text,
  'package-dir': listOf(text),
  'hooks-dir': text,
  'tls-ca': text,
  'tls-cert': text,
  'tls-key': text,
  insecure: yesNo,
  'insecure-allow-remote': yesNo,
  services: listOf(matching(/^[A-Za-z0-9_.@:-]{1,128}$/, 'a service name')),
  'service-manager': oneOf(SERVICE_MANAGERS),
  'rpm-dbpath': text,
  'log-level': oneOf(LOG_LEVELS),
  sim: text,
};

export const agentConfigSchema: ConfigSchema<AgentConfigInput> = {
  safeParse(value) {
    const issues: SchemaIssue[] =
      typeof value !== 'object' || value === null || Array.isArray(value)
        ? [{ path: [], message: `expected a mapping of settings, got ${describeValue(value)}` }]
        : Object.entries(value).flatMap(([key, setting]) =>
            Object.hasOwn(RULES, key)
              ? RULES[key as keyof AgentConfigInput](setting, [key])
              : [{ path: [key], message: `is not a setting of the agent; expected one of ${Object.keys(RULES).join(', ')}` }],
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
  tls: { ca: string; cert: string; key: string } | undefined;
  insecureAllowRemote: boolean;
  services: string[];
  serviceManager: 'auto' | 'sysv' | 'systemd';
  rpmDbPath: string | undefined;
  logLevel: string;
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
  if (!merged.insecure && tlsGiven !== 3) {
    throw configError('--tls-ca', 'the agent serves mTLS only: give --tls-ca, --tls-cert and --tls-key (or --insecure on a loopback address, for tests)');
  }
  return {
    listen: merged.listen ?? DEFAULT_AGENT_LISTEN,
    stateDir: merged['state-dir'] ?? '/var/lib/lockstep-agent',
    packageDirs: merged['package-dir'] ?? [],
    hooksDir: merged['hooks-dir'],
    tls: merged.insecure ? undefined : { ca: tlsFiles[0] as string, cert: tlsFiles[1] as string, key: tlsFiles[2] as string },
    insecureAllowRemote: merged['insecure-allow-remote'] ?? false,
    services: merged.services ?? [...CLUSTERPRO_SERVICES],
    serviceManager: merged['service-manager'] ?? 'auto',
    rpmDbPath: merged['rpm-dbpath'],
    logLevel: merged['log-level'] ?? 'info',
    sim: merged.sim,
  };
}
