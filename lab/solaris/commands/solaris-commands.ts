// The commands of a simulated Solaris Cluster node (issue 13; REFERENCE.md "Solaris Cluster
// resource-type upgrades"): uname, cat /etc/cluster/release, pkginfo/pkgadd/pkgrm, the 3.2+
// cl* commands (not found on a 3.1 node, as on a real one), the 3.1 scrgadm/scswitch forms of
// the same actions and scstat/scha_resource_get reads (on both), and reboot (`-- -x` boots out
// of the cluster). Each one goes through sc-model, under the lab lock; what the
// model refuses exits 1 with the reason on stderr, as the real commands do. The cl* commands
// print nothing when they succeed; on a node booted out of the cluster they refuse.
import { readFileSync, statSync } from 'node:fs';
import type { LabView } from '../../node/lab-store.js';
import { powerDown } from '../../node/node-power.js';
import { failed, notFound, succeeded, type CommandOutput, type SimCommand, type SimContext } from '../../node/sim-command.js';
import { readScState, writeScState } from '../sc-lab-state.js';
import {
  changePackage,
  evacuate,
  groupManage,
  groupOffline,
  groupOnline,
  groupUnmanage,
  registerType,
  setEnabled,
  setMonitored,
  setNodeState,
  setTypeVersion,
  type PackageChange,
  type ScChange,
  type ScState,
} from '../sc-model.js';
import { scReleaseFile, SOLARIS_KERNEL, SOLARIS_MACHINE } from '../sc-node-facts.js';
import { parsePkginfoFile, readPackageDir } from '../svr4-package-dir.js';
import {
  renderClnodeStatus,
  renderClresourceShow,
  renderClresourceStatus,
  renderClresourcegroupStatus,
  renderClresourcetypeShow,
  renderPkginfo,
  renderResourceProperty,
  RESOURCE_OPTAGS,
  renderScstatGroups,
  renderScstatNodes,
} from './sc-render.js';

const UNAME: Readonly<Record<string, (node: string) => string>> = {
  s: () => 'SunOS',
  n: (node) => node,
  r: () => SOLARIS_KERNEL,
  v: () => 'Generic_141444-09',
  m: () => SOLARIS_MACHINE,
  p: () => 'sparc',
  i: () => 'SUNW,Sun-Fire-V240',
};

/** admin(4) is a dozen lines. */
const MAX_ADMIN_BYTES = 64 * 1024;
const NOT_IN_CLUSTER = (program: string): CommandOutput => failed(1, `${program}:  (C152734) This node is not in cluster mode.\n`);
const usage = (program: string, argv: readonly string[]): CommandOutput => failed(1, `${program}:  (C496618) unrecognized or incomplete command line: ${argv.slice(1).join(' ')}\n`);

const uname: SimCommand = async (argv, context) => {
  const letters = argv.slice(1).map((arg) => (arg.startsWith('-') ? arg.slice(1) : '?')).join('');
  if (letters.includes('?') || [...letters].some((letter) => UNAME[letter] === undefined && letter !== 'a')) return failed(1, 'usage: uname [-snrvmapiX]\n');
  const wanted = letters === '' ? 's' : letters.includes('a') ? 'snrvmpi' : letters;
  return succeeded(`${'snrvmpi'.split('').filter((letter) => wanted.includes(letter)).map((letter) => (UNAME[letter] as (node: string) => string)(context.node)).join(' ')}\n`);
};

/** The files a node has that an upgrade reads: the cluster release and the RTR files its packages installed. */
const cat: SimCommand = async (argv, context) => {
  const path = argv[1];
  if (argv.length !== 2 || path === undefined) return failed(2, 'usage: cat FILE (the simulated node reads one file at a time)\n');
  if (path === '/etc/cluster/release') return succeeded(scReleaseFile((await context.store.readCluster()).scRelease ?? '3.2'));
  const installed = Object.values(context.store.readNode().svr4Packages ?? {}).find((pkg) => pkg.rtrFiles[path] !== undefined);
  if (installed !== undefined) return succeeded(installed.rtrFiles[path] as string);
  return failed(2, `cat: cannot open ${path}: the simulated node serves only /etc/cluster/release and the RTR files its packages installed\n`);
};

function inCluster(view: LabView, node: string): boolean {
  return view.cluster.servers[node]?.state === 'online';
}

