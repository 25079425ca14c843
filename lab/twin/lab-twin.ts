// A twin of a real cluster (issue 17): a lab with the same node names, platform, installed
// versions, services, groups (where each runs) and mirrors as a preflight read them
// (shared/facts-file.ts), and LAB/runbook.yaml, a copy of the operator's runbook pointed at
// the lab — same procedure and params, the lab's nodes, certificates and packages.
//
// What the facts cannot tell is the lab's: clpstat shows where a group runs, not its failover
// policy, so a twin's group fails over to the other servers in the runbook's order; mirror
// sizes and resync rate, failover time and boot time are the lab's defaults (docs/lab.md).
import { writeFile } from 'node:fs/promises';
import { Document, parseDocument } from 'yaml';
import { LockstepError } from '../../shared/errors.js';
import type { FactsFile } from '../../shared/facts-file.js';
import { isLabPlatform, type LabPlatform } from '../clusterpro/lab-platforms.js';
import { createLab, LAB_TARGET_VERSION, type Lab, type LabOptions, type LabShape } from '../lab-create.js';
import { mirrorColorSchema, type ClusterState } from '../state/lab-state.js';

/** The operator's runbook, as read from its file. */
export interface SourceRunbook {
  path: string;
  yaml: string;
}

export interface TwinOptions extends Omit<LabOptions, 'nodes' | 'shape' | 'platform' | 'version' | 'replicator' | 'targetVersion'> {
  facts: FactsFile;
  /** Copied to LAB/runbook.yaml; without it the lab's own rolling update is written there. */
  runbook?: SourceRunbook;
}

export interface Twin extends Lab {
  platform: LabPlatform;
  targetVersion: string;
}

/** Builds the twin in `options.dir` (a new or empty directory, as for `lab up`). */
export async function createTwin(options: TwinOptions): Promise<Twin> {
  const { facts, runbook, ...labOptions } = options;
  const plan = twinPlan(facts, runbook);
  const lab = await createLab({ ...labOptions, nodes: plan.shape.nodes.length, platform: plan.platform, targetVersion: plan.targetVersion, shape: plan.shape });
  if (runbook !== undefined) await writeFile(lab.runbook, twinRunbook(runbook, lab));
  return { ...lab, platform: plan.platform, targetVersion: plan.targetVersion };
}

interface TwinPlan {
  shape: LabShape;
  platform: LabPlatform;
  targetVersion: string;
}

/** What the lab is built from: refused, naming the field, where the facts do not describe a CLUSTERPRO cluster the lab can simulate. */
export function twinPlan(facts: FactsFile, runbook?: SourceRunbook): TwinPlan {
  if (!facts.runbook.procedure.startsWith('clusterpro/')) {
    throw bad('runbook.procedure', `the lab simulates CLUSTERPRO X clusters; "${facts.runbook.procedure}" cannot be rehearsed on a twin`);
  }
  const cluster = facts.cluster;
  if (cluster === null) throw bad('cluster', 'the facts hold no cluster status (clpstat): nothing to copy');
  if (runbook !== undefined) checkSameNodes(facts, runbook);
  const names = facts.nodes.map((node) => node.name);
  const mirrorNames = new Set(facts.mirrors.map((mirror) => mirror.name));
  const groups: ClusterState['groups'] = {};
  for (const [index, group] of cluster.groups.entries()) {
    if (group.current !== null && !names.includes(group.current)) throw bad(`cluster.groups[${index}].current`, `"${group.current}" is not one of the nodes (${names.join(', ')})`);
    const home = group.current ?? (names[0] as string);
    groups[group.name] = {
      current: group.current,
      state: group.current === null ? 'offline' : 'online',
      home,
      // clpstat does not show the failover policy: the current server first, then the runbook's order.
      servers: [home, ...names.filter((name) => name !== home)],
      mirrors: group.resources.filter((resource) => mirrorNames.has(resource)),
    };
  }
  return {
    shape: {
      clusterName: cluster.clusterName,
      nodes: facts.nodes.map((node, index) => ({
        name: node.name,
        version: installedVersion(node, index),
        services: Object.fromEntries(node.services.map((service) => [service.name, { enabled: service.enabled, running: service.running }])),
      })),
      servers: Object.fromEntries(names.map((name) => [name, cluster.servers.find((server) => server.name === name)?.state === 'online' ? 'online' : 'offline'])),
      groups,
      mirrors: Object.fromEntries(facts.mirrors.map((mirror, index) => [mirror.name, mirrorColors(mirror, index)])),
    },
    platform: labPlatform(facts),
    targetVersion: targetVersion(facts),
  };
}

