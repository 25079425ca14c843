// SPEC §7/§9: what `lockstep lab up`, `lab down` and the hidden `lab supervise` do
// (lab-command.ts defines them and imports this module when one runs). `up --detach` runs
// `lab supervise` in its own session and returns once every agent answers.
import { parsePowerSwitch, switchPower } from './lab-power.js';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockstepError } from '../shared/errors.js';
import { labPaths } from './state/lab-state.js';
import { createLogger } from '../shared/logger.js';
import { checkOptions, createLab, labNodes, type Lab, type LabOptions } from './lab-create.js';
import { assertPortsFree } from './lab-ports.js';
import { agentPidFile, livePid, removePidFile, supervisorPidFile, terminate } from './lab-processes.js';
import { waitUntilLabReady } from './lab-readiness.js';
import { labNodeNames, superviseUntilSignalled } from './lab-supervisor.js';

// A path, not an import: the detached supervisor is this same CLI, run again.
const CLI_MAIN = fileURLToPath(new URL('../coordinator/cli/main.js', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
// The supervisor gives each agent 2 s after SIGTERM before SIGKILL; leave it room.
const SUPERVISOR_GRACE_MS = 10_000;
const AGENT_GRACE_MS = 2_000;

export interface UpFlags {
  dir: string;
  nodes: string;
  platform?: string;
  version?: string;
  replicator?: boolean;
  portBase?: string;
  failoverMs?: string;
  mirrorSizeMb?: string;
  resyncMbPerSec?: string;
  product?: string;
  rtChange?: string;
  rtrTunable?: string;
  detach?: boolean;
}

export async function runUp(flags: UpFlags): Promise<void> {
  const options: LabOptions = {
    dir: flags.dir,
    nodes: wholeNumber('--nodes', flags.nodes),
    platform: flags.platform,
    version: flags.version,
    replicator: flags.replicator === true,
    product: flags.product,
    rtChange: flags.rtChange,
    rtrTunable: flags.rtrTunable,
    ...(flags.portBase !== undefined && { portBase: wholeNumber('--port-base', flags.portBase) }),
    ...(flags.failoverMs !== undefined && { failoverMs: wholeNumber('--failover-ms', flags.failoverMs) }),
    ...(flags.mirrorSizeMb !== undefined && { mirrorSizeMb: wholeNumber('--mirror-size-mb', flags.mirrorSizeMb) }),
    ...(flags.resyncMbPerSec !== undefined && { mirrorResyncMbPerSec: wholeNumber('--resync-mb-per-sec', flags.resyncMbPerSec) }),
  };
  const checked = checkOptions(options);
  await assertPortsFree(labNodes(checked.nodeCount, checked.portBase));
  const began = Date.now();
  const lab = await createLab(options);
  if (flags.detach) {
    await upDetached(lab);
    printReady(lab, began);
    return;
  }
  const supervisor = superviseUntilSignalled({ root: lab.root, logger: createLogger({ name: 'lockstep-lab' }) });
  try {
    await waitUntilLabReady({ root: lab.root, nodes: lab.nodes, timeoutMs: READY_TIMEOUT_MS });
  } catch (error) {
    await supervisor.stop();
    throw error;
  }
  printReady(lab, began);
  process.stdout.write('supervising the agents; press Ctrl-C to stop the lab\n');
}

/** Starts `lab supervise` in its own session, logging to LAB/supervisor.log, and waits for the lab. */
async function upDetached(lab: Lab): Promise<void> {
  const log = openSync(join(lab.root, 'supervisor.log'), 'a');
  const child = spawn(process.execPath, [CLI_MAIN, 'lab', 'supervise', '--dir', lab.root], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  let exited: string | undefined;
  child.once('exit', (code, signal) => {
    exited = `the lab supervisor exited (${signal ?? `code ${String(code)}`})`;
  });
  child.unref();
  try {
    await waitUntilLabReady({ root: lab.root, nodes: lab.nodes, timeoutMs: READY_TIMEOUT_MS, givenUp: () => exited });
  } catch (error) {
    // A half-started lab would hold its ports; its logs stay behind.
    if (exited === undefined && child.pid !== undefined) await terminate(child.pid, SUPERVISOR_GRACE_MS);
    throw error;
  }
}

function printReady(lab: Lab, began: number): void {
  const lines = [
    `lab up in ${((Date.now() - began) / 1000).toFixed(1)} s: ${lab.root}`,
    `runbook ${lab.runbook}`,
    ...lab.nodes.map((node) => `${node.name} ${node.address} log ${labPaths(lab.root).node(node.name).log}`),
    // The coordinator reads the runbook's credentials only from its --credentials-dir (docs/security.md).
    `coordinator: lockstep-coordinator --listen 127.0.0.1:7450 --insecure --credentials-dir ${join(lab.root, 'pki')} --db ${join(lab.root, 'coordinator.sqlite')}`,
    `then:        lockstep --coordinator 127.0.0.1:7450 apply ${lab.runbook} --wait --yes`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export async function runDown(dir: string): Promise<void> {
  const root = requireLab(dir);
  const pidFile = supervisorPidFile(root);
  const supervisor = livePid(pidFile, ['lab']);
  if (supervisor !== undefined) await terminate(supervisor, SUPERVISOR_GRACE_MS);
  removePidFile(pidFile);
  // A supervisor that was killed outright leaves its agents running.
  const strays = await stopStrayAgents(root);
  const what = supervisor === undefined ? 'no lab supervisor was running' : `stopped the lab supervisor (pid ${supervisor})`;
  const extra = strays.length === 0 ? '' : `; stopped agents left running: ${strays.join(', ')}`;
  process.stdout.write(`${what}${extra}; the lab's files remain in ${root}\n`);
}

async function stopStrayAgents(root: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const name of labNodeNames(root)) {
    const nodeDir = labPaths(root).node(name).dir;
    const pid = livePid(agentPidFile(nodeDir), ['--sim', nodeDir]);
    if (pid !== undefined) {
      await terminate(pid, AGENT_GRACE_MS);
      stopped.push(`${name} (pid ${pid})`);
    }
    removePidFile(agentPidFile(nodeDir));
  }
  return stopped;
}

/** `lab power NODE off|on` (lab-power.ts). */
export async function runPower(dir: string, node: string, state: string): Promise<void> {
  process.stdout.write(`${await switchPower(requireLab(dir), node, parsePowerSwitch(state))}\n`);
}

export function runSupervise(dir: string): void {
  superviseUntilSignalled({ root: requireLab(dir), logger: createLogger({ name: 'lockstep-lab', destination: 1 }) });
}

function requireLab(dir: string): string {
  const root = resolve(dir);
  if (!existsSync(labPaths(root).cluster)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--dir: ${root} is not a lab (no cluster.json); create one with "lockstep lab up"`, { field: '--dir' });
  }
  return root;
}

function wholeNumber(flag: string, value: string): number {
  if (/^\d{1,9}$/.test(value.trim())) return Number(value);
  throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: expected a whole number, got "${value.slice(0, 40)}"`, { field: flag });
}
