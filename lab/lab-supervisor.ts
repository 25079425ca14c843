// `lockstep lab up` part two (SPEC §9): one real lockstep-agent process per simulated node,
// kept alive the way power and systemd would keep it. A node that reboots or is shut down
// marks itself down and its agent exits: the supervisor starts it again after the node's
// reboot delay (the start boots the node). An agent that dies while its node is up crashed,
// or a chaos test killed it: it is restarted at once, like systemd's Restart=always. The
// supervisor also moves the cluster model's clock (mirror resyncs that come due).
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockstepError, describeError } from '../shared/errors.js';
import { advance } from './clusterpro/cluster-model.js';
import type { Logger } from '../shared/logger.js';
import { labPaths, readClusterState, readNodeState, withLabLock, writeClusterState, type ClusterState, type NodeState } from './state/lab-state.js';
import { agentPidFile, livePid, removePidFile, supervisorPidFile, terminate, writePidFile } from './lab-processes.js';

// A path, not an import: lab/ never imports agent/ (SPEC §2); it runs the program.
const AGENT_MAIN = fileURLToPath(new URL('../agent/main.js', import.meta.url));

const POLL_MS = 150;
const CLUSTER_TICK_MS = 100;
const STOP_GRACE_MS = 2_000;
// systemd's Restart=always with RestartSec; doubled while the agent keeps dying young.
const CRASH_RESTART_MS = 300;
const CRASH_RESTART_MAX_MS = 5_000;
const HEALTHY_RUN_MS = 2_000;

export interface SupervisorOptions {
  root: string;
  logger: Logger;
}

export interface RunningSupervisor {
  /** Stops every agent (SIGTERM, then SIGKILL after 2 s) and the loops; removes the pid file. */
  stop(): Promise<void>;
}

/** Starts every node's agent and the loops; refuses when another supervisor runs this lab. */
export function startSupervisor(options: SupervisorOptions): RunningSupervisor {
  const paths = labPaths(options.root);
  const pidFile = supervisorPidFile(paths.root);
  const other = livePid(pidFile, ['lab']);
  if (other !== undefined && other !== process.pid) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--dir: a lab supervisor already runs for ${paths.root} (pid ${other}); stop it with "lockstep lab down --dir ${paths.root}"`, {
      field: '--dir',
    });
  }
  writePidFile(pidFile, process.pid);
  const nodes = labNodeNames(paths.root).map((name) => new SupervisedAgent(paths.root, name, options.logger.child({ node: name })));
  const loops = [
    repeat(POLL_MS, async () => {
      for (const node of nodes) node.poll();
    }),
    repeat(CLUSTER_TICK_MS, errorsLoggedOnce(options.logger, 'cluster model tick failed', () => tickCluster(paths.root))),
  ];
  options.logger.info({ lab: paths.root, nodes: nodes.map((node) => node.name) }, 'lab supervisor started');
  for (const node of nodes) node.startFresh();
  return {
    stop: async () => {
      await Promise.all(loops.map((loop) => loop.stop()));
      await Promise.all(nodes.map((node) => node.stop()));
      removePidFile(pidFile);
      options.logger.info({ lab: paths.root }, 'lab supervisor stopped');
    },
  };
}

/** Runs the supervisor until SIGTERM, SIGINT or SIGHUP, then stops the agents and exits 0. */
export function superviseUntilSignalled(options: SupervisorOptions): RunningSupervisor {
  const supervisor = startSupervisor(options);
  let stopping = false;
  const onSignal = (name: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    options.logger.info({ signal: name }, 'stopping the lab');
    void supervisor.stop().then(() => process.exit(0));
  };
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(name, onSignal);
  return supervisor;
}

/** The lab's nodes, from the directories under LAB/nodes, in server order. */
export function labNodeNames(root: string): string[] {
  const { nodesDir } = labPaths(root);
  try {
    return readdirSync(nodesDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--dir: ${nodesDir} cannot be read (${describeError(error)}); is this a lab made by "lockstep lab up"?`, {
      field: '--dir',
      cause: error,
    });
  }
}

/** One node's agent process and what to do when it exits. */
class SupervisedAgent {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private startedAt = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  /** Exits in a row within HEALTHY_RUN_MS of starting: a crash loop backs off. */
  private youngExits = 0;
  private terminating = false;
  /** The node as it was when the agent started, and whether it has been up since. */
  private spawnedAs: Pick<NodeState, 'bootId' | 'bootCount'> | undefined;
  private booted = false;
  private stopping = false;
  private readonly dir: string;
  private readonly pidFile: string;

  constructor(
    private readonly root: string,
    readonly name: string,
    private readonly logger: Logger,
  ) {
    this.dir = labPaths(root).node(name).dir;
    this.pidFile = agentPidFile(this.dir);
  }

  /** The first start: an agent a killed supervisor left behind would hold the node's port. */
  startFresh(): void {
    const stray = livePid(this.pidFile, ['--sim', this.dir]);
    if (stray === undefined) {
      this.start();
      return;
    }
    this.logger.warn({ agentPid: stray }, 'stopping an agent left behind by an earlier supervisor');
    void terminate(stray, STOP_GRACE_MS).then(() => this.start());
  }

  /** Stops the agent of a node whose power went down under it (clpstdn from another node). */
  poll(): void {
    if (this.child === undefined || this.terminating) return;
    const node = this.readNode();
    if (node === undefined) return;
    // A node started powered off stays 'down' until its agent has booted it: not a shutdown.
    this.booted ||= node.power === 'up' || node.bootId !== this.spawnedAs?.bootId || node.bootCount !== this.spawnedAs.bootCount;
    if (!this.booted || node.power !== 'down') return;
    this.logger.info('node powered down while its agent runs: stopping the agent');
    void this.terminateChild();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    await this.terminateChild();
  }

