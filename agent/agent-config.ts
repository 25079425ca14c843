// The agent's settings: a YAML file (--config) with the same keys as the flags, and the
// flags on top. Validated whole before anything starts.
import { z } from 'zod';
import { loadYamlFile } from '../shared/config-file.js';
import { checkFlags, configError } from '../shared/config-flags.js';
import { CLUSTERPRO_SERVICES } from '../shared/domain/clusterpro.js';

export const DEFAULT_AGENT_LISTEN = '0.0.0.0:7451';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 0.0.0.0:7451');

export const agentConfigSchema = z
  .object({
    listen: hostPort.optional(),
    'state-dir': z.string().min(1).optional(),
    'package-dir': z.array(z.string().min(1)).optional(),
    'hooks-dir': z.string().min(1).optional(),
    'tls-ca': z.string().min(1).optional(),
    'tls-cert': z.string().min(1).optional(),
    'tls-key': z.string().min(1).optional(),
    insecure: z.boolean().optional(),
    'insecure-allow-remote': z.boolean().optional(),
    /** Services ControlService may touch (the driver's allow-list). */
    services: z.array(z.string().regex(/^[A-Za-z0-9_.@:-]{1,128}$/, 'expected a service name')).optional(),
    'service-manager': z.enum(['auto', 'sysv', 'systemd']).optional(),
    /** A private rpm database (rpm --dbpath), for rehearsals. */
    'rpm-dbpath': z.string().min(1).optional(),
    'log-level': z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
    /** A simulated node's directory, LAB/nodes/NAME (SPEC §9). */
    sim: z.string().min(1).optional(),
  })
  .strict();

export type AgentConfigInput = z.infer<typeof agentConfigSchema>;

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
export function resolveAgentConfig(file: string | undefined, flags: AgentConfigInput): AgentConfig {
  const fromFile = file === undefined ? {} : loadYamlFile(file, agentConfigSchema);
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
