// One test per rule of the preflight (SPEC §5.1, §5.2): what the manual refuses, refused per
// node with the bundle's own words; and the compiler refusing with all of them at once.
import { describe, expect, it } from 'vitest';
import type { ClusterFacts } from '../../coordinator/plan/cluster-facts.js';
import { loadBundle } from '../../coordinator/procedures/clusterpro/bundle.js';
import { preflight, type Refusal } from '../../coordinator/procedures/clusterpro/preflight.js';
import { DOWNGRADE, INSTALL, NONSTOP_UPDATE, ROLLING_UPDATE, UPDATE } from '../../coordinator/procedures/clusterpro/procedures.js';
import type { ProcedureDefinition } from '../../coordinator/procedures/clusterpro/manual-step.js';
import { BUILT_IN_PROCEDURES } from '../../coordinator/procedures/registry.js';
import type { Runbook } from '../../coordinator/runbook/runbook-schema.js';
import { isLockstepError } from '../../shared/errors.js';
import { clusterproFacts, clusterproPackage, clusterproRunbook, type FactsOptions } from '../support/clusterpro-facts.js';

const bundle = loadBundle('CPRO-XL050-06');

function check(procedure: ProcedureDefinition, facts: ClusterFacts, runbook: Runbook = clusterproRunbook(procedure.name, facts.nodes.length)): ReturnType<typeof preflight> {
  return preflight({ runbook, facts, bundle, procedure });
}

function refusals(procedure: ProcedureDefinition, options: FactsOptions, perNode: Record<string, FactsOptions> = {}, runbook?: Runbook): Refusal[] {
  return check(procedure, clusterproFacts(2, options, perNode), runbook).refusals;
}

const rules = (found: Refusal[]): string[] => found.map((refusal) => `${refusal.node ?? '-'} ${refusal.rule}`);

