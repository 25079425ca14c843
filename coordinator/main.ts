#!/usr/bin/env node
// lockstep-coordinator (SPEC §1, §4, §7): reads flags and the config file, starts the engine
// and the API, stops cleanly on SIGTERM/SIGINT.
import { setFlagsFromString } from 'node:v8';
import { Command, Option } from 'commander';
import { failAndExit } from '../shared/cli-exit.js';
import { createLogger } from '../shared/logger.js';
import { DEFAULT_COORDINATOR_DB, DEFAULT_COORDINATOR_HTTP, DEFAULT_COORDINATOR_LISTEN, resolveCoordinatorConfig, type CoordinatorConfigInput } from './coordinator-config.js';
import { COORDINATOR_VERSION, startCoordinator } from './coordinator-server.js';
import { createEngine } from './engine/engine.js';

// V8 lets a busy heap grow up to 4× its live size between full collections; with a thousand
// agents in flight that left 400+ MB resident for a live heap under 160 MB. 1.5× kept it under
// 300 MB with no measurable cost per round (docs/PERFORMANCE.md §2, fix 11). A GC heuristic, read at every collection,
// so setting it here (after start) takes effect.
setFlagsFromString('--heap-growing-percent=50');

const program = new Command('lockstep-coordinator')
  .description('The lockstep coordinator: compiles runbooks into plans and runs them against the agents.')
  .version(COORDINATOR_VERSION)
  .option('--config <file>', 'YAML file with the same keys as these flags (flags win)')
  .option('--listen <host:port>', `gRPC API for the CLI (default ${DEFAULT_COORDINATOR_LISTEN}; non-loopback needs --tls-*)`)
  .option('--http <host:port>', `HTTP endpoint for /healthz (default ${DEFAULT_COORDINATOR_HTTP})`)
  .option('--db <file>', `the SQLite run journal (default ${DEFAULT_COORDINATOR_DB})`)
  .option('--tls-ca <file>', 'CA certificate that operator client certificates must chain to')
  .option('--tls-cert <file>', "the coordinator's certificate")
  .option('--tls-key <file>', "the coordinator's private key")
  .option('--tls-crl <file>', 'CRL (PEM, from lockstep certs revoke): refuse the operator and agent certificates it lists')
  .option('--insecure', 'serve the API without TLS (the default on loopback; refused elsewhere)')
  .addOption(new Option('--log-level <level>', 'log level (default info)').choices(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']))
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode === 0 ? 0 : 2))
  .parse();

const flags = program.opts<Record<string, string | boolean | undefined>>();

async function main(): Promise<void> {
  const config = resolveCoordinatorConfig(flags.config as string | undefined, {
    listen: flags.listen as string | undefined,
    http: flags.http as string | undefined,
    db: flags.db as string | undefined,
    'tls-ca': flags.tlsCa as string | undefined,
    'tls-cert': flags.tlsCert as string | undefined,
    'tls-key': flags.tlsKey as string | undefined,
    'tls-crl': flags.tlsCrl as string | undefined,
    insecure: flags.insecure as boolean | undefined,
    'log-level': flags.logLevel as CoordinatorConfigInput['log-level'],
  });
  const logger = createLogger({ name: 'lockstep-coordinator', level: config.logLevel });
  const coordinator = await startCoordinator(config, logger, { createRunService: createEngine });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    void coordinator.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => failAndExit('lockstep-coordinator', error));
