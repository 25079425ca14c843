// `lockstep lab up` part one (SPEC §9): lays out a simulated cluster on disk — cluster.json,
// one node.json per node with its own rpm database, the packages, the certificates, a
// runbook and an empty history. Nothing runs yet; the supervisor starts the agents.
import { CLUSTERPRO_2X_SERVICES } from '../shared/domain/clusterpro.js';
import { randomUUID } from 'node:crypto';
import { chmodSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { LockstepError, describeError } from '../shared/errors.js';
import { preparePrivateDir } from '../shared/private-dir.js';
import { labPaths, writeClusterState, writeNodeState, type ClusterState, type LabPaths, type NodeState } from './state/lab-state.js';
import { initCertificates } from '../shared/pki/certs-init.js';
import { isLabPlatform, LAB_PLATFORMS, packageFileName, platformFacts, productSummary, type LabPlatform } from './clusterpro/lab-platforms.js';
import { buildRealRpms, installIntoNewDb, rpmToolsAvailable, writeEmulatedRpms, type LabRpm } from './lab-rpms.js';
import { renderLabRunbook } from './clusterpro/lab-runbook.js';
import { initialClusterState, rollingOrder, shapedClusterState } from './clusterpro/lab-topology.js';
import { checkSolarisChoice, initialSolarisCluster, renderSolarisRunbook, solarisNodeFields, writeLabPackage, type SolarisLabChoice } from './solaris/lab-solaris.js';
import { LAB_PRODUCTS, type LabProduct } from './state/lab-state.js';

export const LAB_DEFAULTS = {
  platform: 'x86_64',
  version: '2.0.0-1',
  portBase: 17451,
  rebootDelayMs: 1_500,
  // A resync copies the whole mirror disk: 150 MB at 100 MB/s is 1.5 s.
  mirrorSizeMb: 150,
  mirrorResyncMbPerSec: 100,
  // CLUSTERPRO's failover of a group whose server shut down: a few seconds to stop and start it.
  failoverMs: 3_000,
} as const;

/** CPRO-XL050-06's target: what the lab's runbook upgrades to. */
export const LAB_TARGET_VERSION = '2.1.3-1';

// Each node is a real agent process: past a few hundred the machine, not the lab, is the test.
const MAX_NODES = 256;
// CPRO-XL050-06 3.1.2 (1): the 2.x services, in the order the manual stops them.
const RPM_WORD = /^[A-Za-z0-9._+~^]+$/;
// What a runbook accepts as a node name (coordinator/runbook/runbook-fields.ts).
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface LabOptions {
  dir: string;
  nodes: number;
  /** clusterpro (default) or solaris-cluster (issue 13). */
  product?: string;
  /** Solaris: the row of table 3-1 the lab rehearses (--rt-change). */
  rtChange?: string;
  /** Solaris: the Tunable of the new RTR's #$upgrade_from "1.0" line (--rtr-tunable); the row's by default. */
  rtrTunable?: string;
  /** Solaris: the Sun Cluster release the nodes run (--sc-version 3.1|3.2, default 3.2). */
  scVersion?: string;
  platform?: string;
  /** VERSION-RELEASE installed on every node, e.g. 2.0.0-1 (any, also one the bundle refuses). */
  version?: string;
  replicator?: boolean;
  portBase?: number;
  rebootDelayMs?: number;
  mirrorSizeMb?: number;
  mirrorResyncMbPerSec?: number;
  failoverMs?: number;
  autoMirrorRecovery?: boolean;
  /** real: rpm and rpmbuild (refused where missing); emulated: the node's own rpm; auto (default): real where possible. */
  rpm?: 'auto' | RpmMode;
  /** VERSION-RELEASE the lab's runbook upgrades to (default 2.1.3-1). */
  targetVersion?: string;
  /**
   * A given cluster instead of server1..N (a twin, issue 17): its node names, each node's
   * installed version and services, its groups and mirrors. `nodes` must be its node count;
   * `version` and `replicator` are then ignored.
   */
  shape?: LabShape;
}

/** The cluster a twin copies (lab/twin/lab-twin.ts reads it from a preflight's facts). */
export interface LabShape {
  clusterName: string;
  nodes: ReadonlyArray<{ name: string; version: string; services?: Readonly<Record<string, { enabled: boolean; running: boolean }>> }>;
  /** Every server's state as the cluster reports it; a twin's agents boot into it. */
  servers: Readonly<Record<string, ClusterState['servers'][string]['state']>>;
  groups: ClusterState['groups'];
  mirrors: ClusterState['mirrors'];
}

type RpmMode = NodeState['rpm'];

export interface LabNode {
  name: string;
  /** HOST:PORT the node's agent listens on. */
  address: string;
}

export interface Lab {
  /** Absolute path of the lab directory. */
  root: string;
  nodes: LabNode[];
  runbook: string;
  /** The update's package: the 2.1.3-1 rpm for the lab's platform, or a Solaris lab's LABapp 2.0 directory. */
  targetPackage: string;
}

interface CheckedOptions {
  root: string;
  nodeCount: number;
  /** Set for a Solaris Cluster lab. */
  solaris: SolarisLabChoice | undefined;
  platform: LabPlatform;
  version: { version: string; release: string };
  replicator: boolean;
  portBase: number;
  rebootDelayMs: number;
  mirrorSizeMb: number;
  mirrorResyncMbPerSec: number;
  failoverMs: number;
  autoMirrorRecovery: boolean;
  rpm: 'auto' | RpmMode;
  targetVersion: { version: string; release: string };
  shape: LabShape | undefined;
}

/** The starting version's package, as the nodes have it installed. */
interface InstalledPackage {
  rpm: LabRpm;
  path: string;
}

/**
 * Creates the lab in `options.dir`, which must be absent (it is created 0700) or an empty
 * directory of this user that nobody else may write; on failure leaves it as it was.
 */
export async function createLab(options: LabOptions): Promise<Lab> {
  const checked = checkOptions(options);
  await prepareLabDir(checked.root);
  const rpmMode = checked.solaris === undefined ? await chooseRpmMode(checked.rpm) : 'emulated';
  try {
    return checked.solaris === undefined ? await layOut(checked, rpmMode) : await layOutSolaris(checked, checked.solaris);
  } catch (error) {
    await removeContents(checked.root);
    throw error;
  }
}

/** The lab's nodes and their addresses, from the options alone (for checks before creating); `names` default server1..N. */
export function labNodes(nodeCount: number, portBase: number, names?: readonly string[]): LabNode[] {
  return Array.from({ length: nodeCount }, (_, index) => ({ name: names?.[index] ?? `server${index + 1}`, address: `127.0.0.1:${portBase + index}` }));
}

export function checkOptions(options: LabOptions): CheckedOptions {
  const solaris = checkProduct(options);
  const platform = options.platform ?? LAB_DEFAULTS.platform;
  if (!isLabPlatform(platform)) throw badInput('--platform', `"${platform}" is not a lab platform: expected one of ${LAB_PLATFORMS.join(', ')}`);
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > MAX_NODES) {
    throw badInput('--nodes', `expected a whole number from 1 to ${MAX_NODES}, got ${String(options.nodes)}`);
  }
  const portBase = options.portBase ?? LAB_DEFAULTS.portBase;
  if (!Number.isInteger(portBase) || portBase < 1 || portBase + options.nodes - 1 > 65_535) {
    throw badInput('--port-base', `expected a port such that ${options.nodes} consecutive ports fit below 65536, got ${String(portBase)}`);
  }
  return {
    root: resolve(options.dir),
    nodeCount: options.nodes,
    solaris,
    platform,
    version: parseVersionRelease(options.version ?? LAB_DEFAULTS.version),
    replicator: options.replicator ?? false,
    portBase,
    rebootDelayMs: checkDuration('rebootDelayMs', options.rebootDelayMs ?? LAB_DEFAULTS.rebootDelayMs),
    mirrorSizeMb: checkPositive('--mirror-size-mb', options.mirrorSizeMb ?? LAB_DEFAULTS.mirrorSizeMb, 'MB', true),
    mirrorResyncMbPerSec: checkPositive('--resync-mb-per-sec', options.mirrorResyncMbPerSec ?? LAB_DEFAULTS.mirrorResyncMbPerSec, 'MB per second', false),
    failoverMs: checkDuration('--failover-ms', options.failoverMs ?? LAB_DEFAULTS.failoverMs),
    autoMirrorRecovery: options.autoMirrorRecovery ?? true,
    rpm: options.rpm ?? 'auto',
    targetVersion: parseVersionRelease(options.targetVersion ?? LAB_TARGET_VERSION, '--target-version'),
    shape: options.shape === undefined ? undefined : checkShape(options.shape, options.nodes),
  };
}

