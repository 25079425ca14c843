// The Solaris Cluster procedures as the registry knows them: `solaris-cluster/rt-upgrade`
// reads, before it compiles, the nodes in the cluster (clnode status), the resources of the
// type with their Type_version, group and dependencies (GetClusterResources), the package
// directory on every node (its tree digest, pinned into the plan) and the new RTR file as that
// package installs it (ReadPackageFile, on every node: they must all hold the same one).
import { LockstepError } from '../../../shared/errors.js';
import type { ClusterFacts } from '../../plan/cluster-facts.js';
import type { Runbook } from '../../runbook/runbook-schema.js';
import type { BuiltInProcedure } from '../built-in-procedure.js';
import { compileRtUpgrade, parseRtUpgradeParams, RT_UPGRADE, type RtUpgradeFacts } from './compile-rt-upgrade.js';

const rtUpgrade: BuiltInProcedure = {
  // Params are checked here, before any node is contacted.
  facts: (runbook) => {
    const params = parseRtUpgradeParams(runbook);
    return { cluster: true, packageFiles: [params.package], solaris: { resourceType: params.type, package: params.package, rtr: params.rtr } };
  },
  compile: (runbook, facts) => compileRtUpgrade(runbook, rtUpgradeFacts(runbook, facts)),
};

/** The facts compileRtUpgrade takes, or a refusal naming what could not be read and where. */
export function rtUpgradeFacts(runbook: Runbook, facts: ClusterFacts): RtUpgradeFacts {
  const refusals = facts.nodes.filter((node) => !node.reachable).map((node) => `${node.name} did not answer (${node.error})`);
  if (facts.cluster === undefined) refusals.push('the cluster status (clnode status) could not be read from any node');
  if (facts.solaris?.resourcesError) refusals.push(`the resources of the type could not be listed (clresource show): ${facts.solaris.resourcesError}`);
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
