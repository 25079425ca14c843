// The Solaris Cluster procedures as the registry knows them: `solaris-cluster/rt-upgrade`
// reads, before it compiles, the nodes in the cluster (clnode status), the resources of the
// type with their Type_version, group and dependencies (GetClusterResources), the package
// directory on every node (its tree digest, pinned into the plan) and the new RTR file as that
// package installs it (ReadPackageFile, on every node: they must all hold the same one).
// The plan passes the availability proof every plan passes (plan/availability-proof.ts), with
// the resource groups as the cluster status read them: where each is online, and its Nodelist.
import { LockstepError } from '../../../shared/errors.js';
import type { ClusterFacts } from '../../plan/cluster-facts.js';
import type { Runbook } from '../../runbook/runbook-schema.js';
import type { Plan } from '../../plan/plan.js';
import type { BuiltInProcedure } from '../built-in-procedure.js';
import { compileRtUpgrade, parseRtUpgradeParams, RT_UPGRADE, type RtUpgradeFacts } from './compile-rt-upgrade.js';
import { withAvailabilityProof } from '../../plan/availability-proof.js';

const rtUpgrade: BuiltInProcedure = {
  // Params are checked here, before any node is contacted.
  facts: (runbook) => {
    const params = parseRtUpgradeParams(runbook);
    return { cluster: true, packageFiles: [params.package], solaris: { resourceType: params.type, package: params.package, rtr: params.rtr } };
  },
  compile: (runbook, facts) => {
    const upgrade = rtUpgradeFacts(runbook, facts);
    return provenAvailable(compileRtUpgrade(runbook, upgrade), facts);
  },
};

/**
 * The plan proven (refused, LOCKSTEP_E_AVAILABILITY_PROOF, when a stage can leave a resource
 * group with no node), its planned downtime listed, and the result stated after it.
 */
function provenAvailable(plan: Plan, facts: ClusterFacts): Plan {
  const proven = withAvailabilityProof(plan, facts);
  const online = (facts.cluster?.groups ?? []).filter((group) => group.currentServer !== null).map((group) => group.name);
  const planned = proven.warnings.some((warning) => warning.startsWith('planned unavailability'));
  const proof = `availability: ${online.length === 0 ? 'no resource group is online' : `resource groups ${online.join(', ')} keep an online node at every step`}${planned ? ', except the planned unavailability above' : ''}`;
  return { ...proven, warnings: [...proven.warnings, proof] };
}

/** The facts compileRtUpgrade takes, or a refusal naming what could not be read and where. */
export function rtUpgradeFacts(runbook: Runbook, facts: ClusterFacts): RtUpgradeFacts {
  const refusals = facts.nodes.filter((node) => !node.reachable).map((node) => `${node.name} did not answer (${node.error})`);
  if (facts.cluster === undefined) refusals.push('the cluster status (clnode status) could not be read from any node');
  const inRunbook = new Set(runbook.nodes.map((node) => node.name));
  const missing = (facts.cluster?.servers ?? []).filter((server) => !inRunbook.has(server.name)).map((server) => server.name);
  if (missing.length > 0) refusals.push(`the cluster's node(s) ${missing.join(', ')} are not in the runbook: the new package must be on every node before the type is registered (table 3-1 installs it on every node)`);
  if (facts.solaris?.resourcesError) refusals.push(`the resources of the type could not be listed (clresource show -v; scstat -g and scha_resource_get on Sun Cluster 3.1): ${facts.solaris.resourcesError}`);
  if (refusals.length > 0 || facts.cluster === undefined || facts.solaris === undefined) {
    throw new LockstepError('LOCKSTEP_E_PREFLIGHT', `${RT_UPGRADE} refused: ${refusals.join('; ') || 'the Solaris Cluster facts were not read'}`);
  }
  const online = new Set(facts.cluster.servers.filter((server) => server.state === 'online').map((server) => server.name));
  return {
    clusterNodes: runbook.nodes.map((node) => node.name).filter((node) => online.has(node)),
    resources: facts.solaris.resources.map(({ name, typeVersion, group, dependsOn }) => ({ name, typeVersion, group, dependsOn })),
    rtrText: facts.solaris.rtrText,
    rtrUnread: facts.solaris.rtrUnread,
  };
}

export const SOLARIS_BUILT_INS: ReadonlyArray<[string, BuiltInProcedure]> = [[RT_UPGRADE, rtUpgrade]];
