// The preflight's facts as a facts file (shared/facts-file.ts): what `lockstep plan
// --save-facts` writes and `lockstep lab up --like` builds a twin from. Only what was read;
// nothing is guessed here (a twin's failover policies are the lab's business).
import { FACTS_FORMAT, FACTS_VERSION, factsFileSchema, type FactsFile, type FactsPackage } from '../../shared/facts-file.js';
import type { PackageInfo } from '../../shared/domain/package.js';
import type { ClusterFacts, NodeFacts } from './cluster-facts.js';

/** `facts` as a facts file, checked against the schema `--from-facts` reads it with. */
export function factsDocument(facts: ClusterFacts, runbook: { cluster: string; procedure: string; packageFile?: string }, readAtMs: number): FactsFile {
  const document: FactsFile = {
    format: FACTS_FORMAT,
    version: FACTS_VERSION,
    readAt: new Date(readAtMs).toISOString(),
    runbook: { cluster: runbook.cluster, procedure: runbook.procedure },
    nodes: facts.nodes.map((node) => factsNode(node, runbook.packageFile)),
    cluster:
      facts.cluster === undefined
        ? null
        : {
            clusterName: facts.cluster.clusterName,
            servers: facts.cluster.servers.map((server) => ({ name: server.name, state: server.state })),
            groups: facts.cluster.groups.map((group) => ({ name: group.name, state: group.state, current: group.currentServer, resources: group.resources ?? [] })),
          },
    mirrors: facts.mirrors.map((mirror) => ({ name: mirror.name, servers: mirror.servers.map((server) => ({ server: server.server, color: server.color })) })),
  };
  // What is sent is what `--from-facts` will accept: a node reporting something odd fails here, naming it.
  return factsFileSchema.parse(document);
}

function factsNode(node: NodeFacts, packageFile: string | undefined): FactsFile['nodes'][number] {
  const file = node.packageFile !== undefined && 'package' in node.packageFile ? node.packageFile.package : undefined;
  return {
    name: node.name,
    address: node.address,
    hostname: node.hostname,
    machine: node.machine,
    agentVersion: node.agentVersion,
    installed: node.installed?.installed ? factsPackage(node.installed) : null,
    packageFile: file !== undefined && packageFile !== undefined ? { ...factsPackage(file), path: packageFile } : null,
    services: (node.services ?? []).map((service) => ({ name: service.name, enabled: service.enabled, running: service.running })),
  };
}

function factsPackage(info: PackageInfo): FactsPackage {
  return { name: info.name, epoch: info.epoch, version: info.version, release: info.release, arch: info.arch, summary: info.summary };
}
