#!/usr/bin/env node
// lockstep-agent: the node daemon (SPEC §1, §7). Reads flags and the config file, starts the
// agent, stops it cleanly on SIGTERM/SIGINT.
import { failAndExit } from '../shared/cli-exit.js';
import { createLogger } from '../shared/logger.js';
import { resolveAgentConfig } from './agent-config.js';
import { parseAgentCommandLine } from './agent-flags.js';
import { AGENT_VERSION, startAgent } from './agent-server.js';
import { ProcessExecutor } from './exec/process-executor.js';

async function main(): Promise<void> {
  const commandLine = parseAgentCommandLine(process.argv.slice(2), AGENT_VERSION);
  if (!commandLine.run) {
    process.stdout.write(commandLine.text);
    return;
  }
  const config = await resolveAgentConfig(commandLine.config, commandLine.flags);
  const logger = createLogger({ name: 'lockstep-agent', level: config.logLevel });
  // The simulated node (lab/node, and what it needs: zod, lock files) is loaded only for
  // `lockstep lab`: the one place agent/ reaches into lab/, so a production agent never loads it.
  const sim = config.sim === undefined ? undefined : await (await import('../lab/node/sim-node.js')).prepareSimNode(config.sim, logger, new ProcessExecutor());
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
