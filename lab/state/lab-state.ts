// The simulated lab's state on disk (SPEC §9), shared by the simulated node (lab/node),
// which changes it as commands run, and the lab command (lab/lab-command.ts), which creates
// and supervises it. Tests outside the project read these files: keep the layout.
//
//   LAB/cluster.json          servers, groups, mirrors, suspended (+ lab settings)
//   LAB/nodes/NAME/node.json  one node: platform, kernel, bootId, packages, services, faults
//   LAB/history.jsonl         one line per simulated command, from every node
//   LAB/runbook.yaml          a runbook for this lab
//   LAB/pki/                  certificates as `certs init` lays them out
import { appendFileSync, mkdirSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { LAB_PRODUCT_NAMES } from '../lab-choices.js';

/** noncluster: a Solaris node booted out of the cluster (`reboot -- -x`); CLUSTERPRO servers are never in it. */
export const serverStateSchema = z.enum(['online', 'offline', 'down', 'noncluster']);
export const groupStateSchema = z.enum(['online', 'offline', 'moving']);
export const mirrorColorSchema = z.enum(['GREEN', 'RED', 'YELLOW', 'ORANGE', 'GRAY', 'BLACK']);

export const LAB_PRODUCTS = LAB_PRODUCT_NAMES;
export type LabProduct = (typeof LAB_PRODUCTS)[number];

const scName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, { error: 'expected a name of letters, digits, ".", "_", ":" or "-"' });

/** A Solaris Cluster lab's resource types, groups and resources (lab/solaris/sc-model.ts's ScState). */
export const scResourceTypeSchema = z.strictObject({ name: scName, rtr: z.string() });
export const scResourceGroupSchema = z.strictObject({
  name: scName,
  state: z.enum(['online', 'offline', 'unmanaged']),
  node: z.string().nullable(),
  nodeList: z.array(z.string()).min(1),
});
export const scResourceSchema = z.strictObject({
  name: scName,
  type: scName,
  typeVersion: z.string(),
  group: scName,
  enabled: z.boolean(),
  monitored: z.boolean(),
  dependsOn: z.array(scName).default([]),
});

/** An SVR4 package installed on a Solaris node (lab/solaris/sc-model.ts's ScPackage). */
export const svr4PackageSchema = z.strictObject({
  version: z.string().min(1),
  type: scName,
  replaces: z.enum(['rtr-only', 'new-path', 'monitor-in-place', 'methods-in-place']),
  rtrFiles: z.record(z.string(), z.string()),
});

export const clusterStateSchema = z.object({
  /** Which cluster product the lab simulates; labs made before Solaris have none: CLUSTERPRO. */
  product: z.enum(LAB_PRODUCTS).optional(),
  clusterName: z.string(),
  servers: z.record(z.string(), z.object({ state: serverStateSchema })),
  groups: z.record(
    z.string(),
    z.object({
      current: z.string().nullable(),
      state: groupStateSchema,
      /** Where the group runs when the cluster starts (its failover policy's first server). */
      home: z.string(),
      /** Servers the group may run on, in failover order. */
      servers: z.array(z.string()),
      /** Mirror disk resources the group holds: it can only run where they are GREEN. */
      mirrors: z.array(z.string()).default([]),
    }),
  ),
  mirrors: z.record(z.string(), z.record(z.string(), mirrorColorSchema)),
  suspended: z.boolean(),
  /** Mirrors resync by themselves after a server comes back (the product's auto recovery). */
  autoMirrorRecovery: z.boolean(),
  /** Each mirror disk's size in MB: a resync copies it whole at mirrorResyncMbPerSec. */
  mirrorSizeMb: z.record(z.string(), z.number().nonnegative()).default({}),
  /** The mirror connect's copy rate during a resync, MB per second. */
  mirrorResyncMbPerSec: z.number().positive(),
  /** How long a group takes to fail over: from its server leaving to running on the next one. */
  failoverMs: z.number().int().nonnegative(),
  /** Failovers under way: group → the server it left and the epoch ms when it starts elsewhere. */
  failovers: z.record(z.string(), z.object({ from: z.string(), due: z.number() })).default({}),
  /** Resyncs under way: mirror → server → epoch ms when it turns GREEN. */
  resyncs: z.record(z.string(), z.record(z.string(), z.number())).default({}),
  /** When a mirror went out of sync on a server (Break Time in clpmdstat). */
  breakTimes: z.record(z.string(), z.record(z.string(), z.number())).default({}),
  // Solaris Cluster labs only (product solaris-cluster); empty for CLUSTERPRO.
  /** The Sun Cluster release the nodes run (lab up --sc-version); absent: 3.2, the cl* commands. */
  scRelease: z.enum(['3.1', '3.2']).optional(),
  resourceTypes: z.array(scResourceTypeSchema).optional(),
  resourceGroups: z.array(scResourceGroupSchema).optional(),
  resources: z.array(scResourceSchema).optional(),
  /** What the simulator caught a procedure doing that a real cluster would not survive (methods replaced in place). */
  violations: z.array(z.string()).optional(),
});

