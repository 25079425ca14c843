// Issue 17: what a twin copies from a preflight's facts, and what it refuses. A half-upgraded
// cluster is copied half way; the runbook is the operator's, pointed at the twin.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FACTS_FORMAT, FACTS_VERSION, type FactsFile } from '../../shared/facts-file.js';
import { createTwin, twinPlan } from '../../lab/twin/lab-twin.js';
import { readClusterState, readNodeState } from '../../lab/state/lab-state.js';
import { makeTempDir } from '../support/temp-dir.js';

function pkg(version: string, summary = 'CLUSTERPRO X 2.0 for Linux(x86_64)'): NonNullable<FactsFile['nodes'][number]['installed']> {
  const [v, r] = version.split('-') as [string, string];
  return { name: 'clusterpro', epoch: '', version: v, release: r, arch: 'x86_64', summary };
}

function facts(): FactsFile {
  const node = (name: string, version: string): FactsFile['nodes'][number] => ({
    name,
    address: `${name}.example:7443`,
    hostname: name,
    machine: 'x86_64',
    agentVersion: '0.1.0',
    installed: pkg(version),
    packageFile: { ...pkg('2.1.5-1'), path: '/srv/pkgs/clusterpro-2.1.5-1.x86_64.rpm' },
    services: [{ name: 'clusterpro', enabled: version === '2.0.0-1', running: true }],
  });
  return {
    format: FACTS_FORMAT,
    version: FACTS_VERSION,
    readAt: '2026-12-01T20:00:00.000Z',
    runbook: { cluster: 'prod', procedure: 'clusterpro/rolling-update' },
    // db2 was updated by an earlier, interrupted night: the twin must start there too.
    nodes: [node('db1', '2.0.0-1'), node('db2', '2.1.5-1'), node('db3', '2.0.0-1')],
    cluster: {
      clusterName: 'prodcluster',
      servers: [
        { name: 'db1', state: 'online' },
        { name: 'db2', state: 'online' },
        { name: 'db3', state: 'online' },
      ],
      groups: [
        { name: 'oracle', state: 'online', current: 'db3', resources: ['md-ora', 'fip1'] },
        { name: 'web', state: 'offline', current: null, resources: [] },
      ],
    },
    mirrors: [{ name: 'md-ora', servers: [{ server: 'db1', color: 'GREEN' }, { server: 'db2', color: 'RED' }, { server: 'db3', color: 'GREEN' }] }],
  };
}

const runbookYaml = `cluster: prod
nodes:
  - {name: db1, address: db1.example:7443}
  - {name: db2, address: db2.example:7443}
  - {name: db3, address: db3.example:7443}
procedure: clusterpro/rolling-update
bundle: CPRO-XL050-06
params: {package: /srv/pkgs/clusterpro-2.1.5-1.x86_64.rpm, order: [db2, db1, db3]}
tls: {ca: /etc/lockstep/ca.pem, cert: /etc/lockstep/coordinator.pem, key: /etc/lockstep/coordinator.key}
acknowledge: [replicator-double-resync]
window: {cron: "0 1 * * 6", duration: 4h, timezone: Asia/Tokyo}
`;

let temp: ReturnType<typeof makeTempDir> | undefined;
afterEach(() => temp?.remove());

