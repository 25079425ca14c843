// docs/security.md §2: the plan carries each node's sha256 of each package file it installs,
// so the digest is part of the plan hash; a node that could not read its file refuses the plan.
import { describe, expect, it } from 'vitest';
import type { ClusterFacts, NodeFacts } from '../../coordinator/plan/cluster-facts.js';
import { plannedSteps } from '../../coordinator/grpc/planned-steps.js';
import { compileCustom } from '../../coordinator/plan/compile-custom.js';
import { planHash } from '../../coordinator/plan/plan-hash.js';
import { pinPackageDigests, runbookPackageFiles } from '../../coordinator/plan/pin-package-digests.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { parseRunbook } from '../../coordinator/runbook/load-runbook.js';

const NEW = '/srv/updates/clusterpro-2.1.3-1.x86_64.rpm';
const OLD = '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm';
const digest = (char: string): string => char.repeat(64);

const runbook = parseRunbook(
  'runbook.yaml',
  [
    'cluster: prod-db',
    'nodes:',
    '  - {name: server1, address: 10.0.0.1:7451}',
    '  - {name: server2, address: 10.0.0.2:7451}',
    'procedure: custom',
    'steps:',
    `  - {id: down, kind: package.downgrade, with: {package: ${OLD}}}`,
    '  - {id: query, kind: package.query, with: {name: clusterpro}}',
    `  - {id: up, kind: package.upgrade, on: {rolling: [server2, server1]}, with: {package: ${NEW}}}`,
    `  - {id: again, kind: package.upgrade, on: {node: server1}, with: {package: ${NEW}}}`,
  ].join('\n'),
);

function facts(digests: Record<string, NodeFacts['packageDigests']>): ClusterFacts {
  const node = (name: string): NodeFacts => ({ name, address: '', reachable: true, error: '', hostname: name, agentVersion: '', machine: 'x86_64', bootId: '', packageDigests: digests[name] });
  return { nodes: [node('server1'), node('server2')], mirrors: [] };
}

const tasks = (plan: Plan, node: string): Array<{ stepId: string; sha256?: string }> =>
  plan.stages.flatMap((stage) => (stage.type === 'tasks' ? (stage.lanes[node] ?? []) : [])).map((task) => ({ stepId: task.stepId, sha256: task.params.sha256 }));

describe('pinning package digests in a plan', () => {
  it('reads each package file of a custom runbook once', () => {
    expect(runbookPackageFiles(runbook)).toEqual([OLD, NEW]);
  });

  it("puts each node's own digest on each of its package tasks, and nothing on the others", () => {
    const plan = pinPackageDigests(
      compileCustom(runbook),
      facts({ server1: { [OLD]: { sha256: digest('1') }, [NEW]: { sha256: digest('2') } }, server2: { [OLD]: { sha256: digest('3') }, [NEW]: { sha256: digest('4') } } }),
    );
    expect(tasks(plan, 'server1')).toEqual([
      { stepId: 'down', sha256: digest('1') },
      { stepId: 'query', sha256: undefined },
      { stepId: 'up', sha256: digest('2') },
      { stepId: 'again', sha256: digest('2') },
    ]);
    expect(tasks(plan, 'server2')).toEqual([
      { stepId: 'down', sha256: digest('3') },
      { stepId: 'query', sha256: undefined },
      { stepId: 'up', sha256: digest('4') },
    ]);
    // What lockstep plan prints: server1 and server2 read different bytes for the same file.
    const printed = (id: string): string[] => plannedSteps(plan).filter((step) => step.id === id).map((step) => `${step.nodes.join(',')}: ${step.description}`);
    expect(printed('down')).toEqual([expect.stringMatching(new RegExp(`^server1,server2: .*\\(sha256 differs per node: server1 ${digest('1').slice(0, 12)}, server2 ${digest('3').slice(0, 12)}\\)$`))]);
    expect(printed('query')).toEqual([expect.not.stringContaining('sha256')]);
  });

  it('shows one digest when every node read the same bytes', () => {
    const same = pinPackageDigests(compileCustom(runbook), facts({ server1: { [OLD]: { sha256: digest('1') }, [NEW]: { sha256: digest('2') } }, server2: { [OLD]: { sha256: digest('1') }, [NEW]: { sha256: digest('2') } } }));
    expect(plannedSteps(same).find((step) => step.id === 'up')?.description).toMatch(new RegExp(`\\(sha256 ${digest('2').slice(0, 12)}\\)$`));
  });

  it('changes the plan hash when a digest changes', () => {
    const read = (last: string) =>
      pinPackageDigests(compileCustom(runbook), facts({ server1: { [OLD]: { sha256: digest('1') }, [NEW]: { sha256: digest('2') } }, server2: { [OLD]: { sha256: digest('3') }, [NEW]: { sha256: digest(last) } } }));
    expect(planHash(read('4'))).not.toBe(planHash(read('5')));
  });

  it('refuses the plan, naming node, file and reason, when a node could not read a file', () => {
    const unread = facts({ server1: { [OLD]: { sha256: digest('1') }, [NEW]: { missing: 'path: is a symbolic link' } }, server2: { [OLD]: { sha256: digest('3') } } });
    let refusal: unknown;
    try {
      pinPackageDigests(compileCustom(runbook), unread);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toMatchObject({ code: 'LOCKSTEP_E_PREFLIGHT' });
    const message = (refusal as Error).message;
    expect(message).toContain(`[package-missing] server1: ${NEW} cannot be read on this node (path: is a symbolic link)`);
    expect(message).toContain(`[package-missing] server2: ${NEW} cannot be read on this node (not inspected)`);
    // server1 installs NEW twice: one line for it.
    expect(message.split(`server1: ${NEW}`)).toHaveLength(2);
  });
});
