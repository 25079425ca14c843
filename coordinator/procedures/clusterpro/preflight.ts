// What the manual refuses, checked against what the nodes report before anything runs
// (SPEC §5.1): a pure function of the runbook, the facts and the bundle. Each refusal names
// the node and quotes the bundle's own wording of the rule.
import type { PackageInfo } from '../../../shared/domain/package.js';
import { compareEvr, parseEvr } from '../../../shared/version.js';
import type { ClusterFacts, NodeFacts } from '../../plan/cluster-facts.js';
import type { Runbook } from '../../runbook/runbook-schema.js';
import { neverApplyMatches, platformOfSummary, quote, type Bundle, type BundlePlatform } from './bundle.js';
import { REPLICATOR_ACKNOWLEDGEMENT, type ProcedureDefinition } from './manual-step.js';

export type PreflightRule =
  | 'not-installed'
  | 'already-installed'
  | 'never-apply'
  | 'platform-unknown'
  | 'version-not-applicable'
  | 'already-at-target'
  | 'not-older'
  | 'package-missing'
  | 'package-mismatch'
  | 'package-differs'
  | 'replicator-refused'
  | 'replicator-unacknowledged'
  | 'cluster-not-normal'
  | 'cluster-unreadable';

export interface Refusal {
  rule: PreflightRule;
  /** The node it is about; absent for rules about the whole cluster. */
  node?: string;
  message: string;
}

export interface PreflightInput {
  runbook: Runbook;
  facts: ClusterFacts;
  bundle: Bundle;
  procedure: ProcedureDefinition;
}

export interface PreflightResult {
  refusals: Refusal[];
  /** What a person should read before applying; the plan carries these. */
  warnings: string[];
}

export function preflight(input: PreflightInput): PreflightResult {
  const refusals = [...input.facts.nodes.flatMap((node) => nodeRefusals(input, node)), ...packageConsistency(input), ...clusterRefusals(input)];
  return { refusals, warnings: replicatorWarnings(input) };
}

function nodeRefusals(input: PreflightInput, node: NodeFacts): Refusal[] {
  const { bundle, procedure } = input;
  const refuse = (rule: PreflightRule, message: string): Refusal => ({ rule, node: node.name, message: `${node.name}: ${message}` });
  const installed = node.installed;
  if (procedure.packageAction === 'install') {
    if (installed?.installed) return [refuse('already-installed', `${label(installed)} is already installed — ${quote(bundle, bundle.wording.alreadyInstalled)}`)];
    return packageFileRefusals(input, node, installPlatform(bundle, node)).map(([rule, message]) => refuse(rule, message));
  }
  if (installed === undefined || !installed.installed) {
    return [refuse('not-installed', `${bundle.product.package} is not installed — ${quote(bundle, bundle.wording.notInstalled)}`)];
  }
  const excluded = neverApplyMatches(bundle, installed.summary, versionOf(installed));
  if (excluded.length > 0) {
    return excluded.map((entry) => refuse('never-apply', `${label(installed)} (${installed.summary}) — ${quote(bundle, { ...entry, ja: `以下には本Updateを適用しないでください。${entry.ja}`, en: `Do not apply this update to: ${entry.en}` })}`));
  }
  const platform = platformOfSummary(bundle, installed.summary);
  if (platform === undefined) {
    const known = bundle.platforms.map((each) => `(${each.summaryArch})`).join(', ');
    return [refuse('platform-unknown', `"${installed.summary}" names no platform of ${bundle.id} (${known}) — ${quote(bundle, bundle.wording.versionNotApplicable)}`)];
  }
  const versionRefusal = installedVersionRefusal(input, platform, installed, node);
  return [
    ...(versionRefusal === undefined ? [] : [refuse(versionRefusal[0], versionRefusal[1])]),
    ...packageFileRefusals(input, node, platform).map(([rule, message]) => refuse(rule, message)),
  ];
}