describe('a twin from the facts (issue 17)', () => {
  it('copies names, per-node versions, services, groups (where each runs, its mirrors) and mirror colours', () => {
    const { shape, platform, targetVersion } = twinPlan(facts());
    expect(platform).toBe('x86_64');
    expect(targetVersion).toBe('2.1.5-1');
    expect(shape.clusterName).toBe('prodcluster');
    expect(shape.nodes.map((node) => [node.name, node.version, node.services?.clusterpro?.enabled])).toEqual([
      ['db1', '2.0.0-1', true],
      ['db2', '2.1.5-1', false],
      ['db3', '2.0.0-1', true],
    ]);
    expect(shape.groups.oracle).toEqual({ current: 'db3', state: 'online', home: 'db3', servers: ['db3', 'db1', 'db2'], mirrors: ['md-ora'] });
    expect(shape.groups.web).toMatchObject({ current: null, state: 'offline', mirrors: [] });
    expect(shape.mirrors).toEqual({ 'md-ora': { db1: 'GREEN', db2: 'RED', db3: 'GREEN' } });
  });

  it.each([
    ['a procedure the lab does not simulate', (f: FactsFile) => ({ ...f, runbook: { ...f.runbook, procedure: 'solaris-cluster/rt-upgrade' } }), /runbook\.procedure: .*cannot be rehearsed on a twin/],
    ['no cluster status', (f: FactsFile) => ({ ...f, cluster: null }), /^facts: cluster: /],
    ['a mirror colour the lab does not model', (f: FactsFile) => ({ ...f, mirrors: [{ name: 'md-ora', servers: [{ server: 'db1', color: 'PURPLE' }] }] }), /mirrors\[0\]\.servers\[0\]\.color: "PURPLE"/],
    ['nodes on two platforms', (f: FactsFile) => ({ ...f, nodes: f.nodes.map((n, i) => (i === 1 ? { ...n, machine: 'ppc64' } : n)) }), /^facts: nodes: the nodes run on x86_64 and ppc64/],
    ['a node without the product', (f: FactsFile) => ({ ...f, nodes: f.nodes.map((n, i) => (i === 2 ? { ...n, installed: null } : n)) }), /nodes\[2\]\.installed: db3 has no product package/],
    ['a group on an unknown server', (f: FactsFile) => ({ ...f, cluster: { ...(f.cluster as NonNullable<FactsFile['cluster']>), groups: [{ name: 'g', state: 'online', current: 'db9', resources: [] }] } }), /cluster\.groups\[0\]\.current: "db9"/],
  ])('refuses %s, naming the field', (_what, change, message) => {
    expect(() => twinPlan(change(facts()))).toThrow(message);
  });

  it('refuses facts of other nodes than the runbook names', () => {
    const other = runbookYaml.replace('name: db3, address: db3.example:7443', 'name: db4, address: db4.example:7443');
    expect(() => twinPlan(facts(), { path: '/ops/tonight.yaml', yaml: other })).toThrow(/the facts are of nodes db1, db2, db3, the runbook \/ops\/tonight\.yaml names db1, db2, db4/);
  });

  it('lays out the twin half way as the cluster is, with the runbook pointed at it and no window', async () => {
    temp = makeTempDir('lockstep-twin-unit-');
    const dir = join(temp.dir, 'twin');
    const twin = await createTwin({ dir, facts: facts(), runbook: { path: '/ops/tonight.yaml', yaml: runbookYaml }, rpm: 'emulated', portBase: 41_001 });
    expect(twin.nodes).toEqual([
      { name: 'db1', address: '127.0.0.1:41001' },
      { name: 'db2', address: '127.0.0.1:41002' },
      { name: 'db3', address: '127.0.0.1:41003' },
    ]);
    expect(['db1', 'db2', 'db3'].map((name) => readNodeState(dir, name).packages.clusterpro?.version)).toEqual(['2.0.0', '2.1.5', '2.0.0']);
    expect(readNodeState(dir, 'db2').services.clusterpro).toEqual({ enabled: false, running: false });
    const cluster = readClusterState(dir);
    expect(cluster.clusterName).toBe('prodcluster');
    expect(cluster.groups.oracle).toMatchObject({ current: 'db3', mirrors: ['md-ora'] });
    expect(cluster.mirrors['md-ora']).toEqual({ db1: 'GREEN', db2: 'RED', db3: 'GREEN' });
    const copy = parse(readFileSync(twin.runbook, 'utf8')) as Record<string, unknown>;
    expect(copy).toEqual({
      cluster: 'prod',
      nodes: twin.nodes,
      procedure: 'clusterpro/rolling-update',
      bundle: 'CPRO-XL050-06',
      params: { package: join(dir, 'packages', 'clusterpro-2.1.5-1.x86_64.rpm'), order: ['db2', 'db1', 'db3'] },
      tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
      acknowledge: ['replicator-double-resync'],
    });
  });
});