/** A read of the cluster (status, show): only on a node in the cluster; a name it does not have exits 1 naming it. */
async function readSc(context: SimContext, program: string, render: (state: ScState) => string, listed?: ListedNames): Promise<CommandOutput> {
  return context.store.update((view) => {
    if (!inCluster(view, context.node)) return NOT_IN_CLUSTER(program);
    const state = readScState(view);
    const known = listed?.in(state) ?? [];
    const unknown = listed?.names.find((name) => !known.includes(name));
    if (listed !== undefined && unknown !== undefined) return failed(1, `${program}: ${listed.of} ${unknown} does not exist\n`);
    return succeeded(render(state));
  });
}

/** Changes through the model, on a node in the cluster; a refusal exits 1 with the model's reason, keeping the changes before it. */
async function changeSc(context: SimContext, program: string, changes: ReadonlyArray<(state: ScState) => ScChange>): Promise<CommandOutput> {
  return context.store.update((view) => {
    if (!inCluster(view, context.node)) return NOT_IN_CLUSTER(program);
    let state = readScState(view);
    for (const change of changes) {
      const result = change(state);
      if (!result.ok) {
        writeScState(view, state);
        return failed(1, `${result.reason}\n`);
      }
      state = result.state;
    }
    writeScState(view, state);
    return succeeded();
  });
}

/** One change per operand, applied in turn: the first refusal stops the command, the operands before it stay changed (as a real cl* command leaves them). */
function each(names: readonly string[], change: (state: ScState, name: string) => ScChange): Array<(state: ScState) => ScChange> {
  return names.map((name) => (state: ScState) => change(state, name));
}

/** A listing of named objects: every name must exist, as the real command says otherwise. */
interface ListedNames {
  of: string;
  in: (state: ScState) => string[];
  names: readonly string[];
}

type Action =
  | { kind: 'read'; render: (state: ScState) => string; names?: ListedNames }
  | { kind: 'change'; changes: Array<(state: ScState) => ScChange> };

/** Operands: at least one, none an option. */
function operands(argv: readonly string[], from: number): string[] | undefined {
  const rest = argv.slice(from);
  return rest.length > 0 && rest.every((arg) => !arg.startsWith('-') && arg !== '') ? rest : undefined;
}

function clnodeAction(argv: readonly string[]): Action | undefined {
  const [sub, ...rest] = argv.slice(1);
  if (sub === 'status' && rest.length === 0) return { kind: 'read', render: renderClnodeStatus };
  const nodes = operands(argv, 2);
  if (sub === 'evacuate' && nodes !== undefined) return { kind: 'change', changes: each(nodes, evacuate) };
  return undefined;
}

function clresourcegroupAction(argv: readonly string[]): Action | undefined {
  const sub = argv[1];
  if (sub === 'status') {
    const names = argv.slice(2);
    return { kind: 'read', render: (state) => renderClresourcegroupStatus(names.length === 0 ? state : { ...state, resourceGroups: state.resourceGroups.filter((group) => names.includes(group.name)) }), names: { of: 'resource group', in: (state) => state.resourceGroups.map((group) => group.name), names } };
  }
  const groups = operands(argv, 2);
  if (groups === undefined) return undefined;
  const change = { offline: groupOffline, online: groupOnline, manage: groupManage, unmanage: groupUnmanage }[sub as 'offline'];
  return change === undefined ? undefined : { kind: 'change', changes: each(groups, change) };
}

function clresourceAction(argv: readonly string[]): Action | undefined {
  const sub = argv[1];
  const resourceNames = (state: ScState): string[] => state.resources.map((resource) => resource.name);
  if (sub === 'status') {
    const names = argv.slice(2);
    return { kind: 'read', render: (state) => renderClresourceStatus(names.length === 0 ? state : { ...state, resources: state.resources.filter((resource) => names.includes(resource.name)) }), names: { of: 'resource', in: resourceNames, names } };
  }
  if (sub === 'show') {
    const verbose = argv[2] === '-v';
    const names = argv.slice(verbose ? 3 : 2);
    if (names.some((name) => name.startsWith('-'))) return undefined;
    return { kind: 'read', render: (state) => renderClresourceShow(state, names), names: { of: 'resource', in: resourceNames, names } };
  }
  if (sub === 'set') {
    const match = /^Type_version=(.+)$/.exec(argv[3] ?? '');
    const resources = operands(argv, 4);
    if (argv[2] !== '-p' || match === null || resources === undefined) return undefined;
    return { kind: 'change', changes: each(resources, (state, name) => setTypeVersion(state, name, match[1] as string)) };
  }
  const resources = operands(argv, 2);
  if (resources === undefined) return undefined;
  switch (sub) {
    case 'monitor':
    case 'unmonitor':
      return { kind: 'change', changes: each(resources, (state, name) => setMonitored(state, name, sub === 'monitor')) };
    case 'enable':
    case 'disable':
      return { kind: 'change', changes: each(resources, (state, name) => setEnabled(state, name, sub === 'enable')) };
    default:
      return undefined;
  }
}