  private start(): void {
    if (this.stopping) return;
    const node = this.readNode();
    if (node === undefined) {
      this.scheduleStart(CRASH_RESTART_MAX_MS, 'node.json unreadable');
      return;
    }
    if (node.poweredOff === true) {
      // `lab power NODE off`: no power, no agent, until `lab power NODE on` clears the flag.
      this.restartTimer = setTimeout(() => this.start(), POLL_MS);
      return;
    }
    const log = openSync(labPaths(this.root).node(this.name).log, 'a');
    try {
      const command = agentCommand(this.root, node);
      this.child = spawn(command.program, command.args, {
        stdio: ['ignore', log, log],
        // Its own process group: a Ctrl-C at the terminal reaches the supervisor, which decides.
        detached: true,
      });
    } finally {
      closeSync(log);
    }
    const child = this.child;
    this.startedAt = Date.now();
    this.spawnedAs = { bootId: node.bootId, bootCount: node.bootCount };
    this.booted = node.power === 'up';
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve(this.onExit(child, code, signal)));
      child.once('error', (error) => {
        this.logger.error({ err: error }, 'agent process error');
        // No pid: it never started, and no 'exit' will follow.
        if (child.pid === undefined) resolve(this.onExit(child, null, null));
      });
    });
    if (child.pid !== undefined) writePidFile(this.pidFile, child.pid);
    this.logger.info({ agentPid: child.pid, power: node.power }, 'agent started');
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.terminating = false;
    removePidFile(this.pidFile);
    if (this.stopping) return;
    const node = this.readNode();
    if (node?.power === 'down') {
      this.youngExits = 0;
      this.scheduleStart(node.rebootDelayMs, 'node down: starting it again after its reboot delay', { code, signal });
      return;
    }
    const ranMs = Date.now() - this.startedAt;
    this.youngExits = ranMs < HEALTHY_RUN_MS ? this.youngExits + 1 : 0;
    const delayMs = Math.min(CRASH_RESTART_MS * 2 ** Math.max(0, this.youngExits - 1), CRASH_RESTART_MAX_MS);
    this.scheduleStart(delayMs, 'agent exited while its node is up: restarting', { code, signal, ranMs });
  }

  private scheduleStart(delayMs: number, why: string, details: object = {}): void {
    this.logger.info({ ...details, delayMs }, why);
    this.restartTimer = setTimeout(() => this.start(), delayMs);
  }

  private async terminateChild(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    this.terminating = true;
    await terminate(child.pid, STOP_GRACE_MS);
    await this.exited;
  }

  private readNode(): NodeState | undefined {
    try {
      return readNodeState(this.root, this.name);
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot read node.json');
      return undefined;
    }
  }
}

/**
 * The agent's argv. A node with `netns` runs inside that network namespace: `ip netns exec`
 * enters it and execs node in its place, so the pid (and the pid file) stays the agent's.
 */
function agentCommand(root: string, node: NodeState): { program: string; args: string[] } {
  const args = [AGENT_MAIN, ...agentArguments(root, node)];
  if (node.netns === undefined) return { program: process.execPath, args };
  return { program: 'ip', args: ['netns', 'exec', node.netns, process.execPath, ...args] };
}

function agentArguments(root: string, node: NodeState): string[] {
  const paths = labPaths(root);
  const nodePaths = paths.node(node.name);
  return [
    '--sim',
    nodePaths.dir,
    '--listen',
    node.listen,
    '--state-dir',
    nodePaths.agentState,
    '--package-dir',
    node.packageDir,
    '--hooks-dir',
    node.hooksDir,
    '--service-manager',
    node.serviceManager,
    '--tls-ca',
    join(paths.pki, 'ca.pem'),
    '--tls-cert',
    join(paths.pki, 'agents', `${node.name}.pem`),
    '--tls-key',
    join(paths.pki, 'agents', `${node.name}.key`),
    '--log-level',
    'info',
  ];
}

/** Applies the cluster model's clock; takes the lab lock only when something is due. */
async function tickCluster(root: string): Promise<void> {
  if (!changes(readClusterState(root))) return;
  await withLabLock(root, () => {
    const state = readClusterState(root);
    const next = changes(state);
    if (next !== undefined) writeClusterState(root, next);
  });
}

/** The advanced state, or undefined when advancing now changes nothing. */
function changes(state: ClusterState): ClusterState | undefined {
  const next = advance(state, Date.now());
  return JSON.stringify(next) === JSON.stringify(state) ? undefined : next;
}

interface Loop {
  stop(): Promise<void>;
}

/** Runs `body` every `intervalMs`, never two at once. */
function repeat(intervalMs: number, body: () => Promise<void>): Loop {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const next = (): void => {
    timer = setTimeout(() => {
      current = body().finally(() => {
        if (running) next();
      });
    }, intervalMs);
  };
  next();
  return {
    stop: async () => {
      running = false;
      clearTimeout(timer);
      await current;
    },
  };
}

/** Logs a failure of a repeated task once until it succeeds again, rather than ten times a second. */
function errorsLoggedOnce(logger: Logger, message: string, body: () => Promise<void>): () => Promise<void> {
  let failing = false;
  return async () => {
    try {
      await body();
      failing = false;
    } catch (error) {
      if (!failing) logger.warn({ err: error }, message);
      failing = true;
    }
  };
}
