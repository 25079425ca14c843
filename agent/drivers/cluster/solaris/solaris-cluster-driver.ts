// Solaris Cluster: reads state with `clnode status`, `clresourcegroup status`,
// `clresource status` and `clresource show`, and acts with the commands of REFERENCE.md
// ("Solaris Cluster resource-type upgrades"): the 3.2+ `cl*` forms, or, when the node reports
// Sun Cluster 3.1 (which has no cl* commands), the `scrgadm` / `scswitch` forms, reading state
// with `scstat -n`, `scstat -g` and each resource's properties with `scha_resource_get`.
// Before acting on a resource, a group or a node it checks that the cluster has it, so a typo
// in a runbook is an error naming the missing name rather than the tool's own message after
// the fact.
import type { ClusterAction, ClusterActionKind, ClusterGroup, ClusterStatus, GroupState, MirrorStatus } from '../../../../shared/domain/cluster.js';
import type { OperationResult } from '../../../../shared/domain/operation.js';
import type { ScGroupStatus, ScNodeStatus, ScResourceProperties, ScResourceStatus, ScResourceSummary } from '../../../../shared/domain/solaris.js';
import { LockstepError } from '../../../../shared/errors.js';
import { truncateForMessage } from '../../../../shared/names.js';
import type { ExecResult, Executor } from '../../../exec/executor.js';
import { operationResult, queryOutput } from '../../command-outcome.js';
import type { ClusterDriver } from '../../driver.js';
import { parseClresourceShow } from './cl-show-parser.js';
import { parseClnodeStatus, parseClresourcegroupStatus, parseClresourceStatus } from './cl-status-parser.js';
import { parseScstatGroups, parseScstatNodes } from './scstat-parser.js';

/** `3.1` uses scrgadm/scswitch; `3.2` stands for 3.2 and later (the `cl*` commands). */
export type SolarisClusterRelease = '3.1' | '3.2';

export interface SolarisClusterDriverOptions {
  executor: Executor;
  release: SolarisClusterRelease;
  /** Per command; the executor's default when unset. */
  timeoutMs?: number;
}

/** A resource as the upgrade procedure needs it: its properties and where it is online. */
export interface ScResource extends ScResourceProperties {
  /** Enabled on every node it lists (and at least one). */
  enabledEverywhere: boolean;
  monitoredEverywhere: boolean;
  /** Nodes where `clresource status` says Online (Online_not_monitored included). */
  onlineOn: string[];
}

/**
 * The cluster commands live in /usr/cluster/bin, which the agent's minimal PATH lacks; they are
 * still run by name, looked up in this PATH (no shell).
 */
const CLUSTER_ENV: Readonly<Record<string, string>> = { PATH: '/usr/cluster/bin:/usr/sbin:/usr/bin:/sbin:/bin' };

type Field = 'resource' | 'resourceGroup' | 'resourceType' | 'rtrPath' | 'typeVersion' | 'node';
type ArgvFor = (action: ClusterAction) => string[];

const CL_ARGV: ReadonlyMap<ClusterActionKind, ArgvFor> = new Map<ClusterActionKind, ArgvFor>([
  ['register-type', (a) => ['clresourcetype', 'register', '-f', field(a, 'rtrPath'), field(a, 'resourceType')]],
  ['set-type-version', (a) => ['clresource', 'set', '-p', `Type_version=${field(a, 'typeVersion')}`, field(a, 'resource')]],
  ['unmonitor', (a) => ['clresource', 'unmonitor', field(a, 'resource')]],
  ['monitor', (a) => ['clresource', 'monitor', field(a, 'resource')]],
  ['disable-resource', (a) => ['clresource', 'disable', field(a, 'resource')]],
  ['enable-resource', (a) => ['clresource', 'enable', field(a, 'resource')]],
  ['rg-offline', (a) => ['clresourcegroup', 'offline', field(a, 'resourceGroup')]],
  ['rg-online', (a) => ['clresourcegroup', 'online', field(a, 'resourceGroup')]],
  ['rg-unmanage', (a) => ['clresourcegroup', 'unmanage', field(a, 'resourceGroup')]],
  ['rg-manage', (a) => ['clresourcegroup', 'manage', field(a, 'resourceGroup')]],
  ['evacuate', (a) => ['clnode', 'evacuate', field(a, 'node')]],
]);

