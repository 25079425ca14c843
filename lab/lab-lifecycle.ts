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
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { describeError } from '../shared/errors.js';
import { parseFactsFile, type FactsFile } from '../shared/facts-file.js';
import { checkOptions, createLab, LAB_DEFAULTS, labNodes, type Lab, type LabOptions } from './lab-create.js';
import { createTwin, twinPlan, type SourceRunbook } from './twin/lab-twin.js';
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

/** The runbook's cluster as the coordinator's preflight reads it (coordinator/cli/live-facts.ts, given by main.ts). */
export type ReadLiveFacts = (command: Command, runbookFile: string) => Promise<{ facts: FactsFile; runbook: SourceRunbook }>;

export interface UpFlags {
  dir: string;
  nodes?: string;
  like?: string;
  fromFacts?: string;
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
  scVersion?: string;
  detach?: boolean;
}

export async function runUp(flags: UpFlags, command: Command, readLiveFacts: ReadLiveFacts | undefined): Promise<void> {
  const settings = {
    dir: flags.dir,
    product: flags.product,
    rtChange: flags.rtChange,
    rtrTunable: flags.rtrTunable,
    scVersion: flags.scVersion,
    ...(flags.portBase !== undefined && { portBase: wholeNumber('--port-base', flags.portBase) }),
    ...(flags.failoverMs !== undefined && { failoverMs: wholeNumber('--failover-ms', flags.failoverMs) }),
    ...(flags.mirrorSizeMb !== undefined && { mirrorSizeMb: wholeNumber('--mirror-size-mb', flags.mirrorSizeMb) }),
    ...(flags.resyncMbPerSec !== undefined && { mirrorResyncMbPerSec: wholeNumber('--resync-mb-per-sec', flags.resyncMbPerSec) }),
  };
  const twin = flags.like !== undefined || flags.fromFacts !== undefined;
  if (twin) refuseWithTwin(flags);
  else if (flags.nodes === undefined) throw new LockstepError('LOCKSTEP_E_CONFIG', '--nodes: how many nodes? (or --like RUNBOOK for a twin of its cluster)', { field: '--nodes' });
  const began = Date.now();
  let lab: Lab;
  if (twin) {
    const source = await twinSource(flags, command, readLiveFacts);
    const shape = twinPlan(source.facts, source.runbook).shape;
    await assertPortsFree(labNodes(shape.nodes.length, settings.portBase ?? LAB_DEFAULTS.portBase, shape.nodes.map((node) => node.name)));
    lab = await createTwin({ ...settings, ...source });
  } else {
    const options: LabOptions = { ...settings, nodes: wholeNumber('--nodes', flags.nodes as string), platform: flags.platform, version: flags.version, replicator: flags.replicator === true };
    const checked = checkOptions(options);
    await assertPortsFree(labNodes(checked.nodeCount, checked.portBase));
    lab = await createLab(options);
  }
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

/** A twin copies its shape: the flags that would set it are refused rather than ignored. */
function refuseWithTwin(flags: UpFlags): void {
  const clash = (['nodes', 'platform', 'version', 'replicator', 'product', 'rtChange', 'rtrTunable', 'scVersion'] as const).find((flag) => flags[flag] !== undefined && flags[flag] !== false);
  if (clash !== undefined) {
    const flag = `--${clash.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: a twin (--like, --from-facts) takes it from the cluster; leave it out`, { field: flag });
  }
}

async function twinSource(flags: UpFlags, command: Command, readLiveFacts: ReadLiveFacts | undefined): Promise<{ facts: FactsFile; runbook?: SourceRunbook }> {
  if (flags.fromFacts === undefined) {
    if (readLiveFacts === undefined) throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', '--like: this program cannot reach a coordinator; use --from-facts FILE');
    return readLiveFacts(command, flags.like as string);
  }
  const path = resolve(flags.fromFacts);
  const facts = parseFactsFile(await readText(path, '--from-facts'), path);
  if (flags.like === undefined) return { facts };
  const runbook = resolve(flags.like);
  return { facts, runbook: { path: runbook, yaml: await readText(runbook, '--like') } };
}

async function readText(path: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${field}: cannot read ${path}: ${describeError(error)}`, { field, cause: error });
  }
}