function clresourcetypeAction(argv: readonly string[], node: string): Action | undefined {
  const sub = argv[1];
  if (sub === 'show' && argv.length === 2) return { kind: 'read', render: renderClresourcetypeShow };
  if (sub === 'register' && argv[2] === '-f' && argv.length === 5) return registerAction(argv[3] as string, argv[4] as string, node);
  if (sub === 'list' && argv.length === 2) return { kind: 'read', render: (state) => state.resourceTypes.map((type) => `${type.name}\n`).join('') };
  return undefined;
}

/** The type operand must name the type the RTR declares (with or without its version). */
function registerAction(rtrPath: string, typeName: string, node: string): Action {
  return {
    kind: 'change',
    changes: [(state: ScState): ScChange => {
      const registered = registerType(state, rtrPath, node);
      if (!registered.ok) return registered;
      const added = registered.state.resourceTypes.at(-1)?.name ?? '';
      if (typeName !== added && typeName !== added.split(':')[0]) {
        return { ok: false, reason: `clresourcetype: the RTR file ${rtrPath} declares resource type ${added}, not ${typeName}` };
      }
      return registered;
    }],
  };
}

/** The 3.1 forms of the same actions (scrgadm, scswitch). */
function scrgadmAction(argv: readonly string[], node: string): Action | undefined {
  const args = argv.slice(1);
  const option = (flag: string): string | undefined => {
    const index = args.indexOf(flag);
    return index < 0 ? undefined : args[index + 1];
  };
  if (args[0] === '-a' && args[1] === '-t' && args.length === 5 && args[3] === '-f') return registerAction(args[4] as string, args[2] as string, node);
  const version = /^Type_version=(.+)$/.exec(option('-y') ?? '');
  const resource = option('-j');
  if (args[0] === '-c' && args.length === 5 && version !== null && resource !== undefined) {
    return { kind: 'change', changes: [(state) => setTypeVersion(state, resource, version[1] as string)] };
  }
  return undefined;
}

function scswitchAction(argv: readonly string[]): Action | undefined {
  const args = argv.slice(1);
  const key = args.slice(0, -1).join(' ');
  const name = args.at(-1) ?? '';
  if (name === '' || name.startsWith('-')) return undefined;
  const change: Record<string, (state: ScState) => ScChange> = {
    '-M -n -j': (state) => setMonitored(state, name, false),
    '-M -e -j': (state) => setMonitored(state, name, true),
    '-n -j': (state) => setEnabled(state, name, false),
    '-e -j': (state) => setEnabled(state, name, true),
    '-F -g': (state) => groupOffline(state, name),
    '-Z -g': (state) => groupOnline(state, name),
    '-u -g': (state) => groupUnmanage(state, name),
    '-o -g': (state) => groupManage(state, name),
    '-S -h': (state) => evacuate(state, name),
  };
  const chosen = change[key];
  return chosen === undefined ? undefined : { kind: 'change', changes: [chosen] };
}

function clusterCommand(program: string, parse: (argv: readonly string[], node: string) => Action | undefined): SimCommand {
  return async (argv, context) => {
    const action = parse(argv, context.node);
    if (action === undefined) return usage(program, argv);
    return action.kind === 'read' ? readSc(context, program, action.render, action.names) : changeSc(context, program, action.changes);
  };
}

/** `scstat -g`, `scstat -n` (3.1 and 3.2 alike). */
function scstatAction(argv: readonly string[]): Action | undefined {
  if (argv.length !== 2) return undefined;
  if (argv[1] === '-g') return { kind: 'read', render: renderScstatGroups };
  if (argv[1] === '-n') return { kind: 'read', render: renderScstatNodes };
  return undefined;
}

