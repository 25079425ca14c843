// The static availability check (SPEC §5.2) passes the compiled rolling updates and catches
// a broken plan: a group left on a server that goes down, too many servers down at once, a
// group moved onto a server that is down.
import { describe, expect, it } from 'vitest';
import type { Plan, Stage } from '../../coordinator/plan/plan.js';
import { assertAvailable, availabilityViolations } from '../../coordinator/procedures/clusterpro/availability.js';
import { placementOf } from '../../coordinator/procedures/clusterpro/group-placement.js';
import { BUILT_IN_PROCEDURES } from '../../coordinator/procedures/registry.js';
import { isLockstepError } from '../../shared/errors.js';
import { clusterproFacts, clusterproRunbook } from '../support/clusterpro-facts.js';

function rolling(count: number, params: Record<string, unknown> = {}): { plan: Plan; placement: ReturnType<typeof placementOf> } {
  const facts = clusterproFacts(count);
  const plan = BUILT_IN_PROCEDURES.get('clusterpro/rolling-update')?.compile(clusterproRunbook('clusterpro/rolling-update', count, params), facts) as Plan;
  return { plan, placement: placementOf(facts.cluster) };
}

/** The plan without the tasks whose step id starts with `prefix`. */
function without(plan: Plan, prefix: string): Stage[] {
  return plan.stages.map((stage) =>
    stage.type === 'tasks' ? { ...stage, lanes: Object.fromEntries(Object.entries(stage.lanes).map(([node, tasks]) => [node, tasks.filter((task) => !task.stepId.startsWith(prefix))])) } : stage,
  );
}

describe('the availability invariant, checked on the plan', () => {
  it('holds for the compiled rolling updates, 2 to 5 servers, batches 1 and 2, with groups moved back', () => {
    for (const count of [2, 3, 4, 5]) {
      for (const batch of count > 2 ? [1, 2] : [1]) {
        const { plan, placement } = rolling(count, { batch, restoreGroups: true });
        expect(availabilityViolations(plan.stages, placement, batch)).toEqual([]);
      }
    }
  });

  it('catches a group left on a server that goes down (3.1.3.1 (1) missing)', () => {
    const { plan, placement } = rolling(3, { order: ['server1', 'server2', 'server3'] });
    const violations = availabilityViolations(without(plan, 'move-groups-away'), placement, 1);
    expect(violations[0]).toMatch(/group failover1 stays on server1, which is down/);
  });

  it('catches more servers down than the batch allows', () => {
    const { plan, placement } = rolling(4, { batch: 2 });
    expect(availabilityViolations(plan.stages, placement, 1)).toContainEqual(expect.stringMatching(/2 servers down at once \(server4, server1\), at most 1 allowed/));
  });

  it('catches a group moved onto a server that is down, and refuses the plan as a compiler bug', () => {
    const { plan, placement } = rolling(2);
    // 3.1.3.3 (1) moved into the stage where server2 itself goes down.
    const move = plan.stages.flatMap((stage) => (stage.type === 'tasks' ? (stage.lanes.server1 ?? []) : [])).find((task) => task.kind === 'group.move');
    const broken = plan.stages.map((stage) =>
      stage.type === 'tasks' && stage.id === 'server-shutdown@server2' && move !== undefined ? { ...stage, lanes: { ...stage.lanes, server1: [move] } } : stage,
    );
    expect(availabilityViolations(broken, placement, 1)[0]).toMatch(/failover1 is moved to server2, which is down in this stage/);
    let error: unknown;
    try {
      assertAvailable({ ...plan, stages: broken }, placement, 1);
    } catch (caught) {
      error = caught;
    }
    expect(isLockstepError(error, 'LOCKSTEP_E_INTERNAL')).toBe(true);
  });
});