const SC31_ARGV: ReadonlyMap<ClusterActionKind, ArgvFor> = new Map<ClusterActionKind, ArgvFor>([
  ['register-type', (a) => ['scrgadm', '-a', '-t', field(a, 'resourceType'), '-f', field(a, 'rtrPath')]],
  ['set-type-version', (a) => ['scrgadm', '-c', '-j', field(a, 'resource'), '-y', `Type_version=${field(a, 'typeVersion')}`]],
  ['unmonitor', (a) => ['scswitch', '-M', '-n', '-j', field(a, 'resource')]],
  ['monitor', (a) => ['scswitch', '-M', '-e', '-j', field(a, 'resource')]],
  ['disable-resource', (a) => ['scswitch', '-n', '-j', field(a, 'resource')]],
  ['enable-resource', (a) => ['scswitch', '-e', '-j', field(a, 'resource')]],
  ['rg-offline', (a) => ['scswitch', '-F', '-g', field(a, 'resourceGroup')]],
  ['rg-online', (a) => ['scswitch', '-Z', '-g', field(a, 'resourceGroup')]],
  ['rg-unmanage', (a) => ['scswitch', '-u', '-g', field(a, 'resourceGroup')]],
  ['rg-manage', (a) => ['scswitch', '-o', '-g', field(a, 'resourceGroup')]],
  ['evacuate', (a) => ['scswitch', '-S', '-h', field(a, 'node')]],
]);

/** Which name each kind acts on, checked against the cluster before the command runs. */
const TARGET: ReadonlyMap<ClusterActionKind, 'resource' | 'resourceGroup' | 'node'> = new Map([
  ['set-type-version', 'resource'],
  ['unmonitor', 'resource'],
  ['monitor', 'resource'],
  ['disable-resource', 'resource'],
  ['enable-resource', 'resource'],
  ['rg-offline', 'resourceGroup'],
  ['rg-online', 'resourceGroup'],
  ['rg-unmanage', 'resourceGroup'],
  ['rg-manage', 'resourceGroup'],
  ['evacuate', 'node'],
]);

/** By stateKey: 3.2 writes `Online_faulted`, 3.1 `Online faulted` (scstat-parser.ts). */
const GROUP_STATES: ReadonlyMap<string, GroupState> = new Map([
  ['online', 'online'],
  ['online_faulted', 'online'],
  ['offline', 'offline'],
  ['pending_online', 'online-pending'],
  ['pending_offline', 'offline-pending'],
  ['pending_online_blocked', 'online-pending'],
  ['error--stop_failed', 'error'],
  ['error_stop_failed', 'error'],
]);

const stateKey = (text: string): string => text.trim().toLowerCase().replace(/[\s_]+/g, '_');

export class SolarisClusterDriver implements ClusterDriver {
  readonly name = 'solaris-cluster';
  private readonly executor: Executor;
  private readonly release: SolarisClusterRelease;
  private readonly timeoutMs: number | undefined;

  constructor(options: SolarisClusterDriverOptions) {
    this.executor = options.executor;
    this.release = options.release;
    this.timeoutMs = options.timeoutMs;
  }

  /** Nodes as servers, resource groups as groups (current server: the node it is Online on; node list: the nodes it is listed on, in its Nodelist's order). */
  async status(): Promise<ClusterStatus> {
    const nodes = await this.nodes();
    const groups = await this.groups();
    return {
      clusterName: '',
      servers: nodes.map((node) => ({ name: node.name, state: node.online ? 'online' : 'offline', stateText: node.statusText, local: false })),
      groups: groups.map(toClusterGroup),
      monitors: [],
      stopped: nodes.length > 0 && nodes.every((node) => !node.online),
    };
  }

