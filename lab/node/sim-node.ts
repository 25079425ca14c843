// `lockstep-agent --sim NODE_DIR` (SPEC §7, §9): the agent runs on a simulated node,
// LAB/nodes/NAME. Boots the node if it was powered off, and builds the executor and node
// facts that answer from the lab's state instead of the host's.
import { accessSync, constants, existsSync } from 'node:fs';
import { basename, delimiter, join, resolve } from 'node:path';
import { LockstepError } from '../../shared/errors.js';
import { labPaths } from '../state/lab-state.js';
import type { Logger } from '../../shared/logger.js';
import type { AgentEnvironment } from '../../agent/agent-server.js';
import type { Executor } from '../../agent/exec/executor.js';
import { watchPowerOff } from './node-power.js';
import { bootNode } from './sim-boot.js';
import { SimExecutor } from './sim-executor.js';
import { SimFacts } from './sim-facts.js';

export interface SimNode {
  labDir: string;
  node: string;
  environment: Required<Pick<AgentEnvironment, 'executor' | 'facts'>>;
  /** Calls `onDown` once when the node is powered off from elsewhere (clpstdn on another server). */
  watchPowerOff(onDown: () => void): () => void;
}

/** `host` is the agent's real executor: where the node's rpm is real, it runs the machine's rpm. */
export async function prepareSimNode(nodeDir: string, logger: Logger, host: Executor): Promise<SimNode> {
  const absolute = resolve(nodeDir);
  const labDir = resolve(absolute, '..', '..');
  const node = basename(absolute);
  if (!existsSync(labPaths(labDir).node(node).state)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--sim: ${nodeDir} is not a lab node directory (it has no node.json); create the lab with lockstep lab up`, { field: '--sim' });
  }
  const boot = await bootNode(labDir, node, Date.now());
  if (boot.booted) logger.info({ node, ...boot }, 'simulated node booted');
  const rpmPath = findRpm();
  logger.info({ labDir, node, rpm: rpmPath ?? 'emulated' }, 'simulated node');
  const realRpm = rpmPath === undefined ? undefined : { path: rpmPath, executor: host };
  return {
    labDir,
    node,
    environment: { executor: new SimExecutor({ labDir, node, realRpm }), facts: new SimFacts(labDir, node) },
    watchPowerOff: (onDown) => watchPowerOff(labDir, node, onDown),
  };
}

/** The machine's rpm, if it has one: node.json decides whether a node uses it. */
function findRpm(): string | undefined {
  const dirs = ['/usr/bin', ...(process.env.PATH ?? '').split(delimiter).filter((dir) => dir !== '')];
  return dirs.map((dir) => join(dir, 'rpm')).find(isExecutable);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