export type ClusterState = z.infer<typeof clusterStateSchema>;

/** The lab's product: a lab without the field (made before Solaris labs) is CLUSTERPRO. */
export function labProduct(cluster: Pick<ClusterState, 'product'>): LabProduct {
  return cluster.product ?? 'clusterpro';
}

export const faultSchema = z.object({
  /** The argv prefix the fault applies to, e.g. ["rpm", "-U"]; words are compared exactly. */
  match: z.array(z.string()).min(1),
  /** fail: exit with exitCode and stderr; hang: never answer (the executor's timeout ends it); slow: run after delayMs. */
  mode: z.enum(['fail', 'hang', 'slow']),
  delayMs: z.number().int().nonnegative().default(0),
  /**
   * slow only. before (the default): wait, then run. after: run (the effect happens and is in history.jsonl),
   * then wait before answering — an agent killed meanwhile never learns the command ran.
   */
  when: z.enum(['before', 'after']).optional(),
  exitCode: z.number().int().default(1),
  stderr: z.string().default('simulated failure\n'),
  /** How many more times it fires; absent: always. */
  times: z.number().int().positive().optional(),
});

export type Fault = z.infer<typeof faultSchema>;

export const installedPackageSchema = z.object({
  name: z.string(),
  epoch: z.string().default(''),
  version: z.string(),
  release: z.string(),
  arch: z.string(),
  summary: z.string(),
  /** Seconds since the epoch, as rpm's INSTALLTIME. */
  installTime: z.number().int(),
});

export const nodeStateSchema = z.object({
  name: z.string(),
  /** `uname -m`: i686, x86_64, ia64, ppc64 (VMware ESX 3.5's service console: i686). */
  machine: z.string(),
  /** The lab's platform word (x86_64, i686, ia64, ppc64, vmware) — what the packages were built for. */
  platform: z.string(),
  kernel: z.string(),
  bootId: z.string(),
  /** up: the agent may run; down: shut down or rebooting. */
  power: z.enum(['up', 'down']),
  rebootDelayMs: z.number().int().nonnegative(),
  /**
   * Powered off from outside (`lockstep lab power NODE off`, as a power loss): the node stays
   * down, and the supervisor does not start its agent, until `lab power NODE on`.
   */
  poweredOff: z.boolean().optional(),
  bootCount: z.number().int().nonnegative(),
  /** Epoch ms of the last boot (set by the simulated boot): the node's uptime counts from here. */
  bootTime: z.number().nonnegative().optional(),
  /** real: rpm runs against rpmDbPath; emulated: `packages` below is the database. */
  rpm: z.enum(['real', 'emulated']),
  rpmDbPath: z.string(),
  packages: z.record(z.string(), installedPackageSchema),
  serviceManager: z.enum(['sysv', 'systemd']),
  services: z.record(z.string(), z.object({ enabled: z.boolean(), running: z.boolean() })),
  faults: z.array(faultSchema).default([]),
  /** The agent's listen address and the directories it serves. */
  listen: z.string(),
  /**
   * A network namespace (made by whoever sets this, e.g. a partition test) to run the agent in:
   * the supervisor starts it with `ip netns exec NETNS`, and `listen` is then an address in it.
   */
  netns: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/)
    .optional(),
  packageDir: z.string(),
  hooksDir: z.string(),
  /** The node's operating system: SunOS nodes of a Solaris Cluster lab answer uname, pkg* and cl*. */
  os: z.enum(['linux', 'solaris']).optional(),
  /** Solaris: the SVR4 packages installed, by name (pkginfo's database). */
  svr4Packages: z.record(z.string(), svr4PackageSchema).optional(),
  /** Solaris: how the node boots next: `reboot -- -x` out of the cluster (noncluster), `reboot` into it. */
  nextBoot: z.enum(['cluster', 'noncluster']).optional(),
});

