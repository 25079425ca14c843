#!/usr/bin/env node
// lockstep-agent: the node daemon (SPEC §1, §7). Reads flags and the config file, starts the
// agent, stops it cleanly on SIGTERM/SIGINT.
import { Command, Option } from 'commander';
import { failAndExit } from '../shared/cli-exit.js';
import { createLogger } from '../shared/logger.js';
import { resolveAgentConfig, DEFAULT_AGENT_LISTEN, type AgentConfigInput } from './agent-config.js';
import { AGENT_VERSION, startAgent } from './agent-server.js';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

const program = new Command('lockstep-agent')
  .description('The lockstep node agent: typed, journaled upgrade operations over gRPC with mTLS.')
  .version(AGENT_VERSION)
  .option('--config <file>', 'YAML file with the same keys as these flags (flags win)')
  .option('--listen <host:port>', `address to serve on (default ${DEFAULT_AGENT_LISTEN})`)
  .option('--state-dir <dir>', 'where the operation journal lives (default /var/lib/lockstep-agent)')
  .option('--package-dir <dir>', 'a directory package files may come from; repeat for more', collect)
  .option('--hooks-dir <dir>', 'the only directory RunHook may run executables from')
  .option('--tls-ca <file>', 'CA certificate that client certificates must chain to')
  .option('--tls-cert <file>', "this agent's certificate (SAN = node name)")
  .option('--tls-key <file>', "this agent's private key")
  .option('--insecure', 'serve without TLS (refused on non-loopback addresses)')
  .option('--insecure-allow-remote', 'allow --insecure on a non-loopback address')
  .option('--service <name>', 'a service ControlService may touch; repeat for more (default: the CLUSTERPRO services)', collect)
  .addOption(new Option('--service-manager <kind>', 'how services are controlled (default auto)').choices(['auto', 'sysv', 'systemd']))
  .option('--rpm-dbpath <dir>', 'use a private rpm database (rpm --dbpath), for rehearsals')
  .option('--sim <node-dir>', 'run on a simulated node, LAB/nodes/NAME (lockstep lab)')
  .addOption(new Option('--log-level <level>', 'log level (default info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

const flags = program.opts<Record<string, string | string[] | boolean | undefined>>();

async function main(): Promise<void> {
  const config = await resolveAgentConfig(flags.config as string | undefined, {
    listen: flags.listen as string | undefined,
    'state-dir': flags.stateDir as string | undefined,
    'package-dir': flags.packageDir as string[] | undefined,
    'hooks-dir': flags.hooksDir as string | undefined,
    'tls-ca': flags.tlsCa as string | undefined,
    'tls-cert': flags.tlsCert as string | undefined,
    'tls-key': flags.tlsKey as string | undefined,
    insecure: flags.insecure as boolean | undefined,
    'insecure-allow-remote': flags.insecureAllowRemote as boolean | undefined,
    services: flags.service as string[] | undefined,
    'service-manager': flags.serviceManager as AgentConfigInput['service-manager'],
    'rpm-dbpath': flags.rpmDbpath as string | undefined,
    sim: flags.sim as string | undefined,
    'log-level': flags.logLevel as AgentConfigInput['log-level'],
  });
  const logger = createLogger({ name: 'lockstep-agent', level: config.logLevel });
  // The simulated node (and what it needs: zod, lock files) is loaded only for `lockstep lab`.
  const sim = config.sim === undefined ? undefined : await (await import('./sim/sim-node.js')).prepareSimNode(config.sim, logger);
  const agent = await startAgent(config, logger, sim?.environment);
  // A node powered off from elsewhere (clpstdn on another server) goes at once, as a real one.
  sim?.watchPowerOff(() => {
    logger.warn({ node: sim.node }, 'simulated node powered off');
    process.exit(0);
  });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    void agent.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => failAndExit('lockstep-agent', error));
