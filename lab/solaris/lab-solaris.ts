// `lockstep lab up --product solaris-cluster --rt-change CHANGE [--rtr-tunable TUNABLE]`
// [--sc-version 3.1|3.2] (issue 13): a Solaris Cluster lab for one row of the seed's table 3-1
// (seed 004). Every node runs SunOS 5.10 with Sun Cluster 3.2u3 (or 3.1u4, which has no cl*
// commands: sc-node-facts.ts); the resource type LAB.app:1.0 is registered;
// resource groups app-rg1… each hold a resource app-rsK of that type (app-rs2 depends on
// app-rs1, so "disable fails while a dependent is enabled" is live); every node has the
// package LABapp 1.0 installed. LAB/packages/LABapp is the update, version 2.0, packaged as the
// row says (new path, monitor overwritten, methods overwritten, or only the RTR), whose RTR
// carries `#$upgrade_from "1.0" TUNABLE` — the row's Tunable unless --rtr-tunable says
// otherwise; LAB/runbook.yaml runs solaris-cluster/rt-upgrade with that change.
import { Document } from 'yaml';
import { isTunable, TUNABLES, type RtChange, type Tunable } from '../../shared/domain/solaris.js';
import type { ClusterState, NodeState } from '../state/lab-state.js';
import type { MethodReplacement, ScPackage, ScResourceState, ScGroupState } from './sc-model.js';
import { writePackageDir, type PackageObject } from './svr4-package-dir.js';
import { SC_RELEASES, SOLARIS_KERNEL, SOLARIS_MACHINE, type ScRelease } from './sc-node-facts.js';

/**
 * Table 3-1's rows as the lab needs them: the example's Tunable (null: the RTR is unchanged)
 * and how the package handles the methods. The coordinator's rt-change-rows.ts holds the
 * whole table; test/unit/solaris-lab.test.ts checks that the two agree.
 */
export const SOLARIS_RT_CHANGES = {
  'rtr-only': { tunable: 'ANYTIME', replaces: 'rtr-only' },
  'methods-new-path': { tunable: 'ANYTIME', replaces: 'new-path' },
  'new-monitor': { tunable: 'WHEN_UNMONITORED', replaces: 'monitor-in-place' },
  'update-stop-incompatible': { tunable: 'WHEN_OFFLINE', replaces: 'new-path' },
  'new-property-needed': { tunable: 'WHEN_DISABLED', replaces: 'methods-in-place' },
  'new-property-not-needed': { tunable: 'ANYTIME', replaces: 'methods-in-place' },
  'fini-incompatible': { tunable: 'WHEN_UNMANAGED', replaces: 'new-path' },
  'rtr-unchanged': { tunable: null, replaces: 'methods-in-place' },
} as const satisfies Record<RtChange, { tunable: Tunable | null; replaces: MethodReplacement }>;

export type SolarisRtChange = keyof typeof SOLARIS_RT_CHANGES;
export const SOLARIS_RT_CHANGE_NAMES = Object.keys(SOLARIS_RT_CHANGES) as SolarisRtChange[];

export function isSolarisRtChange(value: string): value is SolarisRtChange {
  return Object.hasOwn(SOLARIS_RT_CHANGES, value);
}

export const LAB_RT = { vendor: 'LAB', name: 'app', type: 'LAB.app', pkg: 'LABapp', from: '1.0', to: '2.0' } as const;
/** Where the package installs the type's RTR file. */
export const LAB_RTR_PATH = '/opt/LABapp/etc/LAB.app';
const OLD_BASEDIR = '/opt/LABapp/bin';
const NEW_PATH_BASEDIR = '/opt/LABapp/2.0/bin';
const METHODS = ['app_start', 'app_stop', 'app_update', 'app_validate', 'app_init', 'app_fini'];
const MONITOR = ['app_monitor_start', 'app_monitor_stop', 'app_monitor_check', 'app_probe'];

export interface SolarisLabChoice {
  change: SolarisRtChange;
  /** The Tunable of the new RTR's `#$upgrade_from "1.0"` line: the row's unless given. */
  rtrTunable: Tunable | null;
  /** The Sun Cluster release the nodes run (--sc-version, default 3.2). */
  scRelease: ScRelease;
}

