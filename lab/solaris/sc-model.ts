// How a simulated Solaris Cluster reacts to the commands of a resource-type upgrade (SPEC §9,
// issue 13): pure functions over ScState, for the simulated node's cl* commands. It refuses
// what the real cluster refuses, so that a wrong procedure fails on the lab as it would on
// real machines:
// - Type_version changes only when the Tunable of the new type's RTR, for the resource's
//   current version, is satisfied (unmonitored / offline / disabled / group unmanaged);
// - a type is registered only once its (new) RTR file exists on every node;
// - a resource cannot be disabled while an enabled resource depends on it;
// - a group is unmanaged only when offline, and brought online only when managed;
// - replacing a type's methods in place (pkgrm/pkgadd of a package that overwrites them) on a
//   node in the cluster where a resource of that type is online is a violation: recorded, and
//   the command fails.
// Every function returns a new state and leaves its input alone.
import { parseRtr, registeredTypeName, rtrTunableFor } from '../../shared/solaris-rtr.js';
import type { Tunable } from '../../shared/domain/solaris.js';
import { describeError } from '../../shared/errors.js';

export type ScNodeState = 'cluster' | 'noncluster' | 'down';

export interface ScResourceState {
  name: string;
  /** The registered type name, `VENDOR.TYPE:VERSION`. */
  type: string;
  typeVersion: string;
  group: string;
  enabled: boolean;
  monitored: boolean;
  dependsOn: string[];
}

export interface ScGroupState {
  name: string;
  state: 'online' | 'offline' | 'unmanaged';
  /** Where it is online; null otherwise. */
  node: string | null;
  /** Its potential primaries, in order of preference. */
  nodeList: string[];
}

/** How a package replaces a type's methods when it is added (the seed's "package handling" column). */
export type MethodReplacement = 'rtr-only' | 'new-path' | 'monitor-in-place' | 'methods-in-place';

export interface ScPackage {
  version: string;
  /** The resource type whose methods the package carries. */
  type: string;
  replaces: MethodReplacement;
  /** RTR files the package installs: path → text. */
  rtrFiles: Record<string, string>;
}

export interface ScState {
  nodes: Record<string, ScNodeState>;
  resourceTypes: Array<{ name: string; rtr: string }>;
  resourceGroups: ScGroupState[];
  resources: ScResourceState[];
  /** Per node: installed packages by name. */
  packages: Record<string, Record<string, ScPackage>>;
  /** What the simulator caught a procedure doing that a real cluster would not survive. */
  violations: string[];
}

export type ScChange = { ok: true; state: ScState } | { ok: false; reason: string };

const refuse = (reason: string): ScChange => ({ ok: false, reason });

function edit(state: ScState, change: (next: ScState) => string | undefined): ScChange {
  const next = structuredClone(state);
  const reason = change(next);
  return reason === undefined ? { ok: true, state: next } : refuse(reason);
}

function resourceOf(state: ScState, name: string): ScResourceState | undefined {
  return state.resources.find((resource) => resource.name === name);
}

function groupOf(state: ScState, name: string): ScGroupState | undefined {
  return state.resourceGroups.find((group) => group.name === name);
}

/** The RTR files present on a node: those of its installed packages. */
export function rtrFilesOn(state: ScState, node: string): Record<string, string> {
  return Object.assign({}, ...Object.values(state.packages[node] ?? {}).map((pkg) => pkg.rtrFiles)) as Record<string, string>;
}

/** Online on a node: its group is online there and it is enabled. */
export function onlineOn(state: ScState, resource: ScResourceState): string | null {
  const group = groupOf(state, resource.group);
  return group?.state === 'online' && resource.enabled ? group.node : null;
}

/**
 * `clresourcetype register -f RTR TYPE` run on `onNode`: the name comes from that node's RTR,
 * and the same RTR must already be on every node (a node still holding the old file, or none,
 * would run the old methods under the new type).
 */
export function registerType(state: ScState, rtrPath: string, onNode: string): ScChange {
  const text = rtrFilesOn(state, onNode)[rtrPath];
  if (text === undefined) return refuse(`clresourcetype: RTR file ${rtrPath} does not exist on ${onNode}`);
  const lacking = Object.keys(state.nodes).filter((node) => rtrFilesOn(state, node)[rtrPath] !== text);
  if (lacking.length > 0) return refuse(`clresourcetype: the new RTR file ${rtrPath} is not installed on node(s) ${lacking.join(', ')}`);
  let name: string;
  try {
    name = registeredTypeName(parseRtr(text, rtrPath));
  } catch (error) {
    return refuse(`clresourcetype: ${describeError(error)}`);
  }
  if (state.resourceTypes.some((type) => type.name === name)) return refuse(`clresourcetype: resource type ${name} is already registered`);
  return edit(state, (next) => {
    next.resourceTypes.push({ name, rtr: text });
    return undefined;
  });
}

