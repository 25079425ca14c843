#!/usr/bin/env node
// lockstep-coordinator (SPEC §1, §4, §7): reads flags and the config file, starts the engine
// and the API, stops cleanly on SIGTERM/SIGINT.
import { setFlagsFromString } from 'node:v8';
import { failAndExit } from '../shared/cli-exit.js';
import { createLogger } from '../shared/logger.js';
import { resolveCoordinatorConfig } from './coordinator-config.js';
import { parseCoordinatorCommandLine } from './coordinator-flags.js';
import { COORDINATOR_VERSION, startCoordinator } from './coordinator-server.js';
import { createEngine } from './engine/engine.js';

// V8 lets a busy heap grow up to 4× its live size between full collections; with a thousand
// agents in flight that left 400+ MB resident for a live heap under 160 MB. 1.5× kept it under
// 300 MB with no measurable cost per round (docs/PERFORMANCE.md §2, fix 11). A GC heuristic, read at every collection,
// so setting it here (after start) takes effect.
setFlagsFromString('--heap-growing-percent=50');

const commandLine = parseCoordinatorCommandLine(process.argv.slice(2), COORDINATOR_VERSION);

async function main(): Promise<void> {
  const config = resolveCoordinatorConfig(commandLine.config, commandLine.flags);
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