/** Checks --rt-change, --rtr-tunable and --sc-version; the message names the flag. */
export function checkSolarisChoice(change: string | undefined, rtrTunable: string | undefined, scVersion?: string): SolarisLabChoice | { field: string; message: string } {
  const scRelease = scVersion ?? '3.2';
  if (!(SC_RELEASES as readonly string[]).includes(scRelease)) return { field: '--sc-version', message: `"${scRelease.slice(0, 40)}" is not a Sun Cluster release the lab simulates: expected ${SC_RELEASES.join(' or ')}` };
  const chosen = checkRow(change, rtrTunable);
  return 'field' in chosen ? chosen : { ...chosen, scRelease: scRelease as ScRelease };
}

function checkRow(change: string | undefined, rtrTunable: string | undefined): Omit<SolarisLabChoice, 'scRelease'> | { field: string; message: string } {
  if (change === undefined) return { field: '--rt-change', message: `a Solaris Cluster lab needs the change to rehearse: one of ${SOLARIS_RT_CHANGE_NAMES.join(', ')}` };
  if (!isSolarisRtChange(change)) return { field: '--rt-change', message: `"${change.slice(0, 40)}" is not a row of table 3-1: expected one of ${SOLARIS_RT_CHANGE_NAMES.join(', ')}` };
  const row = SOLARIS_RT_CHANGES[change];
  if (rtrTunable === undefined) return { change, rtrTunable: row.tunable };
  if (row.tunable === null) return { field: '--rtr-tunable', message: 'the rtr-unchanged row keeps the RTR file as it is: it has no #$upgrade_from line to set' };
  if (!isTunable(rtrTunable)) return { field: '--rtr-tunable', message: `"${rtrTunable.slice(0, 40)}" is not a Tunable: expected one of ${TUNABLES.join(', ')}` };
  return { change, rtrTunable };
}

/** The type's RTR file at `version`, upgrade-aware with one `#$upgrade_from "1.0"` line when `tunable` is set. */
export function labRtrText(version: string, baseDir: string, tunable: Tunable | null): string {
  return [
    '#',
    `# ${LAB_RT.type}: the lab's data service (written by lockstep lab up)`,
    '#',
    `RESOURCE_TYPE = "${LAB_RT.name}";`,
    `VENDOR_ID = ${LAB_RT.vendor};`,
    `RT_DESCRIPTION = "LAB application server";`,
    `RT_VERSION = "${version}";`,
    'API_VERSION = 2;',
    'FAILOVER = TRUE;',
    `RT_BASEDIR = ${baseDir};`,
    '',
    ...(tunable === null ? [] : ['#$upgrade', `#$upgrade_from "${LAB_RT.from}" ${tunable}`, '']),
    'START = app_start;',
    'STOP = app_stop;',
    'UPDATE = app_update;',
    'VALIDATE = app_validate;',
    'INIT = app_init;',
    'FINI = app_fini;',
    'MONITOR_START = app_monitor_start;',
    'MONITOR_STOP = app_monitor_stop;',
    'MONITOR_CHECK = app_monitor_check;',
    '',
    '{',
    '\tPROPERTY = Start_timeout;',
    '\tMIN = 60;',
    '\tDEFAULT = 300;',
    '}',
    '',
  ].join('\n');
}

const OLD_RTR = labRtrText(LAB_RT.from, OLD_BASEDIR, null);

/** The installed 1.0 package: its methods are in use, so removing it where they run is a violation. */
function installedPackage(): ScPackage {
  return { version: LAB_RT.from, type: LAB_RT.type, replaces: 'methods-in-place', rtrFiles: { [LAB_RTR_PATH]: OLD_RTR } };
}

const script = (path: string, version: string): PackageObject => ({
  path,
  text: `#!/bin/sh\n# ${LAB_RT.type} ${version}: ${path.slice(path.lastIndexOf('/') + 1)} (a simulated method)\nexit 0\n`,
  pkgClass: 'none',
  mode: '0555',
});