function checkSameNodes(facts: FactsFile, runbook: SourceRunbook): void {
  const nodes = runbookNodes(runbook);
  const read = facts.nodes.map((node) => node.name).join(', ');
  if (nodes.join(', ') !== read) throw bad('nodes', `the facts are of nodes ${read}, the runbook ${runbook.path} names ${nodes.join(', ')}: save the facts of this runbook again`);
}

function installedVersion(node: FactsFile['nodes'][number], index: number): string {
  if (node.installed === null) throw bad(`nodes[${index}].installed`, `${node.name} has no product package installed: a twin starts from an installed cluster`);
  return `${node.installed.version}-${node.installed.release}`;
}

function mirrorColors(mirror: FactsFile['mirrors'][number], index: number): Record<string, ClusterState['mirrors'][string][string]> {
  return Object.fromEntries(
    mirror.servers.map((server, position) => {
      const color = mirrorColorSchema.safeParse(server.color.toUpperCase());
      if (!color.success) throw bad(`mirrors[${index}].servers[${position}].color`, `"${server.color}" is not a colour the lab models (${mirrorColorSchema.options.join(', ')})`);
      return [server.server, color.data];
    }),
  );
}

/** The lab platform the nodes' `uname -m` and package name: every node must agree (a lab has one). */
function labPlatform(facts: FactsFile): LabPlatform {
  const platforms = facts.nodes.map((node, index) => {
    const platform = node.installed?.summary.toLowerCase().includes('vmware') ? 'vmware' : node.machine;
    if (!isLabPlatform(platform)) throw bad(`nodes[${index}].machine`, `"${node.machine}" is not a platform the lab simulates`);
    return platform;
  });
  const distinct = [...new Set(platforms)];
  if (distinct.length > 1) throw bad('nodes', `the nodes run on ${distinct.join(' and ')}; a lab simulates one platform`);
  return distinct[0] as LabPlatform;
}

/** What the runbook's package file is (rpm -qp on the nodes), or the lab's default update when no node had it. */
function targetVersion(facts: FactsFile): string {
  const file = facts.nodes.map((node) => node.packageFile).find((each) => each !== null);
  return file ? `${file.version}-${file.release}` : LAB_TARGET_VERSION;
}

function runbookNodes(runbook: SourceRunbook): string[] {
  const nodes: unknown = parseDocument(runbook.yaml).toJS()?.nodes;
  if (!Array.isArray(nodes)) throw bad('nodes', `${runbook.path} has no list of nodes`);
  return nodes.map((node: unknown) => String((node as { name?: unknown } | null)?.name));
}

/**
 * The operator's runbook pointed at the lab: its nodes' addresses, the lab's certificates,
 * params.package the lab's package of the same version. A window would make the rehearsal
 * wait for tonight: it is left out, and with it the rehearsal durations that predict its fit.
 */
export function twinRunbook(runbook: SourceRunbook, lab: Lab): string {
  const source = parseDocument(runbook.yaml);
  const content: unknown = source.toJS();
  if (typeof content !== 'object' || content === null) throw bad('runbook', `${runbook.path} is not a mapping`);
  const { window: _window, rehearsal: _rehearsal, ...rest } = content as Record<string, unknown>;
  const params = (rest.params ?? {}) as Record<string, unknown>;
  const doc = new Document({
    ...rest,
    nodes: lab.nodes.map((node) => ({ name: node.name, address: node.address })),
    params: { ...params, package: lab.targetPackage },
    tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
  });
  doc.commentBefore = ` Written by \`lockstep lab up --like ${runbook.path}\`: that runbook, pointed at this twin.`;
  return doc.toString();
}

function bad(field: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `facts: ${field}: ${message}`, { field });
}