/** 2.1.1–2.1.5: the installed version must be one the bundle lists for the platform. */
function installedVersionRefusal(input: PreflightInput, platform: BundlePlatform, installed: PackageInfo, node: NodeFacts): [PreflightRule, string] | undefined {
  const { bundle, procedure } = input;
  const version = versionOf(installed);
  if (procedure.packageAction === 'downgrade') {
    const file = node.packageFile !== undefined && 'package' in node.packageFile ? node.packageFile.package : undefined;
    if (file !== undefined && compareEvr(parseEvr(version), parseEvr(versionOf(file))) <= 0) {
      return ['not-older', `${versionOf(file)} in ${input.runbook.params?.package as string} is not older than the installed ${version}: section 6 goes back to an earlier version`];
    }
    return undefined;
  }
  if (version === bundle.target) {
    return ['already-at-target', `${label(installed)} is already at ${bundle.id}'s target ${bundle.target}: nothing to update here, and rpm -U of the same version fails (a half-finished run is continued with lockstep retry, not a new run)`];
  }
  if (!platform.appliesTo.includes(version)) {
    return ['version-not-applicable', `${version} is not a version ${bundle.id} applies to on ${platform.name} (${platform.appliesTo.join(' ')}) — ${quote(bundle, { ...bundle.wording.versionNotApplicable, section: platform.sections.running })}`];
  }
  return undefined;
}

/** 2.1.6–2.1.10: the rpm on the node is this update's (or, for section 6, an earlier version's) for the node's platform. */
function packageFileRefusals(input: PreflightInput, node: NodeFacts, platform: BundlePlatform | undefined): Array<[PreflightRule, string]> {
  const { bundle, procedure } = input;
  const path = input.runbook.params?.package as string;
  const file = node.packageFile;
  if (file === undefined || 'missing' in file) return [['package-missing', `${path} cannot be read on this node (${file === undefined ? 'not inspected' : file.missing})`]];
  if (platform === undefined) return [['package-mismatch', `${path} (${file.package.summary}) is for no platform this node can run (uname -m ${node.machine}) — ${quote(bundle, bundle.wording.rpmNotThisUpdate)}`]];
  const info = file.package;
  const expectedVersions = procedure.packageAction === 'downgrade' ? platform.appliesTo : [bundle.target];
  const wrong = [
    info.name !== bundle.product.package && `name ${info.name}, expected ${bundle.product.package}`,
    info.arch !== platform.rpmArch && `architecture ${info.arch}, expected ${platform.rpmArch} for ${platform.name}`,
    platformOfSummary(bundle, info.summary) !== platform && `Summary "${info.summary}", expected one ending in (${platform.summaryArch})`,
    !expectedVersions.includes(versionOf(info)) && `version ${versionOf(info)}, expected ${expectedVersions.join(' or ')}`,
  ].filter((problem): problem is string => typeof problem === 'string');
  if (wrong.length === 0) return [];
  const expectedFile = procedure.packageAction === 'downgrade' ? `an earlier ${platform.name} rpm of ${bundle.product.package}` : platform.rpm;
  return [['package-mismatch', `${path} is ${label(info)} (${wrong.join('; ')}): this node needs ${expectedFile} — ${quote(bundle, { ...bundle.wording.rpmNotThisUpdate, section: platform.sections.newInstall })}`]];
}

/** A new install has nothing installed to read the platform from: the rpm's Summary names it, and uname -m must agree. */
function installPlatform(bundle: Bundle, node: NodeFacts): BundlePlatform | undefined {
  const file = node.packageFile;
  if (file === undefined || 'missing' in file) return undefined;
  const platform = platformOfSummary(bundle, file.package.summary);
  return platform !== undefined && platform.machines.includes(node.machine) ? platform : undefined;
}

