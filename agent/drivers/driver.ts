// The driver interfaces the agent's service calls. Each driver turns a typed request into
// argv for one real tool, runs it through an Executor, and parses the tool's output.
import type { ClusterAction, ClusterStatus, MirrorStatus } from '../../shared/domain/cluster.js';
import type { OperationResult } from '../../shared/domain/operation.js';
import type { PackageAction, PackageInfo } from '../../shared/domain/package.js';
import type { ServiceAction, ServiceStatus } from '../../shared/domain/service.js';

export interface PackageApplyRequest {
  action: PackageAction;
  /** The package file (install, upgrade, downgrade): absolute, already checked by the path guard. */
  path?: string;
  /** The package name (remove). */
  name?: string;
  testOnly: boolean;
  /** downgrade: `--force` (the manual's section 6) instead of `--oldpackage`. */
  force: boolean;
}

export interface PackageDriver {
  readonly name: string;
  query(name: string): Promise<PackageInfo>;
  inspectFile(path: string): Promise<PackageInfo>;
  /** Runs the transaction; the result carries before/after versions and the commands. */
  apply(request: PackageApplyRequest): Promise<OperationResult>;
}

export interface ServiceDriver {
  readonly name: string;
  /** The services this driver may touch; anything else is refused before a command runs. */
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
}