/** `scha_resource_get -O OPTAG -R RESOURCE [-G GROUP]`: one property of one resource. */
function schaResourceGetAction(argv: readonly string[]): Action | undefined {
  const args = argv.slice(1);
  const option = (flag: string): string | undefined => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
  const optag = option('-O');
  const name = option('-R');
  const group = option('-G');
  if (optag === undefined || name === undefined || args.length !== (group === undefined ? 4 : 6)) return undefined;
  if (!(RESOURCE_OPTAGS as readonly string[]).includes(optag.toUpperCase())) return undefined;
  return {
    kind: 'read',
    render: (state) => renderResourceProperty(state.resources.find((resource) => resource.name === name) as ScState['resources'][number], optag) ?? '',
    names: { of: 'resource', in: (state) => state.resources.filter((resource) => group === undefined || resource.group === group).map((resource) => resource.name), names: [name] },
  };
}

/** The cl* commands came with 3.2: on a 3.1 node the shell finds no such program. */
function since32(program: string, command: SimCommand): SimCommand {
  return async (argv, context) => ((await context.store.readCluster()).scRelease === '3.1' ? notFound(argv[0] ?? program) : command(argv, context));
}

// ---- SVR4 packages ----------------------------------------------------------------------

const notFoundPkg = (pkg: string): CommandOutput => failed(1, `ERROR: information for "${pkg}" was not found\n`);

/** `pkginfo -l PKG`, `pkginfo -l -d DIR PKG`, `pkginfo -q PKG`. */
const pkginfo: SimCommand = async (argv, context) => {
  const args = argv.slice(1);
  if (args[0] === '-q' && args.length === 2) {
    return context.store.readNode().svr4Packages?.[args[1] as string] === undefined ? failed(1, '') : succeeded();
  }
  if (args[0] !== '-l') return failed(1, 'usage: pkginfo [-q] [-l] [-d device] [pkg…]\n');
  if (args[1] === '-d' && args.length === 4) {
    const read = readPackageDir(args[2] as string, args[3] as string);
    if (!read.ok) return failed(1, `pkginfo: ${read.reason}\n`);
    return succeeded(renderPkginfo(args[3] as string, read.pkg) ?? '');
  }
  if (args.length !== 2 || (args[1] as string).startsWith('-')) return failed(1, 'usage: pkginfo [-q] [-l] [-d device] [pkg…]\n');
  const pkg = args[1] as string;
  const text = renderPkginfo(pkg, context.store.readNode().svr4Packages?.[pkg]);
  return text === null ? notFoundPkg(pkg) : succeeded(text);
};

/**
 * `-n -a ADMIN` first, as the agent's Svr4Driver runs them: returns the rest, or why not. The
 * admin file is read (the agent and the lab share this host): non-interactive pkgadd without
 * it would stop at a prompt, and the node models only `instance=overwrite`.
 */
function adminOptions(program: string, args: readonly string[]): { rest: readonly string[] } | { error: CommandOutput } {
  const admin = args[2];
  if (args[0] !== '-n' || args[1] !== '-a' || admin === undefined) return { error: failed(1, `${program}: the simulated node runs only ${program} -n -a ADMIN …\n`) };
  let text: string;
  try {
    text = statSync(admin).size <= MAX_ADMIN_BYTES ? readFileSync(admin, 'utf8') : '';
  } catch {
    return { error: failed(1, `${program}: ERROR: unable to open admin file <${admin}>\n`) };
  }
  const instance = parsePkginfoFile(text).instance;
  if (program === 'pkgadd' && instance !== 'overwrite') {
    return { error: failed(1, `${program}: ERROR: admin file <${admin}> says instance=${instance ?? '(unset)'}; the simulated node models only instance=overwrite\n`) };
  }
  return { rest: args.slice(3) };
}

/** Applies a package change; a violation is written to cluster.json even though the command fails. */
function applyPackage(context: SimContext, program: string, pkg: string, change: (state: ScState) => PackageChange, success: string): Promise<CommandOutput> {
  return context.store.update((view) => {
    const result = change(readScState(view));
    if (result.ok) {
      writeScState(view, result.state);
      return succeeded(success);
    }
    if ('violation' in result) writeScState(view, result.state);
    // The reason on stderr (what the agent reports), the tool's summary line on stdout.
    return failed(1, `${program}: ERROR: ${result.reason}\n`, `${program === 'pkgadd' ? 'Installation' : 'Removal'} of <${pkg}> failed.\n`);
  });
}