/** One path, one version: the plan checks every node against the same version afterwards. */
function packageConsistency(input: PreflightInput): Refusal[] {
  const versions = new Map<string, string[]>();
  for (const node of input.facts.nodes) {
    if (node.packageFile === undefined || 'missing' in node.packageFile) continue;
    const version = versionOf(node.packageFile.package);
    versions.set(version, [...(versions.get(version) ?? []), node.name]);
  }
  if (versions.size <= 1) return [];
  const seen = [...versions].map(([version, nodes]) => `${version} on ${nodes.join(', ')}`).join('; ');
  return [{ rule: 'package-differs', message: `${input.runbook.params?.package as string} is not the same version on every node (${seen}): copy the same rpm to every node` }];
}

function clusterRefusals(input: PreflightInput): Refusal[] {
  const { bundle, procedure, facts } = input;
  if (procedure.packageAction === 'install') return [];
  if (facts.cluster === undefined) return [{ rule: 'cluster-unreadable', message: 'the cluster status (clpstat) could not be read from any node' }];
  const refusals: Refusal[] = [];
  if (facts.mirrors.length > 0 && procedure.replicator === 'refuse') {
    refusals.push({ rule: 'replicator-refused', message: `mirror disk resources ${mirrorNames(facts)} are in use — ${quote(bundle, bundle.wording.replicatorNonstop)}` });
  }
  if (facts.mirrors.length > 0 && procedure.replicator === 'acknowledge' && !acknowledged(input.runbook)) {
    refusals.push({
      rule: 'replicator-unacknowledged',
      message: `mirror disk resources ${mirrorNames(facts)} are in use — ${quote(bundle, bundle.wording.replicatorRolling)}; to go ahead anyway, add "acknowledge: [${REPLICATOR_ACKNOWLEDGEMENT}]" to the runbook`,
    });
  }
  if (procedure.needsNormalCluster) refusals.push(...abnormalCluster(input));
  return refusals;
}

/** 3.1.4 (1), 3.1.3: every server online, every group running, before the cluster is touched. */
function abnormalCluster({ bundle, procedure, facts }: PreflightInput): Refusal[] {
  const cluster = facts.cluster;
  if (cluster === undefined) return [];
  const wording = procedure.replicator === 'refuse' ? bundle.wording.allServersNormal : bundle.wording.groupMovesHealthy;
  const servers = cluster.servers.filter((server) => server.state !== 'online').map((server) => ({ node: server.name, what: `server ${server.name} is ${server.stateText}` }));
  const groups = cluster.groups.filter((group) => group.state !== 'online').map((group) => ({ node: undefined, what: `group ${group.name} is ${group.stateText}` }));
  return [...servers, ...groups].map(({ node, what }) => ({ rule: 'cluster-not-normal' as const, ...(node !== undefined && { node }), message: `${what} — ${quote(bundle, wording)}` }));
}

/** SPEC §5.2: a rolling update with Replicator runs once acknowledged, with the manual's warning on the plan. */
function replicatorWarnings({ bundle, procedure, facts, runbook }: PreflightInput): string[] {
  if (procedure.replicator !== 'acknowledge' || facts.mirrors.length === 0 || !acknowledged(runbook)) return [];
  return [`mirror disk resources ${mirrorNames(facts)} will be recovered twice (acknowledged: ${REPLICATOR_ACKNOWLEDGEMENT}) — ${quote(bundle, bundle.wording.replicatorRolling)}`];
}

function acknowledged(runbook: Runbook): boolean {
  return runbook.acknowledge?.includes(REPLICATOR_ACKNOWLEDGEMENT) ?? false;
}

function mirrorNames(facts: ClusterFacts): string {
  return facts.mirrors.map((mirror) => mirror.name).join(', ');
}

function versionOf(info: PackageInfo): string {
  return `${info.version}-${info.release}`;
}

function label(info: PackageInfo): string {
  return `${info.name}-${versionOf(info)}${info.arch ? `.${info.arch}` : ''}`;
}
