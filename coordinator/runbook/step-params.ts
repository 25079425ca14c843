// What a node step is given: the runbook's `with`, validated and defaulted. A leaf, like
// step-kinds.ts: the runbook schema produces it, the compilers and the engine read it.

/** Parameters of a node step, by kind (the runbook's `with`, validated and defaulted). */
export interface StepParams {
  /** package.install|upgrade|downgrade: the package file on every node (absolute). */
  package?: string;
  /** package.query|remove, verify.package-version: the package name. */
  name?: string;
  /** verify.package-version: the version-release every node must have, e.g. "2.1.3-1". */
  version?: string;
  /**
   * package.install|upgrade|downgrade: the file's sha256 as this node reported it when the plan
   * was made (pin-package-digests.ts); the agent refuses the file if it has changed since.
   */
  sha256?: string;
  /** package.downgrade: rpm -U --force instead of --oldpackage (the manual's section 6). */
  force?: boolean;
  /** service.*: in the order given (the manual's order matters). */
  services?: string[];
  /** group.move|start|stop */
  group?: string;
  /** group.move: the destination server; absent lets the failover policy choose. */
  to?: string;
  /** mirror.recover, mirror.wait-green (absent: every mirror). */
  mirror?: string;
  /** mirror.wait-green: run `clpmdctrl -r` for mirrors that stay RED (auto recovery off). */
  recover?: boolean;
  /** hook.run */
  hook?: string;
  args?: string[];
  /** Solaris Cluster steps */
  resource?: string;
  resourceGroup?: string;
  resourceType?: string;
  rtrPath?: string;
  typeVersion?: string;
  /**
   * The plan stops the cluster or this server by design (a full-stop procedure, a runbook with
   * `downtime: planned`): the agent's availability veto lets the step through and journals it.
   */
  plannedDowntime?: boolean;
  /** How long the step may take on one node before the run blocks. */
  timeoutMs: number;
}