/** LAB/packages/LABapp, version 2.0, packaged as the row says. */
export function writeLabPackage(packagesDir: string, choice: Pick<SolarisLabChoice, 'change' | 'rtrTunable'>): string {
  const replaces = SOLARIS_RT_CHANGES[choice.change].replaces;
  const rtrUnchanged = SOLARIS_RT_CHANGES[choice.change].tunable === null;
  const baseDir = replaces === 'new-path' ? NEW_PATH_BASEDIR : OLD_BASEDIR;
  const rtr = rtrUnchanged ? OLD_RTR : labRtrText(LAB_RT.to, baseDir, choice.rtrTunable);
  const programs = replaces === 'rtr-only' ? [] : replaces === 'monitor-in-place' ? MONITOR : [...METHODS, ...MONITOR];
  return writePackageDir(packagesDir, {
    pkg: LAB_RT.pkg,
    name: `${LAB_RT.type} data service`,
    version: LAB_RT.to,
    type: LAB_RT.type,
    replaces,
    objects: [{ path: LAB_RTR_PATH, text: rtr, pkgClass: 'rtr', mode: '0444' }, ...programs.map((program) => script(`${baseDir}/${program}`, LAB_RT.to))],
  });
}

/** Groups app-rg1… (at least two; one per node but the last, as the CLUSTERPRO lab leaves one free), app-rs2 depending on app-rs1. */
export function initialSolarisCluster(clusterName: string, servers: readonly string[], scRelease: ScRelease = '3.2'): ClusterState {
  const groupCount = Math.max(2, servers.length - 1);
  const resourceGroups: ScGroupState[] = [];
  const resources: ScResourceState[] = [];
  for (let index = 0; index < groupCount; index += 1) {
    const home = index % servers.length;
    const nodeList = [...servers.slice(home), ...servers.slice(0, home)];
    resourceGroups.push({ name: `app-rg${index + 1}`, state: 'online', node: nodeList[0] as string, nodeList });
    resources.push({
      name: `app-rs${index + 1}`,
      type: `${LAB_RT.type}:${LAB_RT.from}`,
      typeVersion: LAB_RT.from,
      group: `app-rg${index + 1}`,
      enabled: true,
      monitored: true,
      dependsOn: index === 1 ? ['app-rs1'] : [],
    });
  }
  return {
    product: 'solaris-cluster',
    scRelease,
    clusterName,
    servers: Object.fromEntries(servers.map((server) => [server, { state: 'online' as const }])),
    groups: {},
    mirrors: {},
    suspended: false,
    autoMirrorRecovery: false,
    mirrorSizeMb: {},
    mirrorResyncMbPerSec: 1,
    failoverMs: 0,
    failovers: {},
    resyncs: {},
    breakTimes: {},
    resourceTypes: [{ name: `${LAB_RT.type}:${LAB_RT.from}`, rtr: OLD_RTR }],
    resourceGroups,
    resources,
    violations: [],
  };
}

/** A SunOS node: no rpm, no init scripts; LABapp 1.0 installed. */
export function solarisNodeFields(): Pick<NodeState, 'machine' | 'platform' | 'kernel' | 'rpm' | 'packages' | 'serviceManager' | 'services' | 'os' | 'svr4Packages'> {
  return {
    machine: SOLARIS_MACHINE,
    platform: 'sparc',
    kernel: SOLARIS_KERNEL,
    rpm: 'emulated',
    packages: {},
    serviceManager: 'sysv',
    services: {},
    os: 'solaris',
    svr4Packages: { [LAB_RT.pkg]: installedPackage() },
  };
}

export interface SolarisRunbookInput {
  cluster: string;
  nodes: ReadonlyArray<{ name: string; address: string }>;
  packagePath: string;
  change: SolarisRtChange;
}

export function renderSolarisRunbook(input: SolarisRunbookInput): string {
  const doc = new Document({
    cluster: input.cluster,
    nodes: input.nodes.map((node) => ({ name: node.name, address: node.address })),
    procedure: 'solaris-cluster/rt-upgrade',
    params: { type: LAB_RT.type, package: input.packagePath, pkg: LAB_RT.pkg, rtr: LAB_RTR_PATH, change: input.change },
    tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
  });
  doc.commentBefore = ` Written by \`lockstep lab up --product solaris-cluster\`: the resource-type upgrade of ${LAB_RT.type} ${LAB_RT.from} → ${LAB_RT.to}, row ${input.change} of table 3-1 (seed 004).`;
  return doc.toString();
}