/** --product, and the flags that belong to one product only. */
function checkProduct(options: LabOptions): SolarisLabChoice | undefined {
  const product = options.product ?? 'clusterpro';
  if (!(LAB_PRODUCTS as readonly string[]).includes(product)) throw badInput('--product', `"${product.slice(0, 40)}" is not a lab product: expected one of ${LAB_PRODUCTS.join(', ')}`);
  if ((product as LabProduct) === 'clusterpro') {
    if (options.rtChange !== undefined) throw badInput('--rt-change', 'applies only to --product solaris-cluster');
    if (options.rtrTunable !== undefined) throw badInput('--rtr-tunable', 'applies only to --product solaris-cluster');
    if (options.scVersion !== undefined) throw badInput('--sc-version', 'applies only to --product solaris-cluster');
    return undefined;
  }
  const clusterproOnly: Array<[string, unknown]> = [
    ['--platform', options.platform],
    ['--version', options.version],
    ['--replicator', options.replicator === true ? true : undefined],
    ['--mirror-size-mb', options.mirrorSizeMb],
    ['--resync-mb-per-sec', options.mirrorResyncMbPerSec],
    ['--failover-ms', options.failoverMs],
  ];
  const misplaced = clusterproOnly.find(([, value]) => value !== undefined);
  if (misplaced !== undefined) throw badInput(misplaced[0], 'applies only to a CLUSTERPRO lab, not to --product solaris-cluster');
  const choice = checkSolarisChoice(options.rtChange, options.rtrTunable, options.scVersion);
  if ('field' in choice) throw badInput(choice.field, choice.message);
  return choice;
}

