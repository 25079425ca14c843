// Solaris Cluster state as lockstep reasons about it, parsed from the `cl*` tools' output (3.2+)
// or 3.1's scstat and scha_resource_get (agent/drivers/cluster/solaris), and the SVR4 package facts read from `pkginfo -l`.

/**
 * When a resource's `Type_version` may be changed (Sun Cluster data services developer's
 * guide, "#$upgrade_from"), from least to most restrictive.
 */
export const TUNABLES = ['ANYTIME', 'WHEN_UNMONITORED', 'WHEN_OFFLINE', 'WHEN_DISABLED', 'WHEN_UNMANAGED', 'AT_CREATION'] as const;
export type Tunable = (typeof TUNABLES)[number];

export function isTunable(value: string): value is Tunable {
  return (TUNABLES as readonly string[]).includes(value);
}

/** The stricter of two Tunables: the one whose condition implies the other's. */
export function stricterTunable(a: Tunable, b: Tunable): Tunable {
  return TUNABLES.indexOf(a) >= TUNABLES.indexOf(b) ? a : b;
}

/**
 * The eight kinds of change of table 3-1 (seed 004), as runbooks and `lab up --rt-change` name
 * them. Here, not in the procedure, so the lab's flags and the procedure's params share them.
 */
export const RT_CHANGES = [
  'rtr-only',
  'methods-new-path',
  'new-monitor',
  'update-stop-incompatible',
  'new-property-needed',
  'new-property-not-needed',
  'fini-incompatible',
  'rtr-unchanged',
] as const;
export type RtChange = (typeof RT_CHANGES)[number];

/** A node as `clnode status` prints it. */
export interface ScNodeStatus {
  name: string;
  online: boolean;
  /** The word the tool printed (Online, Offline…). */
  statusText: string;
}

/** One row of `clresourcegroup status`: the group's state on one node of its node list. */
export interface ScGroupOnNode {
  node: string;
  suspended: boolean;
  /** Online, Offline, Unmanaged, Pending_online, Error--stop failed… as printed. */
  statusText: string;
}

export interface ScGroupStatus {
  name: string;
  nodes: ScGroupOnNode[];
}

/** One row of `clresource status`: the resource's state on one node. */
export interface ScResourceOnNode {
  node: string;
  /** Online, Offline, Start_failed, Online_not_monitored… as printed. */
  stateText: string;
  statusMessage: string;
}

export interface ScResourceStatus {
  name: string;
  nodes: ScResourceOnNode[];
}

/** A resource's properties as `clresource show` prints them. */
export interface ScResourceProperties {
  name: string;
  /** Registered type name, e.g. `LAB.app:1.0` (the version suffix is absent for 1.0-less types). */
  type: string;
  typeVersion: string;
  group: string;
  /** Resource_dependencies: the resources this one needs (disable them after it, enable them before). */
  dependsOn: string[];
  /** Per node (`Enabled{node}`); a cluster-wide `Enabled` line is stored under "". */
  enabled: Record<string, boolean>;
  monitored: Record<string, boolean>;
}

/** A registered type as `clresourcetype show` prints it. */
/** A resource as GetClusterResources answers it: what the rt-upgrade preflight reads. */
export interface ScResourceSummary {
  name: string;
  type: string;
  typeVersion: string;
  group: string;
  dependsOn: string[];
  /** Enabled (monitored) on every node it lists. */
  enabled: boolean;
  monitored: boolean;
  /** Nodes where it is Online. */
  onlineOn: string[];
}

/** A text file read from inside a package directory (ReadPackageFile). */
export interface PackageText {
  text: string;
  /** The file inside the package directory that was read. */
  path: string;
  sha256: string;
}

export interface ScResourceType {
  name: string;
  rtVersion: string;
  basedir: string;
}

/** An SVR4 package as `pkginfo -l` prints it. */
export interface Svr4PackageInfo {
  pkginst: string;
  name: string;
  version: string;
  arch: string;
  /** "completely installed", "partially installed"… as printed. */
  statusText: string;
  complete: boolean;
}
