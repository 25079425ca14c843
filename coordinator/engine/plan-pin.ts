// `apply --plan HASH` (issue 16 part 2): the run starts only if the plan compiled now, after
// a new preflight, is the plan the operator read. What `lockstep plan` showed is kept by hash
// (plan-record.ts); any difference refuses the run, nothing created, saying what changed.
import { isLockstepError, LockstepError, invalidArgument } from '../../shared/errors.js';
import type { ClusterFacts } from '../plan/cluster-facts.js';
import { planChanges, planRecord, type PlanRecord } from '../plan/plan-record.js';
import type { Plan } from '../plan/plan.js';

export interface PlanRecords {
  planRecord(hash: string): PlanRecord | undefined;
}

/** The record `lockstep plan` stored for `hash`; refuses a malformed or unknown hash. */
export function seenPlan(records: PlanRecords, hash: string): PlanRecord {
  if (!/^[0-9a-f]{64}$/.test(hash)) throw invalidArgument('plan', `"${hash.slice(0, 80)}" is not a plan hash (64 lowercase hex digits, as lockstep plan prints it)`);
  const seen = records.planRecord(hash);
  if (seen === undefined) {
    throw new LockstepError('LOCKSTEP_E_NOT_FOUND', `plan: this coordinator has shown no plan ${hash} (or it is older than the retention): run "lockstep plan RUNBOOK", read it, then apply with the hash it prints`, { field: 'plan' });
  }
  return seen;
}

/**
 * Before compiling: differences the facts alone show (a node unreachable, a version, a group
 * moved). Called also when the preflight or the compile refused, so the operator reads what
 * changed rather than only the refusal it caused.
 */
export function refuseChangedFacts(seen: PlanRecord, facts: ClusterFacts, cause?: unknown): void {
  const changes = planChanges(seen, planRecord('', undefined, facts));
  if (changes.length > 0) throw planChanged(seen.hash, changes, cause);
}

/** After compiling: the plan must be the one seen, and so must the facts it was compiled from. */
export function refuseChangedPlan(seen: PlanRecord, now: PlanRecord): void {
  const changes = planChanges(seen, now);
  if (changes.length > 0) throw planChanged(seen.hash, changes);
}

/** Compiles with `compile`; a refusal of the compile is reported as what changed when the facts differ. */
export function compilePinned(seen: PlanRecord, facts: ClusterFacts, compile: () => Plan): Plan {
  try {
    return compile();
  } catch (error) {
    if (isLockstepError(error, 'LOCKSTEP_E_PREFLIGHT') || isLockstepError(error, 'LOCKSTEP_E_CONFIG')) refuseChangedFacts(seen, facts, error);
    throw error;
  }
}

function planChanged(hash: string, changes: readonly string[], cause?: unknown): LockstepError {
  const lines = changes.map((change) => `  - ${change}`).join('\n');
  return new LockstepError(
    'LOCKSTEP_E_PLAN_CHANGED',
    `plan: the plan compiled now differs from plan ${hash} that lockstep plan showed; nothing was started. What changed:\n${lines}\nRun "lockstep plan RUNBOOK" again, read it, then apply with the hash it prints.`,
    { field: 'plan', ...(cause !== undefined && { cause }) },
  );
}