function checkShape(shape: LabShape, nodeCount: number): LabShape {
  if (shape.nodes.length !== nodeCount) throw badInput('nodes', `the shape has ${shape.nodes.length} nodes, the options say ${nodeCount}`);
  const names = new Set<string>();
  for (const [index, node] of shape.nodes.entries()) {
    if (!NODE_NAME.test(node.name)) throw badInput(`nodes[${index}].name`, `"${node.name}" is not a node name (a letter or digit, then up to 62 of A-Z a-z 0-9 _ . -)`);
    if (names.has(node.name)) throw badInput(`nodes[${index}].name`, `"${node.name}" appears twice`);
    names.add(node.name);
    parseVersionRelease(node.version, `nodes[${index}].version`);
  }
  for (const [group, spec] of Object.entries(shape.groups)) {
    const unknown = [spec.current ?? spec.home, ...spec.servers].find((server) => !names.has(server));
    if (unknown !== undefined) throw badInput(`groups.${group}`, `runs on "${unknown}", which is not one of the nodes (${[...names].join(', ')})`);
    const missing = spec.mirrors.find((mirror) => shape.mirrors[mirror] === undefined);
    if (missing !== undefined) throw badInput(`groups.${group}.mirrors`, `"${missing}" is not one of the mirrors`);
  }
  return shape;
}

async function chooseRpmMode(wanted: 'auto' | RpmMode): Promise<RpmMode> {
  if (wanted === 'emulated') return 'emulated';
  if (await rpmToolsAvailable()) return 'real';
  if (wanted === 'auto') return 'emulated';
  throw new LockstepError('LOCKSTEP_E_COMMAND', 'rpm: a lab with real packages needs rpm and rpmbuild, which cannot run here; install them (apt-get install -y rpm)');
}

function parseVersionRelease(value: string, field = '--version'): { version: string; release: string } {
  const dash = value.lastIndexOf('-');
  const version = value.slice(0, dash);
  const release = value.slice(dash + 1);
  if (dash <= 0 || !RPM_WORD.test(version) || !RPM_WORD.test(release)) {
    throw badInput(field, `"${value}" is not VERSION-RELEASE as rpm prints it, e.g. 2.0.0-1`);
  }
  return { version, release };
}

