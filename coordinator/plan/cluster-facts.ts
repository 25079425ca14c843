// What the coordinator reads from the nodes before it compiles a plan: the built-in
// procedures choose order, lead node, mirrors and package per node from these, and the
// preflight refuses what the vendor's manual refuses. All reads; nothing changes.
import type { ClusterStatus, MirrorStatus } from '../../shared/domain/cluster.js';
import type { PackageInfo } from '../../shared/domain/package.js';
import type { ScResourceSummary } from '../../shared/domain/solaris.js';
import type { ServiceStatus } from '../../shared/domain/service.js';

export interface NodeFacts {
  name: string;
  address: string;
  reachable: boolean;
  /** Why it could not be read, when unreachable. */
  error: string;
  hostname: string;
  agentVersion: string;
  /** `uname -m` as the agent reports it. */
  machine: string;
  bootId: string;
  /** The installed product package (e.g. clusterpro), as `rpm -q` reports it. */
  installed?: PackageInfo;
  /** The runbook's package file on this node, as `rpm -qp` reports it; absent when not asked or missing. */
  packageFile?: { package: PackageInfo; sha256: string } | { missing: string };
  /** Every package file the plan installs, by path: its sha256 on this node, or why it could not be read. */
  packageDigests?: Record<string, { sha256: string } | { missing: string }>;
  /** The services asked for (FactsRequest.services), as STATUS reports them. */
  services?: ServiceStatus[];
}

export interface ClusterFacts {
  nodes: NodeFacts[];
  /** The cluster as the first reachable node sees it (clpstat); absent for custom runbooks. */
  cluster?: ClusterStatus;
  /** Every mirror disk resource (clpmdstat); empty without Replicator. */
  mirrors: MirrorStatus[];
  /** What a Solaris Cluster resource-type upgrade reads; absent unless asked. */
  solaris?: SolarisFacts;
}

export interface SolarisFacts {
  /** The resources of the type, as the first reachable node lists them (clresource show -v / status; scstat and scha_resource_get on 3.1). */
  resources: ScResourceSummary[];
  /** Why they could not be listed; empty when they were. */
  resourcesError: string;
  /** The new RTR's text, read from the package on each node that could read it. */
  rtrText: Record<string, string>;
  /** Why a node could not read it, by node. */
  rtrUnread: Record<string, string>;
}

/** What to read: custom runbooks need only reachability; built-in procedures need the rest. */
export interface FactsRequest {
  productPackage?: string;
  packageFile?: string;
  /** Further package files to read (a custom runbook's package steps), for their digests. */
  packageFiles?: string[];
  /** Read clpstat and clpmdstat; `if-clustered`: only where the nodes have a cluster (custom runbooks), else go without. */
  cluster: boolean | 'if-clustered';
  /** Solaris Cluster rt-upgrade: the resources of `resourceType`, and `rtr` as the package at `package` installs it. */
  solaris?: { resourceType: string; package: string; rtr: string };
  /** Services to read the state of (a facts file's, not the plan's): STATUS only. */
  services?: readonly string[];
}
