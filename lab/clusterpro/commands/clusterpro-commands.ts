// The CLUSTERPRO X commands the manual and the cluster driver use, over cluster.json through
// the cluster model: clpstat, clpmdstat, clpcl, clpgrp, clpdown, clpstdn, clpmdctrl.
// Success prints `Command succeeded.`; a refusal exits 1 with the product's reason on
// stderr (REFERENCE.md: scripts test only zero / non-zero).
import {
  clusterDown,
  forceMirrorRecovery,
  moveGroup,
  recoverMirror,
  setSuspended,
  startGroup,
  stopGroup,
  type ClusterChange,
} from '../cluster-model.js';
import type { ClusterState } from '../../state/lab-state.js';
import type { LabView } from '../../node/lab-store.js';
import { powerDown, powerOffThisNode } from '../../node/node-power.js';
import { failed, succeeded, type CommandOutput, type SimCommand, type SimContext } from '../../node/sim-command.js';
import { renderMirror, renderMirrorList } from './clpmdstat-render.js';
import { renderClpstat } from './clpstat-render.js';
import { CLUSTER_DAEMON, setRunning } from '../../node/commands/service-commands.js';

const SUCCEEDED = 'Command succeeded.\n';
const INVALID_OPTION = 'Invalid option.\n';
const NOT_CONNECTED = 'Could not connect to the server. Check if the cluster service is active.\n';

const clpstat: SimCommand = async (argv, context) => {
  if (argv.length > 1) return failed(1, INVALID_OPTION);
  return succeeded(renderClpstat(await context.store.readCluster(), context.node));
};

const clpmdstat: SimCommand = async (argv, context) => {
  const [option, mirror] = argv.slice(1);
  const cluster = await context.store.readCluster();
  if ((option === '-l' || option === '--list') && mirror === undefined) return succeeded(renderMirrorList(cluster));
  if ((option !== '-m' && option !== '--mirror') || mirror === undefined || argv.length !== 3) return failed(1, INVALID_OPTION);
  if (cluster.mirrors[mirror] === undefined) return failed(1, 'Invalid mirror disk resource name.\n');
  return succeeded(renderMirror(cluster, mirror, context.node, context.now()));
};

/**
 * clpmdctrl -r MD (CPRO-XL050-06 3.1.3.2: recovery by hand when auto recovery is off), and
 * -f [SERVER] MD, the forced recovery that makes SERVER's copy (default this one) the latest.
 */
const clpmdctrl: SimCommand = async (argv, context) => {
  const [option, ...operands] = argv.slice(1);
  const mirror = operands.at(-1);
  if ((option === '-r' || option === '--recovery') && operands.length === 1 && mirror !== undefined) {
    return changeCluster(context, (cluster) => recoverMirror(cluster, mirror, context.now()));
  }
  if ((option === '-f' || option === '--force') && (operands.length === 1 || operands.length === 2) && mirror !== undefined) {
    const source = operands.length === 2 ? (operands[0] as string) : context.node;
    return changeCluster(context, (cluster) => forceMirrorRecovery(cluster, mirror, source, context.now()));
  }
  return failed(1, INVALID_OPTION);
};

/** clpcl -s|-t [-a], --suspend, --resume (3.1.4 (2), (7)): one line per server it acted on. */
const clpcl: SimCommand = async (argv, context) => {
  const options = argv.slice(1);
  const all = options.includes('-a');
  const action = options.filter((option) => option !== '-a');
  if (action.length !== 1) return failed(1, INVALID_OPTION);
  switch (action[0]) {
    case '--suspend':
    case '--resume':
      return suspendOrResume(context, action[0] === '--suspend');
    case '-s':
    case '-t':
      return context.store.update((view) => startOrStop(view, all, action[0] === '-s', context.now()));
    default:
      return failed(1, INVALID_OPTION);
  }
};

async function suspendOrResume(context: SimContext, suspend: boolean): Promise<CommandOutput> {
  return context.store.update((view) => {
    if (!isLocalActive(view.cluster, context.node)) return failed(1, NOT_CONNECTED);
    const change = setSuspended(view.cluster, suspend);
    if (!change.ok) return failed(1, `${change.reason}\n`);
    view.cluster = change.state;
    const word = suspend ? 'Suspend' : 'Resume';
    const servers = Object.entries(change.state.servers).filter(([, server]) => server.state === 'online');
    return succeeded(servers.map(([name]) => `${word} ${name} : Command succeeded.\n`).join(''));
  });
}

