// lockstep-coordinator (SPEC §1, §4, §7): reads flags and the config file, starts the engine
// and the API, stops cleanly on SIGTERM/SIGINT. main.ts runs it from the bundle the build makes
// of this file (scripts/bundle-cli.mjs, issue 19).
import { failAndExit } from '../shared/cli-exit.js';
import { installFastIsIPv6 } from '../shared/fast-ipv6-check.js';
import { createLogger } from '../shared/logger.js';
import { resolveCoordinatorConfig } from './coordinator-config.js';
import { parseCoordinatorCommandLine } from './coordinator-flags.js';
import { COORDINATOR_VERSION, startCoordinator, type CoordinatorParts } from './coordinator-server.js';
import { createEngine } from './engine/engine.js';

/** EX_TEMPFAIL: a deposed leader (docs/ha.md); the systemd unit restarts it. */
const EXIT_DEPOSED = 75;

/** The leader stops this long before its lease could expire: a fifth of the TTL, at least 500 ms. */
function leaseMarginMs(ttlSeconds: number): number {
  return Math.max(500, ttlSeconds * 200);
}

export function runCoordinator(): void {
  installFastIsIPv6();
  const commandLine = parseCoordinatorCommandLine(process.argv.slice(2), COORDINATOR_VERSION);
  main(commandLine).catch((error: unknown) => failAndExit('lockstep-coordinator', error));
}

async function main(commandLine: ReturnType<typeof parseCoordinatorCommandLine>): Promise<void> {
  const config = resolveCoordinatorConfig(commandLine.config, commandLine.flags);
  const logger = createLogger({ name: 'lockstep-coordinator', level: config.logLevel });
  const { etcd } = config;
  const createRunService: CoordinatorParts['createRunService'] =
    etcd === undefined
      ? createEngine
      : async (options) => {
          const { createHaRunService } = await import('./ha/ha-run-service.js');
          return createHaRunService({
            ...options,
            etcd: { endpoints: etcd.endpoints, prefix: etcd.prefix, ...(etcd.tls && { tls: etcd.tls }), leaseTtlSeconds: etcd.leaseTtlSeconds, leaseMarginMs: leaseMarginMs(etcd.leaseTtlSeconds) },
            advertise: { api: etcd.advertise, http: config.http },
            deposed: (reason) => {
              // Nothing more may be dispatched or written: not even a clean stop's. systemd starts it again, as a follower.
              logger.fatal({ reason }, 'deposed: this coordinator is no longer the leader; exiting at once');
              process.exit(EXIT_DEPOSED);
            },
          });
        };
  const coordinator = await startCoordinator(config, logger, { createRunService });
  const stop = (signal: string): void => {
    logger.info({ signal }, 'stopping');
    void coordinator.stop().then(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
