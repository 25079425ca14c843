// proto <-> domain for the agent service. Used by the agent's gRPC adapter and by the
// client the coordinator and the tests use; nothing else sees generated types.
import * as pb from '../gen/lockstep/agent/v1/agent.js';
import type { ClusterAction, ClusterActionKind, ClusterStatus, GroupState, MirrorOverall, MirrorStatus, ServerState } from '../domain/cluster.js';
import type { NodeInfo } from '../domain/node.js';
import type { CommandRecord, OpContext, Operation, OperationState } from '../domain/operation.js';
import type { PackageAction, PackageInfo, PackageRequest } from '../domain/package.js';
import type { ServiceAction, ServiceStatus } from '../domain/service.js';
import { invalidArgument, LockstepError } from '../errors.js';
import { EnumMap } from './enum-map.js';

export { pb };

export const operationStates = new EnumMap<OperationState, pb.OperationState>('OperationState', [
  ['UNKNOWN', pb.OperationState.OPERATION_STATE_UNKNOWN],
  ['RUNNING', pb.OperationState.OPERATION_STATE_RUNNING],
  ['SUCCEEDED', pb.OperationState.OPERATION_STATE_SUCCEEDED],
  ['FAILED', pb.OperationState.OPERATION_STATE_FAILED],
  ['INTERRUPTED', pb.OperationState.OPERATION_STATE_INTERRUPTED],
]);

export const packageActions = new EnumMap<PackageAction, pb.PackageAction>('PackageAction', [
  ['install', pb.PackageAction.PACKAGE_ACTION_INSTALL],
  ['upgrade', pb.PackageAction.PACKAGE_ACTION_UPGRADE],
  ['downgrade', pb.PackageAction.PACKAGE_ACTION_DOWNGRADE],
  ['remove', pb.PackageAction.PACKAGE_ACTION_REMOVE],
]);

export const serviceActions = new EnumMap<ServiceAction, pb.ServiceAction>('ServiceAction', [
  ['enable', pb.ServiceAction.SERVICE_ACTION_ENABLE],
  ['disable', pb.ServiceAction.SERVICE_ACTION_DISABLE],
  ['start', pb.ServiceAction.SERVICE_ACTION_START],
  ['stop', pb.ServiceAction.SERVICE_ACTION_STOP],
  ['status', pb.ServiceAction.SERVICE_ACTION_STATUS],
]);

const serverStates = new EnumMap<ServerState, pb.ServerState>('ServerState', [
  ['online', pb.ServerState.SERVER_STATE_ONLINE],
  ['offline', pb.ServerState.SERVER_STATE_OFFLINE],
  ['suspended', pb.ServerState.SERVER_STATE_SUSPENDED],
  ['caution', pb.ServerState.SERVER_STATE_CAUTION],
  ['error', pb.ServerState.SERVER_STATE_ERROR],
  ['other', pb.ServerState.SERVER_STATE_OTHER],
]);

const groupStates = new EnumMap<GroupState, pb.GroupState>('GroupState', [
  ['online', pb.GroupState.GROUP_STATE_ONLINE],
  ['offline', pb.GroupState.GROUP_STATE_OFFLINE],
  ['online-pending', pb.GroupState.GROUP_STATE_ONLINE_PENDING],
  ['offline-pending', pb.GroupState.GROUP_STATE_OFFLINE_PENDING],
  ['error', pb.GroupState.GROUP_STATE_ERROR],
  ['other', pb.GroupState.GROUP_STATE_OTHER],
]);

const mirrorOveralls = new EnumMap<MirrorOverall, pb.MirrorOverall>('MirrorOverall', [
  ['normal', pb.MirrorOverall.MIRROR_OVERALL_NORMAL],
  ['abnormal', pb.MirrorOverall.MIRROR_OVERALL_ABNORMAL],
  ['no-construction', pb.MirrorOverall.MIRROR_OVERALL_NO_CONSTRUCTION],
  ['other', pb.MirrorOverall.MIRROR_OVERALL_OTHER],
]);