/** The cluster daemon is the `clusterpro` service: clpcl -s/-t start and stop it. */
function startOrStop(view: LabView, all: boolean, start: boolean, now: number): CommandOutput {
  const names = all ? Object.keys(view.cluster.servers) : [view.node.name];
  let stdout = '';
  for (const name of names) {
    const node = name === view.node.name ? view.node : view.otherNode(name);
    if (node === undefined || node.power !== 'up' || node.services[CLUSTER_DAEMON] === undefined) continue;
    view.cluster = setRunning(node, view.cluster, CLUSTER_DAEMON, start, now);
    stdout += `${start ? 'Start' : 'Stop'} ${name} : Command succeeded.\n`;
  }
  return succeeded(stdout);
}

/** clpgrp -m GROUP [-a SERVER] | -s [GROUP] | -t [GROUP] (3.1.3.1 (1), 3.1.3.3 (1)). */
const clpgrp: SimCommand = async (argv, context) => {
  const [option, group, flag, server] = argv.slice(1);
  const local = context.node;
  if (option === '-m' && group !== undefined && (flag === undefined || (flag === '-a' && server !== undefined && argv.length === 5))) {
    return changeCluster(context, (cluster) => moveGroup(cluster, group, server));
  }
  if ((option === '-s' || option === '-t') && flag === undefined) {
    const start = option === '-s';
    return changeCluster(context, (cluster) => eachGroup(cluster, group, start ? local : undefined, start ? startGroup : stopGroup));
  }
  return failed(1, INVALID_OPTION);
};

type GroupAction = (cluster: ClusterState, group: string, server: string) => ClusterChange;

/**
 * One group, or without a name every group that can be acted on: -s starts the stopped
 * ones on this server, -t stops the ones running on it.
 */
function eachGroup(cluster: ClusterState, group: string | undefined, startOn: string | undefined, action: GroupAction): ClusterChange {
  if (group !== undefined) return action(cluster, group, startOn ?? '');
  let state = cluster;
  for (const [name, entry] of Object.entries(cluster.groups)) {
    const applies = startOn !== undefined ? entry.current === null && entry.servers.includes(startOn) : entry.current !== null;
    if (!applies) continue;
    const change = action(state, name, startOn ?? '');
    if (!change.ok) return change;
    state = change.state;
  }
  return { ok: true, state };
}

/** clpdown (3.1.3.1 (3)): this server leaves the cluster and powers off. */
const clpdown: SimCommand = async (argv, context) => {
  if (argv.length > 2 || (argv[1] !== undefined && argv[1] !== '-r')) return failed(1, INVALID_OPTION);
  return powerOffThisNode(context, SUCCEEDED);
};

/**
 * clpstdn (3.1.2 (2)): every server running the cluster service shuts down, and this one.
 * The lab supervisor restarts the other nodes' agents; this one exits after answering.
 */
const clpstdn: SimCommand = async (argv, context) => {
  if (argv.length > 2 || (argv[1] !== undefined && argv[1] !== '-r')) return failed(1, INVALID_OPTION);
  const powerOff = (): Promise<void> =>
    context.store.update((view) => {
      const servers = Object.entries(view.cluster.servers)
        .filter(([name, server]) => server.state === 'online' || name === context.node)
        .map(([name]) => name);
      view.cluster = clusterDown(view.cluster, servers, context.now());
      for (const server of servers) powerDown(view, server);
    });
  return { ...succeeded(SUCCEEDED), powerOff };
};

/** Applies a model change under the lock; the local cluster service must be running. */
function changeCluster(context: SimContext, change: (cluster: ClusterState) => ClusterChange): Promise<CommandOutput> {
  return context.store.update((view) => {
    if (!isLocalActive(view.cluster, context.node)) return failed(1, NOT_CONNECTED);
    const result = change(view.cluster);
    if (!result.ok) return failed(1, `${result.reason}\n`);
    view.cluster = result.state;
    return succeeded(SUCCEEDED);
  });
}

function isLocalActive(cluster: ClusterState, node: string): boolean {
  return cluster.servers[node]?.state === 'online';
}

export const CLUSTERPRO_COMMANDS: ReadonlyMap<string, SimCommand> = new Map([
  ['clpstat', clpstat],
  ['clpmdstat', clpmdstat],
  ['clpmdctrl', clpmdctrl],
  ['clpcl', clpcl],
  ['clpgrp', clpgrp],
  ['clpdown', clpdown],
  ['clpstdn', clpstdn],
]);
