// The agent's operations (SPEC §3.1), declared once in domain terms. The node's AgentService
// implements them; AgentClient implements them over gRPC; the coordinator's step actions
// call them without knowing which of the two they hold.
import type { ClusterAction, ClusterStatus, MirrorStatus } from './domain/cluster.js';
import type { NodeInfo } from './domain/node.js';
import type { OpContext, Operation } from './domain/operation.js';
import type { PackageFile, PackageInfo, PackageRequest } from './domain/package.js';
import type { ServiceAction, ServiceStatus } from './domain/service.js';
import type { PackageText, ScResourceSummary } from './domain/solaris.js';

/** A service after ControlService: the journaled operation (none for STATUS, which changes nothing) and the service's state. */
export interface ServiceControlAnswer {
  operation?: Operation;
  status: ServiceStatus;
}

/**
 * Every mutating call carries an OpContext: the agent runs an op id at most once and answers
 * a repeat from its journal (SPEC §3.2). A request the agent refuses rejects with
 * LOCKSTEP_E_INVALID_ARGUMENT naming the field, before anything is journaled or run.
 */
export interface AgentApi {
  nodeInfo(): Promise<NodeInfo>;
  queryPackage(name: string): Promise<PackageInfo>;
  inspectPackageFile(path: string): Promise<PackageFile>;
  applyPackage(op: OpContext, request: PackageRequest): Promise<Operation>;
  /** STATUS needs no op; every other action does. */
  controlService(op: OpContext | undefined, name: string, action: ServiceAction): Promise<ServiceControlAnswer>;
  clusterStatus(): Promise<ClusterStatus>;
  /** One mirror disk resource, or every one when `resource` is empty. */
  mirrorStatus(resource: string): Promise<MirrorStatus[]>;
  clusterAction(op: OpContext, action: ClusterAction): Promise<Operation>;
  runHook(op: OpContext, name: string, args: readonly string[]): Promise<Operation>;
  reboot(op: OpContext): Promise<Operation>;
  /** An op id the agent has never seen answers state UNKNOWN. */
  getOperation(opId: string): Promise<Operation>;
  /** Solaris Cluster: the resources of `type` (with or without `:VERSION`). */
  clusterResources(type: string): Promise<ScResourceSummary[]>;
  /** A file an SVR4 package directory installs at `installedPath`, read from the package (the RTR). */
  readPackageFile(packagePath: string, installedPath: string): Promise<PackageText>;
}
