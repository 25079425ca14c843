// What `apply --plan HASH` compares (issue 16 part 2): nodes, versions, group placement and
// steps, each difference a line an operator can read.
import { describe, expect, it } from 'vitest';
import { planChanges, planRecord } from '../../coordinator/plan/plan-record.js';
import type { ClusterFacts } from '../../coordinator/plan/cluster-facts.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { clusterproFacts, clusterproPackage } from '../support/clusterpro-facts.js';

function plan(steps: Array<[string, string]>): Plan {
  return {
    cluster: 'lab',
    procedure: 'custom',
    nodes: [],
    lead: 'server1',
    warnings: [],
    stages: [{ type: 'tasks', id: 'rolling', lanes: Object.fromEntries(steps.map(([node, description]) => [node, [{ stepId: 'upgrade', kind: 'package.upgrade', params: { timeoutMs: 1 }, description }]])) }],
  };
}

describe('planChanges', () => {
  const facts = clusterproFacts(2);
  const seen = planRecord('a'.repeat(64), plan([['server1', 'rpm -U x']]), facts);

  it('finds nothing when the same plan is compiled from the same facts', () => {
    expect(planChanges(seen, planRecord('a'.repeat(64), plan([['server1', 'rpm -U x']]), facts))).toEqual([]);
  });

  it('names a node that became unreachable, a version that changed and a group that moved', () => {
    const now: ClusterFacts = structuredClone(facts);
    (now.nodes[1] as (typeof now.nodes)[number]).reachable = false;
    (now.nodes[1] as (typeof now.nodes)[number]).error = 'connection refused';
    (now.nodes[0] as (typeof now.nodes)[number]).installed = clusterproPackage('2.0.1-1');
    const group = now.cluster?.groups[0];
    if (group !== undefined) group.currentServer = 'server2';
    const changes = planChanges(seen, planRecord('', undefined, now));
    expect(changes).toContain('node server2: 10.0.0.2:7451, reachable → 10.0.0.2:7451, unreachable (connection refused)');
    expect(changes).toContain('version on server1: clusterpro 2.0.0-1 → clusterpro 2.0.1-1');
    expect(changes.some((line) => /^group failover1: on server1 → on server2$/.test(line))).toBe(true);
  });

  it('lists steps removed and added when the plan itself differs', () => {
    const changes = planChanges(seen, planRecord('b'.repeat(64), plan([['server2', 'rpm -U x']]), facts));
    expect(changes).toEqual(['step removed: rolling server1: upgrade rpm -U x', 'step added: rolling server2: upgrade rpm -U x']);
  });
});
