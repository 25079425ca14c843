// Cluster state as lockstep reasons about it: parsed from clpstat / clpmdstat (CLUSTERPRO)
// or clnode / clresourcegroup (Solaris Cluster).

export type ServerState = 'online' | 'offline' | 'suspended' | 'caution' | 'error' | 'other';
export type GroupState = 'online' | 'offline' | 'online-pending' | 'offline-pending' | 'error' | 'other';

export interface ClusterServer {
  name: string;
  state: ServerState;
  /** The word the tool printed. */
  stateText: string;
  /** The server the status was read on (`*` in clpstat). */
  local: boolean;
}

export interface ClusterGroup {
  name: string;
  state: GroupState;
  stateText: string;
  /** Null when the group runs nowhere (`current : None`). */
  currentServer: string | null;
  /** The group's resources as clpstat lists them under it (e.g. `md1`); absent when not read. */
  resources?: string[];
  /**
   * The servers it may run on, most preferred first: a Solaris Cluster resource group's
   * Nodelist. Absent when the product does not say (clpstat does not print the failover policy).
   */
  nodeList?: string[];
}

export interface ClusterMonitor {
  name: string;
  stateText: string;
}

export interface ClusterStatus {
  clusterName: string;
  servers: ClusterServer[];
  groups: ClusterGroup[];
  monitors: ClusterMonitor[];
  /** Every server offline: the cluster service is not running. */
  stopped: boolean;
}

export type MirrorOverall = 'normal' | 'abnormal' | 'no-construction' | 'other';

export interface MirrorServerStatus {
  server: string;
  /** GREEN, RED, YELLOW, ORANGE, GRAY, BLACK… upper-cased as printed. */
  color: string;
  lastUpdate: string;
  breakTime: string;
  diskError: string;
  differencePercent: string;
}

export interface MirrorStatus {
  name: string;
  overall: MirrorOverall;
  overallText: string;
  servers: MirrorServerStatus[];
}

export type ClusterActionKind =
  | 'suspend'
  | 'resume'
  | 'stop-cluster'
  | 'stop-server'
  | 'move-group'
  | 'start-group'
  | 'stop-group'
  | 'mirror-recover'
  | 'register-type'
  | 'set-type-version'
  | 'monitor'
  | 'unmonitor'
  | 'enable-resource'
  | 'disable-resource'
  | 'rg-offline'
  | 'rg-online'
  | 'rg-manage'
  | 'rg-unmanage'
  | 'evacuate'
  | 'boot-noncluster'
  | 'rejoin';

/** A validated cluster action: the fields the action needs are present and well-formed. */
export interface ClusterAction {
  kind: ClusterActionKind;
  group?: string;
  server?: string;
  mirror?: string;
  resource?: string;
  resourceGroup?: string;
  resourceType?: string;
  rtrPath?: string;
  typeVersion?: string;
  node?: string;
}