function checkPositive(field: string, value: number, unit: string, zeroAllowed: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (value === 0 && !zeroAllowed)) {
    throw badInput(field, `expected a ${zeroAllowed ? 'non-negative' : 'positive'} number of ${unit}, got ${String(value)}`);
  }
  return value;
}

function checkDuration(field: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw badInput(field, `expected a whole number of milliseconds, got ${String(value)}`);
  return value;
}

/**
 * Root later installs the lab's packages and trusts its CA: a directory another user made, or
 * may write, would let them swap either (docs/security.md). The lab's files are written with
 * the umask's modes, so the directory itself is closed to group and others.
 */
async function prepareLabDir(root: string): Promise<void> {
  preparePrivateDir(root, { field: '--dir' });
  chmodSync(root, 0o700);
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (error) {
    throw badInput('--dir', `cannot read ${root}: ${describeError(error)}`);
  }
  if (entries.length > 0) {
    throw badInput('--dir', `${root} is not empty: a lab is created only in an empty or new directory (stop an old lab with "lockstep lab down --dir ${root}" and remove it first)`);
  }
}

async function layOut(options: CheckedOptions, rpmMode: RpmMode): Promise<Lab> {
  const paths = labPaths(options.root);
  const { shape } = options;
  const nodes = labNodes(options.nodeCount, options.portBase, shape?.nodes.map((node) => node.name));
  const names = nodes.map((node) => node.name);
  const versions = shape === undefined ? names.map(() => options.version) : shape.nodes.map((node) => parseVersionRelease(node.version));
  await mkdir(paths.nodesDir, { recursive: true });
  // Every lab node is on this host: its certificates name loopback too (never those of certs init).
  await initCertificates({ dir: paths.pki, coordinator: 'coordinator', agents: names, loopbackNames: true });
  const [installed, target] = await writePackages(paths, options, versions, rpmMode);
  for (const [index, node] of nodes.entries()) {
    const version = versions[index] as { version: string; release: string };
    await createNode(paths, options, node, rpmMode, installed.get(versionKey(version)) as InstalledPackage, shape?.nodes[index]?.services);
  }
  const settings = {
    autoMirrorRecovery: options.autoMirrorRecovery,
    mirrorSizeMb: options.mirrorSizeMb,
    mirrorResyncMbPerSec: options.mirrorResyncMbPerSec,
    failoverMs: options.failoverMs,
  };
  const cluster =
    shape === undefined
      ? initialClusterState({ clusterName: clusterNameFor(options.root), servers: names, replicator: options.replicator, ...settings })
      : shapedClusterState(shape, settings);
  writeClusterState(options.root, cluster);
  const runbook = renderLabRunbook({
    cluster: cluster.clusterName,
    nodes,
    packagePath: target.path,
    order: rollingOrder(cluster, names),
    replicator: Object.keys(cluster.mirrors).length > 0,
  });
  await writeFile(paths.runbook, runbook);
  await writeFile(paths.history, '');
  return { root: options.root, nodes, runbook: paths.runbook, targetPackage: target.path };
}

/** A Solaris Cluster lab (lab/solaris/lab-solaris.ts): SunOS nodes, LAB.app 1.0, LABapp 2.0 to install. */
async function layOutSolaris(options: CheckedOptions, choice: SolarisLabChoice): Promise<Lab> {
  const paths = labPaths(options.root);
  const nodes = labNodes(options.nodeCount, options.portBase);
  const names = nodes.map((node) => node.name);
  await mkdir(paths.nodesDir, { recursive: true });
  await initCertificates({ dir: paths.pki, coordinator: 'coordinator', agents: names, loopbackNames: true });
  await mkdir(paths.packages, { recursive: true });
  const packagePath = writeLabPackage(paths.packages, choice);
  for (const node of nodes) {
    const nodePaths = paths.node(node.name);
    const hooksDir = join(nodePaths.dir, 'hooks');
    await mkdir(hooksDir, { recursive: true });
    await mkdir(nodePaths.agentState, { recursive: true, mode: 0o700 });
    writeNodeState(paths.root, {
      name: node.name,
      ...solarisNodeFields(),
      bootId: randomUUID(),
      power: 'down',
      rebootDelayMs: options.rebootDelayMs,
      bootCount: 0,
      rpmDbPath: join(nodePaths.dir, 'rpmdb'),
      faults: [],
      listen: node.address,
      packageDir: paths.packages,
      hooksDir,
    });
  }
  const cluster = initialSolarisCluster(clusterNameFor(options.root), names, choice.scRelease);
  writeClusterState(options.root, cluster);
  await writeFile(paths.runbook, renderSolarisRunbook({ cluster: cluster.clusterName, nodes, packagePath, change: choice.change }));
  await writeFile(paths.history, '');
  return { root: options.root, nodes, runbook: paths.runbook, targetPackage: packagePath };
}