const K = pb.ClusterActionKind;
export const clusterActionKinds = new EnumMap<ClusterActionKind, pb.ClusterActionKind>('ClusterActionKind', [
  ['suspend', K.CLUSTER_ACTION_KIND_SUSPEND],
  ['resume', K.CLUSTER_ACTION_KIND_RESUME],
  ['stop-cluster', K.CLUSTER_ACTION_KIND_STOP_CLUSTER],
  ['stop-server', K.CLUSTER_ACTION_KIND_STOP_SERVER],
  ['move-group', K.CLUSTER_ACTION_KIND_MOVE_GROUP],
  ['start-group', K.CLUSTER_ACTION_KIND_START_GROUP],
  ['stop-group', K.CLUSTER_ACTION_KIND_STOP_GROUP],
  ['mirror-recover', K.CLUSTER_ACTION_KIND_MIRROR_RECOVER],
  ['register-type', K.CLUSTER_ACTION_KIND_REGISTER_TYPE],
  ['set-type-version', K.CLUSTER_ACTION_KIND_SET_TYPE_VERSION],
  ['monitor', K.CLUSTER_ACTION_KIND_MONITOR],
  ['unmonitor', K.CLUSTER_ACTION_KIND_UNMONITOR],
  ['enable-resource', K.CLUSTER_ACTION_KIND_ENABLE_RESOURCE],
  ['disable-resource', K.CLUSTER_ACTION_KIND_DISABLE_RESOURCE],
  ['rg-offline', K.CLUSTER_ACTION_KIND_RG_OFFLINE],
  ['rg-online', K.CLUSTER_ACTION_KIND_RG_ONLINE],
  ['rg-manage', K.CLUSTER_ACTION_KIND_RG_MANAGE],
  ['rg-unmanage', K.CLUSTER_ACTION_KIND_RG_UNMANAGE],
  ['evacuate', K.CLUSTER_ACTION_KIND_EVACUATE],
  ['boot-noncluster', K.CLUSTER_ACTION_KIND_BOOT_NONCLUSTER],
  ['rejoin', K.CLUSTER_ACTION_KIND_REJOIN],
]);

export function opContextFromWire(op: pb.OpContext | undefined): OpContext {
  if (op === undefined) throw invalidArgument('op', 'is required for a mutating request (op_id, run_id, epoch)');
  return { opId: op.opId, runId: op.runId, epoch: op.epoch, ...(op.plannedDowntime && { plannedDowntime: true }) };
}

export function opContextToWire(op: OpContext): pb.OpContext {
  return { opId: op.opId, runId: op.runId, epoch: op.epoch, plannedDowntime: op.plannedDowntime ?? false };
}

export function nodeInfoToWire(info: NodeInfo): pb.GetNodeInfoResponse {
  return { ...info, drivers: info.drivers.map((driver) => ({ ...driver })) };
}

export function nodeInfoFromWire(info: pb.GetNodeInfoResponse): NodeInfo {
  return {
    hostname: info.hostname,
    platform: info.platform,
    kernelRelease: info.kernelRelease,
    bootId: info.bootId,
    agentVersion: info.agentVersion,
    drivers: info.drivers.map((driver) => ({ role: driver.role, name: driver.name })),
    uptimeSeconds: info.uptimeSeconds,
    os: info.os,
  };
}

/** The fields the action uses: a removal names a package, the others give a file. */
export function packageRequestFromWire(request: pb.ApplyPackageRequest): PackageRequest {
  const action = packageActions.toDomain('action', request.action);
  if (action === 'remove') return { action, name: request.name, testOnly: request.testOnly };
  return { action, path: request.path, testOnly: request.testOnly, force: request.force, ...(request.expectedSha256 !== '' && { expectedSha256: request.expectedSha256 }) };
}

export function packageRequestToWire(op: OpContext, request: PackageRequest): pb.ApplyPackageRequest {
  const file =
    request.action === 'remove'
      ? { path: '', name: request.name, force: false, expectedSha256: '' }
      : { path: request.path, name: '', force: request.force ?? false, expectedSha256: request.expectedSha256 ?? '' };
  return { op: opContextToWire(op), action: packageActions.toWire(request.action), ...file, testOnly: request.testOnly ?? false };
}

export function packageInfoToWire(info: PackageInfo): pb.PackageInfo {
  return { ...info };
}

export function packageInfoFromWire(info: pb.PackageInfo | undefined): PackageInfo {
  const value = info ?? pb.PackageInfo.create();
  return {
    installed: value.installed,
    name: value.name,
    epoch: value.epoch,
    version: value.version,
    release: value.release,
    arch: value.arch,
    summary: value.summary,
    installTime: value.installTime,
  };
}

export function serviceStatusFromWire(status: pb.ServiceStatus | undefined): ServiceStatus {
  return { name: status?.name ?? '', enabled: status?.enabled ?? false, running: status?.running ?? false };
}

function commandToWire(command: CommandRecord): pb.CommandResult {
  return { ...command, argv: [...command.argv] };
}

function commandFromWire(command: pb.CommandResult): CommandRecord {
  return {
    argv: [...command.argv],
    exitCode: command.exitCode,
    outputTail: command.outputTail,
    timedOut: command.timedOut,
    truncated: command.truncated,
    durationMs: command.durationMs,
  };
}