  /** Solaris Cluster has no CLUSTERPRO mirror disks. */
  async mirrors(): Promise<MirrorStatus[]> {
    return [];
  }

  async groups(): Promise<ScGroupStatus[]> {
    if (this.release === '3.1') return parseScstatGroups(await this.query(['scstat', '-g'])).groups;
    return parseClresourcegroupStatus(await this.query(['clresourcegroup', 'status']));
  }

  private async nodes(): Promise<ScNodeStatus[]> {
    if (this.release === '3.1') return parseScstatNodes(await this.query(['scstat', '-n']));
    return parseClnodeStatus(await this.query(['clnode', 'status']));
  }

  /** Every resource (or those of `type`, matched with or without its `:VERSION`), with its properties and where it is online. */
  async resources(type?: string): Promise<ScResource[]> {
    const ofType = (resource: { type: string }): boolean => type === undefined || resource.type === type || resource.type.split(':')[0] === type;
    let properties: ScResourceProperties[];
    let statusList: ScResourceStatus[];
    if (this.release === '3.1') {
      const scstat = parseScstatGroups(await this.query(['scstat', '-g']));
      properties = await this.sc31Properties(scstat.members, ofType);
      statusList = scstat.resources;
    } else {
      properties = parseClresourceShow(await this.query(['clresource', 'show', '-v'])).filter(ofType);
      statusList = parseClresourceStatus(await this.query(['clresource', 'status']));
    }
    const statuses = new Map<string, ScResourceStatus>(statusList.map((status) => [status.name, status]));
    return properties
      .map((resource) => ({
        ...resource,
        enabledEverywhere: everyTrue(resource.enabled),
        monitoredEverywhere: everyTrue(resource.monitored),
        onlineOn: (statuses.get(resource.name)?.nodes ?? []).filter((node) => node.stateText.toLowerCase().startsWith('online')).map((node) => node.node),
      }));
  }

  /**
   * Sun Cluster 3.1: each resource's properties with scha_resource_get (one value per line,
   * scha_cmds(1HA)); 3.1's switches are cluster-wide, kept under "" as a cluster-wide
   * `Enabled` line is. The type is read first, the rest only for the resources of `ofType`.
   */
  private async sc31Properties(members: ReadonlyMap<string, string[]>, ofType: (resource: { type: string }) => boolean): Promise<ScResourceProperties[]> {
    const result: ScResourceProperties[] = [];
    for (const [group, names] of members) {
      for (const name of names) {
        const get = async (optag: string): Promise<string[]> =>
          (await this.query(['scha_resource_get', '-O', optag, '-R', name, '-G', group])).split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
        const type = (await get('TYPE'))[0] ?? '';
        if (!ofType({ type })) continue;
        result.push({
          name,
          type,
          typeVersion: (await get('TYPE_VERSION'))[0] ?? '',
          group,
          dependsOn: await get('RESOURCE_DEPENDENCIES'),
          enabled: { '': switchOn(await get('ON_OFF_SWITCH'), name, 'ON_OFF_SWITCH') },
          monitored: { '': switchOn(await get('MONITORED_SWITCH'), name, 'MONITORED_SWITCH') },
        });
      }
    }
    return result;
  }

  /** resources(type) as GetClusterResources answers it. */
  async resourcesOfType(type: string): Promise<ScResourceSummary[]> {
    return (await this.resources(type)).map((resource) => ({
      name: resource.name,
      type: resource.type,
      typeVersion: resource.typeVersion,
      group: resource.group,
      dependsOn: resource.dependsOn,
      enabled: resource.enabledEverywhere,
      monitored: resource.monitoredEverywhere,
      onlineOn: resource.onlineOn,
    }));
  }