/** `pkgadd -n -a ADMIN -d DIR PKG` (instance=overwrite: a new version replaces the installed one). */
const pkgadd: SimCommand = async (argv, context) => {
  const options = adminOptions('pkgadd', argv.slice(1));
  if ('error' in options) return options.error;
  const [flag, device, pkg, ...extra] = options.rest;
  if (flag !== '-d' || device === undefined || pkg === undefined || extra.length > 0) return failed(1, 'pkgadd: usage: pkgadd -n -a ADMIN -d DEVICE PKG\n');
  const read = readPackageDir(device, pkg);
  if (!read.ok) return failed(1, `pkgadd: ${read.reason}\n`);
  const success = `Installation of <${pkg}> was successful.\n`;
  return applyPackage(context, 'pkgadd', pkg, (state) => changePackage(state, context.node, pkg, read.pkg), success);
};

/** `pkgrm -n -a ADMIN PKG`. */
const pkgrm: SimCommand = async (argv, context) => {
  const options = adminOptions('pkgrm', argv.slice(1));
  if ('error' in options) return options.error;
  const [pkg, ...extra] = options.rest;
  if (pkg === undefined || extra.length > 0) return failed(1, 'pkgrm: usage: pkgrm -n -a ADMIN PKG\n');
  const remove = (state: ScState): PackageChange =>
    state.packages[context.node]?.[pkg] === undefined ? { ok: false, reason: `no package associated with <${pkg}>` } : changePackage(state, context.node, pkg, null);
  return applyPackage(context, 'pkgrm', pkg, remove, `Removal of <${pkg}> was successful.\n`);
};

// ---- reboot ----------------------------------------------------------------------------

/**
 * `reboot -- -x` boots the node out of the cluster (noncluster mode), `reboot` into it: the
 * node leaves the cluster now (its groups fail over, as sc-model's setNodeState says), powers
 * off, and the lab supervisor boots it again (sim-boot.ts reads nextBoot).
 */
const reboot: SimCommand = async (argv, context) => {
  const args = argv.slice(1);
  const noncluster = args.length === 2 && args[0] === '--' && args[1] === '-x';
  if (args.length > 0 && !noncluster) return failed(1, `reboot: the simulated node runs "reboot" or "reboot -- -x", not "reboot ${args.join(' ')}"\n`);
  const powerOff = (): Promise<void> =>
    context.store.update((view) => {
      const down = setNodeState(readScState(view), context.node, 'down');
      if (down.ok) writeScState(view, down.state);
      view.node.nextBoot = noncluster ? 'noncluster' : 'cluster';
      powerDown(view, context.node);
    });
  return { exitCode: 0, stdout: '', stderr: '', powerOff };
};

export const SOLARIS_COMMANDS: ReadonlyMap<string, SimCommand> = new Map<string, SimCommand>([
  ['uname', uname],
  ['cat', cat],
  ['pkginfo', pkginfo],
  ['pkgadd', pkgadd],
  ['pkgrm', pkgrm],
  ['clnode', since32('clnode', clusterCommand('clnode', clnodeAction))],
  ['clresourcegroup', since32('clresourcegroup', clusterCommand('clresourcegroup', clresourcegroupAction))],
  ['clrg', since32('clrg', clusterCommand('clrg', clresourcegroupAction))],
  ['clresource', since32('clresource', clusterCommand('clresource', clresourceAction))],
  ['clrs', since32('clrs', clusterCommand('clrs', clresourceAction))],
  ['clresourcetype', since32('clresourcetype', clusterCommand('clresourcetype', clresourcetypeAction))],
  ['clrt', since32('clrt', clusterCommand('clrt', clresourcetypeAction))],
  ['scrgadm', clusterCommand('scrgadm', scrgadmAction)],
  ['scswitch', clusterCommand('scswitch', scswitchAction)],
  ['scstat', clusterCommand('scstat', scstatAction)],
  ['scha_resource_get', clusterCommand('scha_resource_get', schaResourceGetAction)],
  ['reboot', reboot],
]);
