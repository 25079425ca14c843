// Issue 16 part 3: the availability proof every plan passes at plan/apply, from the
// preflight's facts — custom runbooks that would leave a group with no server or a mirror with
// no up-to-date copy online are refused naming the stage, the group and the servers; with
// `downtime: planned` they are accepted and the downtime is listed; the built-in procedures
// pass, those that stop the cluster by design listing their planned downtime.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { ClusterFacts } from '../../coordinator/plan/cluster-facts.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { compileSubmission, readSubmission } from '../../coordinator/procedures/compile-runbook.js';
import { LockstepError } from '../../shared/errors.js';
import { clusterproFacts, clusterproPackage, clusterproRunbook, RPM_PATH } from '../support/clusterpro-facts.js';

const TLS = { ca: 'ca.pem', cert: 'coordinator.pem', key: 'coordinator.key' };

/** A 2-node Replicator cluster as the lab lays it out: failover1 with its mirror md1 on server1; md1's copies as given. */
function twoNodeFacts(md1: Record<string, string> = { server1: 'GREEN', server2: 'GREEN' }): ClusterFacts {
  const facts = clusterproFacts(2, { replicator: true });
  const cluster = facts.cluster as NonNullable<ClusterFacts['cluster']>;
  return {
    ...facts,
    cluster: { ...cluster, groups: cluster.groups.map((group) => ({ ...group, resources: ['fip1', 'md1'] })) },
    mirrors: facts.mirrors.map((mirror) => ({ ...mirror, servers: mirror.servers.map((copy) => ({ ...copy, color: md1[copy.server] ?? 'GREEN' })) })),
  };
}

function custom(steps: unknown[], extra: Record<string, unknown> = {}): string {
  return stringify({ cluster: 'prod-db', nodes: [{ name: 'server1', address: '10.0.0.1:7451' }, { name: 'server2', address: '10.0.0.2:7451' }], procedure: 'custom', tls: TLS, steps, ...extra });
}

function compile(yaml: string, facts: ClusterFacts): Plan {
  return compileSubmission(readSubmission(yaml, '/etc/lockstep/test.yaml'), facts);
}

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(LockstepError);
    expect((error as LockstepError).code).toBe('LOCKSTEP_E_AVAILABILITY_PROOF');
    return (error as LockstepError).message;
  }
  throw new Error('the plan was accepted');
}

const STOP_BOTH = [
  { id: 'stop-daemon', kind: 'service.stop', with: { services: ['clusterpro'] } },
  { id: 'stopped', kind: 'barrier' },
  { id: 'query', kind: 'package.query', with: { name: 'clusterpro' } },
  { id: 'start-daemon', kind: 'service.start', with: { services: ['clusterpro'] } },
];

