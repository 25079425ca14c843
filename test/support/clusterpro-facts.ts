// Runbooks and node facts for CLUSTERPRO procedure tests without a lab: a cluster of
// server1..serverN as `rpm -q`, `rpm -qp`, clpstat and clpmdstat would report it — groups
// failover1..N-1 on server1..N-1, the last server hosting none (as the lab lays it out).
import type { PackageInfo } from '../../shared/domain/package.js';
import type { ClusterFacts, NodeFacts } from '../../coordinator/plan/cluster-facts.js';
import type { Runbook } from '../../coordinator/runbook/runbook-schema.js';

export const RPM_PATH = '/srv/updates/clusterpro-2.1.3-1.x86_64.rpm';

export function clusterproPackage(version: string, arch = 'x86_64', summaryArch = arch): PackageInfo {
  const [v, release] = version.split('-') as [string, string];
  const series = v.split('.').slice(0, 2).join('.');
  return { installed: true, name: 'clusterpro', epoch: '', version: v, release, arch, summary: `CLUSTERPRO X ${series} for Linux(${summaryArch})`, installTime: 1 };
}

export function servers(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `server${index + 1}`);
}

export function clusterproRunbook(procedure: string, count: number, params: Record<string, unknown> = {}, extra: Partial<Runbook> = {}): Runbook {
  return {
    cluster: 'prod-db',
    nodes: servers(count).map((name, index) => ({ name, address: `10.0.0.${index + 1}:7451` })),
    procedure,
    bundle: 'CPRO-XL050-06',
    params: { package: RPM_PATH, ...params },
    ...extra,
  };
}

export interface FactsOptions {
  installed?: PackageInfo | undefined;
  file?: PackageInfo | { missing: string };
  replicator?: boolean;
  machine?: string;
}

/** Every node alike unless `perNode` says otherwise. */
export function clusterproFacts(count: number, options: FactsOptions = {}, perNode: Record<string, FactsOptions> = {}): ClusterFacts {
  const names = servers(count);
  const nodes = names.map((name, index): NodeFacts => {
    const mine = { ...options, ...perNode[name] };
    const file = 'file' in mine ? mine.file : clusterproPackage('2.1.3-1');
    return {
      name,
      address: `10.0.0.${index + 1}:7451`,
      reachable: true,
      error: '',
      hostname: name,
      agentVersion: '0.1.0',
      machine: mine.machine ?? 'x86_64',
      bootId: `boot-${name}`,
      ...('installed' in mine ? (mine.installed === undefined ? {} : { installed: mine.installed }) : { installed: clusterproPackage('2.0.0-1') }),
      ...(file !== undefined && { packageFile: 'missing' in file ? file : { package: file, sha256: 'ab'.repeat(32) } }),
    };
  });
  const groupCount = Math.max(1, count - 1);
  const groups = Array.from({ length: groupCount }, (_, index) => ({ name: `failover${index + 1}`, state: 'online' as const, stateText: 'Online', currentServer: names[index] as string }));
  return {
    nodes,
    cluster: {
      clusterName: 'prod-db',
      servers: names.map((name, index) => ({ name, state: 'online', stateText: 'Online', local: index === 0 })),
      groups,
      monitors: [],
      stopped: false,
    },
    mirrors: options.replicator
      ? groups.map((_, index) => ({
          name: `md${index + 1}`,
          overall: 'normal',
          overallText: 'Normal',
          servers: names.map((server) => ({ server, color: 'GREEN', lastUpdate: '', breakTime: '', diskError: 'OK', differencePercent: '0%' })),
        }))
      : [],
  };
}