/** How far the resource is from running: what a Tunable asks for. */
function satisfies(state: ScState, resource: ScResourceState, tunable: Tunable): boolean {
  const group = groupOf(state, resource.group);
  const unmanaged = group?.state === 'unmanaged';
  const disabled = !resource.enabled || unmanaged;
  const offline = disabled || group?.state !== 'online';
  switch (tunable) {
    case 'ANYTIME':
      return true;
    case 'WHEN_UNMONITORED':
      return offline || !resource.monitored;
    case 'WHEN_OFFLINE':
      return offline;
    case 'WHEN_DISABLED':
      return disabled;
    case 'WHEN_UNMANAGED':
      return unmanaged;
    case 'AT_CREATION':
      return false;
  }
}

/** `clresource set -p Type_version=V R`: the new version's type must be registered and its Tunable satisfied. */
export function setTypeVersion(state: ScState, resourceName: string, version: string): ScChange {
  const resource = resourceOf(state, resourceName);
  if (resource === undefined) return refuse(`clresource: resource ${resourceName} does not exist`);
  const base = resource.type.split(':')[0] as string;
  const target = state.resourceTypes.find((type) => type.name === `${base}:${version}`);
  if (target === undefined) return refuse(`clresource: resource type ${base}:${version} is not registered`);
  const tunable = rtrTunableFor(parseRtr(target.rtr, target.name), resource.typeVersion).tunable;
  if (!satisfies(state, resource, tunable)) {
    return refuse(`clresource: Type_version of resource ${resourceName} cannot be changed from ${resource.typeVersion} to ${version} now: the new type allows it ${tunable}`);
  }
  return edit(state, (next) => {
    const changed = resourceOf(next, resourceName) as ScResourceState;
    changed.type = target.name;
    changed.typeVersion = version;
    return undefined;
  });
}

export function setMonitored(state: ScState, resourceName: string, monitored: boolean): ScChange {
  if (resourceOf(state, resourceName) === undefined) return refuse(`clresource: resource ${resourceName} does not exist`);
  return edit(state, (next) => {
    (resourceOf(next, resourceName) as ScResourceState).monitored = monitored;
    return undefined;
  });
}

/** `clresource disable R` fails while an enabled resource depends on R; `enable` needs what R depends on enabled. */
export function setEnabled(state: ScState, resourceName: string, enabled: boolean): ScChange {
  const resource = resourceOf(state, resourceName);
  if (resource === undefined) return refuse(`clresource: resource ${resourceName} does not exist`);
  if (!enabled) {
    const dependents = state.resources.filter((other) => other.enabled && other.dependsOn.includes(resourceName)).map((other) => other.name);
    if (dependents.length > 0) return refuse(`clresource: cannot disable ${resourceName}: enabled resource(s) ${dependents.join(', ')} depend on it`);
  } else {
    const disabled = resource.dependsOn.filter((name) => resourceOf(state, name)?.enabled === false);
    if (disabled.length > 0) return refuse(`clresource: cannot enable ${resourceName}: it depends on disabled resource(s) ${disabled.join(', ')}`);
  }
  return edit(state, (next) => {
    (resourceOf(next, resourceName) as ScResourceState).enabled = enabled;
    return undefined;
  });
}

/** The first node of the group's list that is in the cluster, other than `avoid`. */
function primaryFor(state: ScState, group: ScGroupState, avoid?: string): string | null {
  return group.nodeList.find((node) => node !== avoid && state.nodes[node] === 'cluster') ?? null;
}

export function groupOffline(state: ScState, groupName: string): ScChange {
  const group = groupOf(state, groupName);
  if (group === undefined) return refuse(`clresourcegroup: resource group ${groupName} does not exist`);
  if (group.state === 'unmanaged') return refuse(`clresourcegroup: resource group ${groupName} is unmanaged`);
  return edit(state, (next) => {
    Object.assign(groupOf(next, groupName) as ScGroupState, { state: 'offline', node: null });
    return undefined;
  });
}

