// The driver interfaces the agent's service calls. Each driver turns a typed request into
// argv for one real tool, runs it through an Executor, and parses the tool's output. The
// service has checked every value a driver receives (names, paths, the allow-list, the
// fields a cluster action needs): drivers do not check them again.
import type { ClusterAction, ClusterStatus, MirrorStatus } from '../../shared/domain/cluster.js';
import type { OperationResult } from '../../shared/domain/operation.js';
import type { PackageInfo, PackageRequest } from '../../shared/domain/package.js';
import type { ServiceAction, ServiceStatus } from '../../shared/domain/service.js';
import type { ScResourceSummary } from '../../shared/domain/solaris.js';

export interface PackageDriver {
  readonly name: string;
  query(name: string): Promise<PackageInfo>;
  /** `path` is the file's real path, inside a package directory (package-path-guard). */
  inspectFile(path: string): Promise<PackageInfo>;
  /** Runs the transaction; the result carries before/after versions and the commands. */
  apply(request: PackageRequest): Promise<OperationResult>;
}

export interface ServiceDriver {
  readonly name: string;
  /** The services this driver may touch; the service refuses any other before a command runs. */
  readonly allowList: ReadonlySet<string>;
  control(name: string, action: Exclude<ServiceAction, 'status'>): Promise<OperationResult>;
  status(name: string): Promise<ServiceStatus>;
}

export interface ClusterDriver {
  readonly name: string;
  status(): Promise<ClusterStatus>;
  /** One mirror disk resource, or every one when `resource` is undefined. */
  mirrors(resource?: string): Promise<MirrorStatus[]>;
  /** Throws LOCKSTEP_E_UNSUPPORTED for actions of another cluster product. */
  act(action: ClusterAction): Promise<OperationResult>;
  /** Solaris Cluster only: the resources of a type. */
  resourcesOfType?(type: string): Promise<ScResourceSummary[]>;
}