/** The installed versions' packages by VERSION-RELEASE, and the update's (one file per distinct version). */
async function writePackages(
  paths: LabPaths,
  options: CheckedOptions,
  versions: ReadonlyArray<{ version: string; release: string }>,
  rpmMode: RpmMode,
): Promise<[Map<string, InstalledPackage>, InstalledPackage]> {
  const distinct = new Map([...versions, options.targetVersion].map((version) => [versionKey(version), labRpm(options.platform, version)]));
  const rpms = [...distinct.values()];
  const files = rpmMode === 'real' ? await buildRealRpms(paths.packages, rpms) : writeEmulatedRpms(paths.packages, rpms);
  const built = new Map([...distinct.keys()].map((key, index) => [key, { rpm: rpms[index] as LabRpm, path: files[index] as string }]));
  return [built, built.get(versionKey(options.targetVersion)) as InstalledPackage];
}

function versionKey({ version, release }: { version: string; release: string }): string {
  return `${version}-${release}`;
}

function labRpm(platform: LabPlatform, { version, release }: { version: string; release: string }): LabRpm {
  return {
    version,
    release,
    arch: platformFacts(platform).rpmArch,
    summary: productSummary(platform, version),
    fileName: packageFileName(platform, version, release),
  };
}

async function createNode(
  paths: LabPaths,
  options: CheckedOptions,
  node: LabNode,
  rpmMode: RpmMode,
  installed: InstalledPackage,
  services: LabShape['nodes'][number]['services'],
): Promise<void> {
  const nodePaths = paths.node(node.name);
  const rpmDbPath = join(nodePaths.dir, 'rpmdb');
  const hooksDir = join(nodePaths.dir, 'hooks');
  await mkdir(hooksDir, { recursive: true });
  await mkdir(nodePaths.agentState, { recursive: true, mode: 0o700 });
  if (rpmMode === 'real') await installIntoNewDb(rpmDbPath, installed.path);
  const facts = platformFacts(options.platform);
  const state: NodeState = {
    name: node.name,
    machine: facts.machine,
    platform: options.platform,
    kernel: facts.kernel,
    bootId: randomUUID(),
    // Powered off: the supervisor's first start of the agent boots the node.
    power: 'down',
    rebootDelayMs: options.rebootDelayMs,
    bootCount: 0,
    rpm: rpmMode,
    rpmDbPath,
    // The emulated rpm's database; a real rpm keeps its own in rpmDbPath.
    packages: rpmMode === 'real' ? {} : { clusterpro: installedRecord(installed.rpm) },
    serviceManager: 'sysv',
    // A twin's services start as its original's are set to start at boot (running follows at boot).
    services: Object.fromEntries(CLUSTERPRO_2X_SERVICES.map((name) => [name, { enabled: services?.[name]?.enabled ?? true, running: false }])),
    faults: [],
    listen: node.address,
    packageDir: paths.packages,
    hooksDir,
  };
  writeNodeState(paths.root, state);
}

function installedRecord(rpm: LabRpm): NodeState['packages'][string] {
  return { name: 'clusterpro', epoch: '', version: rpm.version, release: rpm.release, arch: rpm.arch, summary: rpm.summary, installTime: Math.floor(Date.now() / 1000) };
}

/** The directory's name, as a cluster name clpstat can print. */
function clusterNameFor(root: string): string {
  const name = basename(root).replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 63);
  return name === '' ? 'lab' : name;
}

async function removeContents(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  await Promise.all(entries.map((entry) => rm(join(root, entry), { recursive: true, force: true })));
}

function badInput(field: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${field}: ${message}`, { field });
}