describe('the preflight', () => {
  it('passes a 2.0.0-1 x86_64 cluster with the 2.1.3-1 x86_64 rpm', () => {
    expect(check(UPDATE, clusterproFacts(2))).toEqual({ refusals: [], warnings: [] });
    expect(check(ROLLING_UPDATE, clusterproFacts(4))).toEqual({ refusals: [], warnings: [] });
  });

  it('2.1.3: refuses IA64 at 2.1.1-1, a version the bundle does not list for IA64', () => {
    const found = refusals(UPDATE, { installed: clusterproPackage('2.1.1-1', 'ia64'), file: clusterproPackage('2.1.3-1', 'ia64') }, { server2: { installed: clusterproPackage('2.1.0-1', 'ia64') } });
    expect(rules(found)).toEqual(['server1 version-not-applicable']);
    expect(found[0]?.message).toContain('CPRO-XL050-06 2.1.3: 「このバージョンが以下の場合には本アップデートが必要です。下記以外のバージョンのCLUSTERPROサーバには本アップデートを適用しないでください。」');
  });

  it('2.1.5: refuses VMware ESX 3.5 at 2.0.0-1 (it applies to 2.0.2-1, 2.1.0-1, 2.1.1-1 only)', () => {
    const vmware = { installed: clusterproPackage('2.0.0-1', 'i386', 'i386/vmware'), file: clusterproPackage('2.1.3-1', 'i386', 'i386/vmware'), machine: 'i686' };
    expect(rules(refusals(UPDATE, vmware))).toEqual(['server1 version-not-applicable', 'server2 version-not-applicable']);
    expect(rules(refusals(UPDATE, { ...vmware, installed: clusterproPackage('2.1.1-1', 'i386', 'i386/vmware') }))).toEqual([]);
  });

  it('section 1: refuses a 1.x server and SingleServerSafe in the manual’s words', () => {
    const found = refusals(UPDATE, {}, { server1: { installed: clusterproPackage('1.0.2-1') }, server2: { installed: { ...clusterproPackage('2.1.0-1'), summary: 'CLUSTERPRO X SingleServerSafe 2.1 for Linux(x86_64)' } } });
    expect(rules(found)).toEqual(['server1 never-apply', 'server2 never-apply']);
    expect(found[0]?.message).toContain('以下には本Updateを適用しないでください。CLUSTERPRO X 1.0 for Linux');
    expect(found[1]?.message).toContain('SingleServerSafe');
  });

  it('3.1: refuses an update where clusterpro is not installed, and 3.1.1 an install where it is', () => {
    expect(rules(refusals(UPDATE, {}, { server2: { installed: undefined } }))).toEqual(['server2 not-installed']);
    expect(rules(refusals(INSTALL, {}, { server1: { installed: undefined } }))).toEqual(['server2 already-installed']);
  });

  it('refuses a platform that is not in the table', () => {
    const found = refusals(UPDATE, {}, { server1: { installed: clusterproPackage('2.0.0-1', 's390x') } });
    expect(rules(found)).toEqual(['server1 platform-unknown']);
    expect(found[0]?.message).toContain('(i686), (x86_64), (ia64), (ppc64), (i386/vmware)');
  });

  it('2.1.6–2.1.10: refuses an rpm for another platform, another version, another product, or none at all', () => {
    expect(rules(refusals(UPDATE, { file: clusterproPackage('2.1.3-1', 'i686') }))).toEqual(['server1 package-mismatch', 'server2 package-mismatch']);
    const found = refusals(UPDATE, {}, { server2: { file: clusterproPackage('2.1.2-1') } });
    expect(rules(found)).toEqual(['server2 package-mismatch', '- package-differs']);
    expect(found[0]?.message).toContain('version 2.1.2-1, expected 2.1.3-1');
    expect(found[0]?.message).toContain('clusterpro-2.1.3-1.x86_64.rpm');
    expect(rules(refusals(UPDATE, { file: { ...clusterproPackage('2.1.3-1'), name: 'clusterprobuilder' } }))).toEqual(['server1 package-mismatch', 'server2 package-mismatch']);
    expect(rules(refusals(UPDATE, {}, { server1: { file: { missing: 'no such file' } } }))).toEqual(['server1 package-missing']);
  });

  it('3.1.1: a new install takes the platform from the rpm, and uname -m must agree', () => {
    const fresh = { installed: undefined };
    expect(rules(refusals(INSTALL, fresh))).toEqual([]);
    expect(rules(refusals(INSTALL, { ...fresh, machine: 'ppc64' }))).toEqual(['server1 package-mismatch', 'server2 package-mismatch']);
  });

  it('mixed versions: every node must be applicable; nodes already at the target are reported', () => {
    const found = refusals(ROLLING_UPDATE, {}, { server1: { installed: clusterproPackage('2.1.3-1') }, server2: { installed: clusterproPackage('2.0.3-1') } });
    expect(rules(found)).toEqual(['server1 already-at-target']);
    expect(found[0]?.message).toMatch(/already at CPRO-XL050-06's target 2\.1\.3-1/);
  });

  it('6: the rpm must be an earlier version the bundle knows for the platform', () => {
    const atTarget = { installed: clusterproPackage('2.1.3-1'), file: clusterproPackage('2.0.0-1') };
    expect(rules(refusals(DOWNGRADE, atTarget))).toEqual([]);
    expect(rules(refusals(DOWNGRADE, { ...atTarget, installed: clusterproPackage('2.0.0-1') }))).toEqual(['server1 not-older', 'server2 not-older']);
    expect(rules(refusals(DOWNGRADE, { ...atTarget, file: clusterproPackage('1.0.2-1') }))).toEqual(['server1 package-mismatch', 'server2 package-mismatch']);
  });

  it('3.1.4: refuses the non-stop update with Replicator', () => {
    const found = refusals(NONSTOP_UPDATE, { replicator: true });
    expect(rules(found)).toEqual(['- replicator-refused']);
    expect(found[0]?.message).toContain('CPRO-XL050-06 3.1.4: 「Replicatorオプションを使用している場合には本手順は行うことができません。3.1.2 または 3.1.3の手順で実施してください。」');
  });

  it('3.1.3: a rolling update with Replicator needs acknowledge: [replicator-double-resync], then warns with the manual’s words', () => {
    const facts = clusterproFacts(2, { replicator: true });
    const refused = check(ROLLING_UPDATE, facts);
    expect(rules(refused.refusals)).toEqual(['- replicator-unacknowledged']);
    expect(refused.refusals[0]?.message).toContain('acknowledge: [replicator-double-resync]');
    const acknowledged = check(ROLLING_UPDATE, facts, clusterproRunbook(ROLLING_UPDATE.name, 2, {}, { acknowledge: ['replicator-double-resync'] }));
    expect(acknowledged.refusals).toEqual([]);
    expect(acknowledged.warnings).toEqual([expect.stringContaining('CPRO-XL050-06 3.1.3: 「Replicatorを使用している場合、ミラー復帰を延べ2回行うため本手順は推奨しません。3.1.2の手順をお勧めします。」')]);
    // The full-stop update is what the manual recommends with Replicator: no warning.
    expect(check(UPDATE, facts)).toEqual({ refusals: [], warnings: [] });
  });

  it('3.1.4 (1) and 3.1.3: every server and group normal before the cluster is suspended or groups move', () => {
    const facts = clusterproFacts(2);
    const cluster = facts.cluster as NonNullable<ClusterFacts['cluster']>;
    cluster.servers[1] = { ...(cluster.servers[1] as (typeof cluster.servers)[number]), state: 'offline', stateText: 'Offline' };
    expect(rules(check(NONSTOP_UPDATE, facts).refusals)).toEqual(['server2 cluster-not-normal']);
    expect(check(NONSTOP_UPDATE, facts).refusals[0]?.message).toContain('すべてのサーバが正常状態にあることを確認します。');
    expect(rules(check(ROLLING_UPDATE, facts).refusals)).toEqual(['server2 cluster-not-normal']);
    expect(check(UPDATE, facts).refusals).toEqual([]);
  });

  it('the compiler refuses with every refusal at once, as LOCKSTEP_E_PREFLIGHT', () => {
    const procedure = BUILT_IN_PROCEDURES.get('clusterpro/nonstop-update');
    const facts = clusterproFacts(2, { replicator: true }, { server2: { installed: clusterproPackage('1.0.2-1') } });
    let error: unknown;
    try {
      procedure?.compile(clusterproRunbook('clusterpro/nonstop-update', 2), facts);
    } catch (caught) {
      error = caught;
    }
    expect(isLockstepError(error, 'LOCKSTEP_E_PREFLIGHT')).toBe(true);
    expect((error as Error).message).toMatch(/\[never-apply\] server2: .*\n.*\[replicator-refused\]/);
  });
});