export function groupOnline(state: ScState, groupName: string): ScChange {
  const group = groupOf(state, groupName);
  if (group === undefined) return refuse(`clresourcegroup: resource group ${groupName} does not exist`);
  if (group.state === 'unmanaged') return refuse(`clresourcegroup: resource group ${groupName} is unmanaged; manage it first`);
  if (group.state === 'online') return { ok: true, state };
  const node = primaryFor(state, group);
  if (node === null) return refuse(`clresourcegroup: no node of ${groupName}'s node list is in the cluster`);
  return edit(state, (next) => {
    Object.assign(groupOf(next, groupName) as ScGroupState, { state: 'online', node });
    return undefined;
  });
}

export function groupUnmanage(state: ScState, groupName: string): ScChange {
  const group = groupOf(state, groupName);
  if (group === undefined) return refuse(`clresourcegroup: resource group ${groupName} does not exist`);
  if (group.state === 'online') return refuse(`clresourcegroup: resource group ${groupName} must be offline before it is unmanaged`);
  return edit(state, (next) => {
    Object.assign(groupOf(next, groupName) as ScGroupState, { state: 'unmanaged', node: null });
    return undefined;
  });
}

export function groupManage(state: ScState, groupName: string): ScChange {
  const group = groupOf(state, groupName);
  if (group === undefined) return refuse(`clresourcegroup: resource group ${groupName} does not exist`);
  return edit(state, (next) => {
    const changed = groupOf(next, groupName) as ScGroupState;
    if (changed.state === 'unmanaged') Object.assign(changed, { state: 'offline', node: null });
    return undefined;
  });
}

/** `clnode evacuate NODE`: every group online there switches to its next primary in the cluster, or goes offline. */
export function evacuate(state: ScState, node: string): ScChange {
  if (state.nodes[node] === undefined) return refuse(`clnode: node ${node} does not exist`);
  return edit(state, (next) => {
    for (const group of next.resourceGroups) {
      if (group.state !== 'online' || group.node !== node) continue;
      const to = primaryFor(next, group, node);
      Object.assign(group, to === null ? { state: 'offline', node: null } : { node: to });
    }
    return undefined;
  });
}

/** `reboot -- -x` (leave: groups still there fail over first) or a normal reboot (rejoin). */
export function setNodeState(state: ScState, node: string, to: ScNodeState): ScChange {
  if (state.nodes[node] === undefined) return refuse(`node ${node} does not exist`);
  const evacuated = to === 'cluster' ? ({ ok: true, state } as const) : evacuate(state, node);
  if (!evacuated.ok) return evacuated;
  return edit(evacuated.state, (next) => {
    next.nodes[node] = to;
    return undefined;
  });
}

/**
 * pkgadd/pkgrm on a node. Replacing methods in place where a resource of the type is online
 * (or, for a monitor, online and monitored) on this node while it is in the cluster is a
 * violation: recorded in the returned state, and the command fails.
 */
export type PackageChange = ScChange | { ok: false; reason: string; violation: string; state: ScState };

export function changePackage(state: ScState, node: string, name: string, pkg: ScPackage | null): PackageChange {
  const installed = state.packages[node]?.[name];
  const replacing = pkg ?? installed;
  if (replacing !== undefined && state.nodes[node] === 'cluster') {
    const atRisk = state.resources.filter(
      (resource) =>
        resource.type.split(':')[0] === replacing.type &&
        onlineOn(state, resource) === node &&
        (replacing.replaces === 'methods-in-place' || (replacing.replaces === 'monitor-in-place' && resource.monitored)),
    );
    if (atRisk.length > 0) {
      const violation = `${pkg === null ? 'pkgrm' : 'pkgadd'} ${name} on ${node} replaced the ${replacing.replaces === 'monitor-in-place' ? 'monitor' : 'methods'} of ${replacing.type} in place while ${atRisk.map((resource) => resource.name).join(', ')} ran on it in the cluster`;
      const recorded = structuredClone(state);
      recorded.violations.push(violation);
      return { ok: false, reason: `${violation}; take the node out of the cluster first`, violation, state: recorded };
    }
  }
  return edit(state, (next) => {
    const onNode = (next.packages[node] ??= {});
    if (pkg === null) delete onNode[name];
    else onNode[name] = structuredClone(pkg);
    return undefined;
  });
}