export type NodeState = z.infer<typeof nodeStateSchema>;

export interface HistoryEntry {
  /** Epoch ms, fractional. */
  t: number;
  node: string;
  argv: string[];
  exit: number;
}

export interface LabPaths {
  root: string;
  cluster: string;
  history: string;
  runbook: string;
  pki: string;
  packages: string;
  nodesDir: string;
  lock: string;
  node(name: string): { dir: string; state: string; agentState: string; log: string };
}

export function labPaths(root: string): LabPaths {
  return {
    root,
    cluster: join(root, 'cluster.json'),
    history: join(root, 'history.jsonl'),
    runbook: join(root, 'runbook.yaml'),
    pki: join(root, 'pki'),
    packages: join(root, 'packages'),
    nodesDir: join(root, 'nodes'),
    lock: join(root, '.lock'),
    node: (name) => {
      const dir = join(root, 'nodes', name);
      return { dir, state: join(dir, 'node.json'), agentState: join(dir, 'agent'), log: join(dir, 'agent.log') };
    },
  };
}

/** Writes a temporary file, syncs it, then renames: a reader never sees half a file. */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  const fd = openSync(temporary, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

export function readClusterState(root: string): ClusterState {
  return clusterStateSchema.parse(JSON.parse(readFileSync(labPaths(root).cluster, 'utf8')));
}

export function readNodeState(root: string, name: string): NodeState {
  return nodeStateSchema.parse(JSON.parse(readFileSync(labPaths(root).node(name).state, 'utf8')));
}

export function writeClusterState(root: string, state: ClusterState): void {
  writeJsonAtomic(labPaths(root).cluster, clusterStateSchema.parse(state));
}

export function writeNodeState(root: string, state: NodeState): void {
  writeJsonAtomic(labPaths(root).node(state.name).state, nodeStateSchema.parse(state));
}

/**
 * Runs `change` with the lab locked across processes: every node's agent and the lab
 * supervisor update cluster.json through here, so no update is ever lost.
 */
export async function withLabLock<T>(root: string, change: () => T | Promise<T>): Promise<T> {
  const lockTarget = labPaths(root).lock;
  writeFileSync(lockTarget, '', { flag: 'a' });
  const release = await lockfile.lock(lockTarget, {
    realpath: false,
    stale: 10_000,
    update: 2_000,
    retries: { retries: 2_000, factor: 1.2, minTimeout: 2, maxTimeout: 25 },
  });
  try {
    return await change();
  } finally {
    await release();
  }
}

/** Appends one line; O_APPEND keeps lines from different nodes whole. */
export function appendHistory(root: string, entry: HistoryEntry): void {
  appendFileSync(labPaths(root).history, `${JSON.stringify(entry)}\n`);
}

export function readHistory(root: string): HistoryEntry[] {
  let text: string;
  try {
    text = readFileSync(labPaths(root).history, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as HistoryEntry);
}