export function operationToWire(operation: Operation): pb.Operation {
  const { result } = operation;
  return {
    opId: operation.opId,
    runId: operation.runId,
    epoch: operation.epoch,
    kind: operation.kind,
    state: operationStates.toWire(operation.state),
    startedAtMs: operation.startedAtMs,
    finishedAtMs: operation.finishedAtMs,
    commands: result.commands.map(commandToWire),
    message: result.message,
    bootId: operation.bootId,
    packageChange: result.packageChange && { before: packageInfoToWire(result.packageChange.before), after: packageInfoToWire(result.packageChange.after) },
    serviceStatus: result.serviceStatus && { ...result.serviceStatus },
  };
}

export function operationFromWire(operation: pb.Operation | undefined): Operation {
  if (operation === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', 'the agent answered without an operation');
  const state = operationStates.toDomainOr(operation.state, 'UNKNOWN');
  return {
    opId: operation.opId,
    runId: operation.runId,
    epoch: operation.epoch,
    kind: operation.kind,
    state,
    startedAtMs: operation.startedAtMs,
    finishedAtMs: operation.finishedAtMs,
    bootId: operation.bootId,
    result: {
      ok: state === 'SUCCEEDED',
      commands: operation.commands.map(commandFromWire),
      message: operation.message,
      ...(operation.packageChange && {
        packageChange: { before: packageInfoFromWire(operation.packageChange.before), after: packageInfoFromWire(operation.packageChange.after) },
      }),
      ...(operation.serviceStatus && { serviceStatus: serviceStatusFromWire(operation.serviceStatus) }),
    },
  };
}

export function clusterStatusToWire(status: ClusterStatus): pb.GetClusterStatusResponse {
  return {
    clusterName: status.clusterName,
    servers: status.servers.map((s) => ({ name: s.name, state: serverStates.toWire(s.state), stateText: s.stateText, local: s.local })),
    groups: status.groups.map((g) => ({ name: g.name, state: groupStates.toWire(g.state), stateText: g.stateText, currentServer: g.currentServer ?? '', resources: [...(g.resources ?? [])], nodeList: [...(g.nodeList ?? [])] })),
    monitors: status.monitors.map((m) => ({ ...m })),
    stopped: status.stopped,
  };
}

export function clusterStatusFromWire(status: pb.GetClusterStatusResponse): ClusterStatus {
  return {
    clusterName: status.clusterName,
    servers: status.servers.map((s) => ({ name: s.name, state: serverStates.toDomainOr(s.state, 'other'), stateText: s.stateText, local: s.local })),
    groups: status.groups.map((g) => ({
      name: g.name,
      state: groupStates.toDomainOr(g.state, 'other'),
      stateText: g.stateText,
      currentServer: g.currentServer === '' ? null : g.currentServer,
      resources: [...g.resources],
      ...(g.nodeList.length > 0 && { nodeList: [...g.nodeList] }),
    })),
    monitors: status.monitors.map((m) => ({ name: m.name, stateText: m.stateText })),
    stopped: status.stopped,
  };
}

export function mirrorToWire(mirror: MirrorStatus): pb.MirrorStatus {
  return { name: mirror.name, overall: mirrorOveralls.toWire(mirror.overall), overallText: mirror.overallText, servers: mirror.servers.map((s) => ({ ...s })) };
}

export function mirrorFromWire(mirror: pb.MirrorStatus): MirrorStatus {
  return {
    name: mirror.name,
    overall: mirrorOveralls.toDomainOr(mirror.overall, 'other'),
    overallText: mirror.overallText,
    servers: mirror.servers.map((s) => ({ ...s })),
  };
}

/** The fields of a ClusterActionRequest that are set, as a domain ClusterAction. */
export function clusterActionFromWire(request: pb.ClusterActionRequest): ClusterAction {
  const action: ClusterAction = { kind: clusterActionKinds.toDomain('action', request.action) };
  const optional = {
    group: request.group,
    server: request.server,
    mirror: request.mirror,
    resource: request.resource,
    resourceGroup: request.resourceGroup,
    resourceType: request.resourceType,
    rtrPath: request.rtrPath,
    typeVersion: request.typeVersion,
    node: request.node,
  } as const;
  for (const [key, value] of Object.entries(optional) as Array<[keyof typeof optional, string]>) {
    if (value !== '') action[key] = value;
  }
  return action;
}

export function clusterActionToWire(op: OpContext, action: ClusterAction): pb.ClusterActionRequest {
  return pb.ClusterActionRequest.fromPartial({ ...action, op: opContextToWire(op), action: clusterActionKinds.toWire(action.kind) });
}