describe('the availability proof refuses custom plans that leave a group or a mirror without a server', () => {
  it('stopping the cluster daemon on both servers of a 2-node cluster: refused naming the stage, failover1 and both servers', () => {
    const message = refusal(() => compile(custom(STOP_BOTH), twoNodeFacts()));
    expect(message).toMatch(/stage stop-daemon: group failover1 \(on server1\) would have no server to run on: server1, server2 leave the cluster in this stage \(step stop-daemon\)/);
    expect(message).toMatch(/stage stop-daemon: mirror md1 would have no up-to-date copy online: GREEN only on server1, server2/);
    expect(message).toMatch(/downtime: planned/);
  });

  it('the same with downtime: planned: accepted, and the downtime listed per group and mirror, from step to step', () => {
    const plan = compile(custom(STOP_BOTH, { downtime: 'planned' }), twoNodeFacts());
    expect(plan.warnings).toContain('planned downtime: group failover1 runs on no server from step stop-daemon to step start-daemon');
    expect(plan.warnings).toContain('planned downtime: mirror md1 has no up-to-date copy online from step stop-daemon to step start-daemon');
  });

  it('rebooting the only server with an up-to-date copy of md1: refused naming the mirror, the group and server1', () => {
    const steps = [{ id: 'reboot', kind: 'node.reboot', on: { node: 'server1' } }];
    const message = refusal(() => compile(custom(steps), twoNodeFacts({ server1: 'GREEN', server2: 'RED' })));
    expect(message).toMatch(/stage reboot: group failover1 \(on server1\) would have no server to run on: server1 leaves the cluster in this stage \(step reboot\); staying: server2 \(md1 up to date only on server1\)/);
    expect(message).toMatch(/stage reboot: mirror md1 would have no up-to-date copy online: GREEN only on server1; server1 leaves/);
    // With both copies GREEN the same reboot is a failover, and accepted.
    expect(compile(custom(steps), twoNodeFacts()).warnings.filter((warning) => warning.startsWith('planned downtime'))).toEqual([]);
  });

  it('rolling a 2-node cluster with batch 2: refused naming the batch stage and failover1; batch 1 is accepted', () => {
    const on = (batch: number): unknown => ({ rolling: ['server1', 'server2'], batch });
    // Each server's copy of md1 is GREEN again, and the groups are online, before the next server goes (3.1.3.2, 3.1.3.1 (11)).
    const roll = (batch: number): unknown[] => [
      { id: 'reboot', kind: 'node.reboot', on: on(batch) },
      { id: 'healthy', kind: 'cluster.wait-healthy', on: on(batch) },
      { id: 'green', kind: 'mirror.wait-green', on: on(batch) },
    ];
    expect(refusal(() => compile(custom(roll(2)), twoNodeFacts()))).toMatch(/stage reboot@server1\+server2: group failover1 \(on server1\) would have no server to run on: server1, server2 leave/);
    expect(() => compile(custom(roll(1)), twoNodeFacts())).not.toThrow();
  });

  it('a second reboot before the group has failed over is refused, and so is one before the first server\'s copy is GREEN again', () => {
    const reboot = (node: string): unknown => ({ id: `reboot-${node}`, kind: 'node.reboot', on: { node } });
    const healthy = { id: 'healthy', kind: 'cluster.wait-healthy', on: 'one' };
    // No mirror: server1's reboot fails failover1 over to server2, which must not go before it is online there.
    const noMirror = { ...twoNodeFacts(), mirrors: [] };
    expect(refusal(() => compile(custom([reboot('server1'), { id: 'b', kind: 'barrier' }, reboot('server2')]), noMirror))).toMatch(
      /stage reboot-server2: group failover1 \(on server2\) would have no server to run on: server2 leaves .*it may still be failing over from server1 and cannot go back there: wait with cluster.wait-healthy first/,
    );
    expect(() => compile(custom([reboot('server1'), healthy, { id: 'b', kind: 'barrier' }, reboot('server2')]), noMirror)).not.toThrow();
  });

  it('a second reboot before the first server\'s copy is GREEN again is refused; with mirror.wait-green between them it is accepted', () => {
    const reboot = (node: string): unknown => ({ id: `reboot-${node}`, kind: 'node.reboot', on: { node } });
    const message = refusal(() => compile(custom([reboot('server2'), { id: 'b', kind: 'barrier' }, reboot('server1')]), twoNodeFacts()));
    expect(message).toMatch(/stage reboot-server1: group failover1 \(on server1\) would have no server to run on: server1 leaves the cluster in this stage \(step reboot-server1\); staying: server2 \(md1 up to date only on server1\)/);
    const waited = [reboot('server2'), { id: 'green', kind: 'mirror.wait-green', on: { node: 'server1' } }, { id: 'b', kind: 'barrier' }, reboot('server1')];
    expect(() => compile(custom(waited), twoNodeFacts())).not.toThrow();
  });

  it('a suspended cluster fails nothing over: rebooting the server a group runs on is refused', () => {
    const steps = [{ id: 'suspend', kind: 'cluster.suspend', on: 'one' }, { id: 'b', kind: 'barrier' }, { id: 'reboot', kind: 'node.reboot', on: { node: 'server1' } }];
    expect(refusal(() => compile(custom(steps), twoNodeFacts()))).toMatch(/stage reboot: group failover1 \(on server1\) would run on no server: server1 leaves .* suspended/);
  });

  it('stopping a group is refused unless the downtime is planned', () => {
    const steps = [{ id: 'stop', kind: 'group.stop', on: { node: 'server1' }, with: { group: 'failover1' } }, { id: 'b', kind: 'barrier' }, { id: 'start', kind: 'group.start', on: { node: 'server1' }, with: { group: 'failover1' } }];
    expect(refusal(() => compile(custom(steps), twoNodeFacts()))).toMatch(/stage stop: group failover1 is stopped \(step stop on server1\) and would run on no server/);
    expect(compile(custom(steps, { downtime: 'planned' }), twoNodeFacts()).warnings).toContain('planned downtime: group failover1 runs on no server from step stop to step start');
  });
});

describe('the built-in procedures pass the proof', () => {
  const facts = (count: number, installed = '2.0.0-1', file = '2.1.3-1', replicator = true): ClusterFacts => {
    const base = clusterproFacts(count, { replicator, installed: clusterproPackage(installed), file: clusterproPackage(file) });
    const cluster = base.cluster as NonNullable<ClusterFacts['cluster']>;
    const nodes = base.nodes.map((node) => ({ ...node, packageDigests: { [RPM_PATH]: { sha256: 'ab'.repeat(32) } } }));
    return { ...base, nodes, cluster: { ...cluster, groups: cluster.groups.map((group, index) => ({ ...group, resources: [`md${index + 1}`] })) } };
  };
  // With Replicator the manual advises against 3.1.3 (mirrors resync twice): acknowledged.
  const builtIn = (procedure: string, count: number): string => stringify({ ...clusterproRunbook(procedure, count), tls: TLS, acknowledge: ['replicator-double-resync'] });

  it.each([2, 3, 4])('rolling update and nonstop update of %i servers: accepted, no downtime', (count) => {
    // 3.1.4 cannot be used with Replicator: the nonstop update runs on a cluster without mirrors.
    for (const [procedure, replicator] of [['clusterpro/rolling-update', true], ['clusterpro/nonstop-update', false]] as const) {
      const plan = compile(builtIn(procedure, count), facts(count, '2.0.0-1', '2.1.3-1', replicator));
      expect(plan.warnings.filter((warning) => warning.startsWith('planned downtime'))).toEqual([]);
    }
  });

  it.each(['clusterpro/update', 'clusterpro/downgrade'])('%s stops the cluster by design: accepted, every group and mirror down from the shutdown to the reboot', (procedure) => {
    const plan = compile(builtIn(procedure, 3), procedure === 'clusterpro/downgrade' ? facts(3, '2.1.3-1', '2.0.0-1') : facts(3));
    for (const subject of ['group failover1 runs on no server', 'group failover2 runs on no server', 'mirror md1 has no up-to-date copy online']) {
      expect(plan.warnings).toContain(`planned downtime: ${subject} from step cluster-shutdown to step reboot`);
    }
  });
});