  async act(action: ClusterAction): Promise<OperationResult> {
    const argvFor = (this.release === '3.1' ? SC31_ARGV : CL_ARGV).get(action.kind);
    if (argvFor === undefined) {
      throw new LockstepError(
        'LOCKSTEP_E_UNSUPPORTED',
        `cluster action "${action.kind}" is not supported by the ${this.name} driver${NODE_LEVEL.has(action.kind) ? ': leaving and rejoining the cluster are reboots of the node (reboot -- -x, reboot), done through the agent\'s reboot operation' : ': it is a CLUSTERPRO action'}`,
      );
    }
    const argv = argvFor(action);
    await this.requireKnown(action);
    return operationResult(await this.run(argv));
  }

  /** A resource, group or node the cluster does not have is refused naming it; nothing runs. */
  private async requireKnown(action: ClusterAction): Promise<void> {
    const target = TARGET.get(action.kind);
    if (target === undefined) return;
    const name = field(action, target);
    const known = target === 'resource' ? await this.resourceNames() : target === 'resourceGroup' ? (await this.groups()).map((entry) => entry.name) : (await this.nodes()).map((entry) => entry.name);
    if (!known.includes(name)) {
      const what = target === 'resource' ? 'resource' : target === 'resourceGroup' ? 'resource group' : 'node';
      throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `the cluster has no ${what} "${name}" (it has: ${known.join(', ') || 'none'}); nothing was run`, {
        field: target === 'resourceGroup' ? 'resource_group' : target,
      });
    }
  }

  private async resourceNames(): Promise<string[]> {
    if (this.release === '3.1') return [...parseScstatGroups(await this.query(['scstat', '-g'])).members.values()].flat();
    return parseClresourceStatus(await this.query(['clresource', 'status'])).map((entry) => entry.name);
  }

  private query(argv: string[]): Promise<string> {
    return queryOutput(this.executor, { argv, timeoutMs: this.timeoutMs, env: CLUSTER_ENV });
  }

  private run(argv: string[]): Promise<ExecResult> {
    return this.executor.run({ argv, timeoutMs: this.timeoutMs, env: CLUSTER_ENV });
  }
}

const NODE_LEVEL: ReadonlySet<ClusterActionKind> = new Set(['boot-noncluster', 'rejoin']);

function everyTrue(values: Record<string, boolean>): boolean {
  const all = Object.values(values);
  return all.length > 0 && all.every(Boolean);
}

/** scha_resource_get's ON_OFF_SWITCH / MONITORED_SWITCH: ENABLED or DISABLED. */
function switchOn(lines: readonly string[], resource: string, optag: string): boolean {
  const word = (lines[0] ?? '').toUpperCase();
  if (word === 'ENABLED') return true;
  if (word === 'DISABLED') return false;
  throw new LockstepError('LOCKSTEP_E_PARSE', `scha_resource_get -O ${optag} -R ${resource} printed "${truncateForMessage(lines.join(' '), 40)}", expected ENABLED or DISABLED`);
}

function toClusterGroup(group: ScGroupStatus): ClusterGroup {
  const online = group.nodes.find((node) => GROUP_STATES.get(stateKey(node.statusText)) === 'online');
  const states = group.nodes.map((node) => GROUP_STATES.get(stateKey(node.statusText)) ?? 'other');
  const state: GroupState = online !== undefined ? 'online' : states.find((value) => value !== 'offline') ?? 'offline';
  const shown = online ?? group.nodes.find((node) => stateKey(node.statusText) !== 'offline') ?? group.nodes[0];
  return { name: group.name, state, stateText: shown?.statusText ?? '', currentServer: online?.node ?? null, nodeList: group.nodes.map((node) => node.node) };
}

/** A field cluster-action-rules requires for this kind: its absence here is a bug, not a bad request. */
function field(action: ClusterAction, name: Field): string {
  const value = action[name];
  if (value === undefined || value === '') {
    throw new LockstepError('LOCKSTEP_E_INTERNAL', `cluster action ${action.kind} reached the driver without ${name}: the agent service should have refused it`);
  }
  return value;
}
