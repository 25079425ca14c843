// Approvals bound to the plan (issue 16 part 2): an approval names the gate's step id and the
// plan hash the approver read. It counts only for that plan, and only at the gate the run
// waits at now — or ahead of time at a gate the runbook marks `pre-approve: true`.
import { LockstepError } from '../../shared/errors.js';
import { FINAL_RUN_STATES, type RunState } from '../../shared/domain/run.js';
import { awaitsApproval, type Plan } from '../plan/plan.js';

export interface ApprovedRun {
  id: string;
  plan: Plan;
  planHash: string;
  state: RunState;
  stageIndex: number;
}

/** Throws unless an approval of `gate` for plan `planHash` may be recorded now. */
export function checkApproval(run: ApprovedRun, gate: string, planHash: string): void {
  const gates = run.plan.stages.filter(awaitsApproval).map((stage) => stage.id);
  if (!gates.includes(gate)) {
    throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `gate: run ${run.id} has no gate "${gate}" (its gates: ${gates.join(', ') || 'none'})`, { field: 'gate' });
  }
  if (planHash !== run.planHash) {
    throw new LockstepError(
      'LOCKSTEP_E_APPROVAL_REFUSED',
      `plan_hash: this approval is for plan ${planHash || '(none)'}, but run ${run.id} runs plan ${run.planHash}; nothing was approved — read the gate again with "lockstep approve ${run.id} ${gate}", which shows the run's plan`,
      { field: 'plan_hash' },
    );
  }
  const index = run.plan.stages.findIndex((stage) => stage.id === gate);
  if (run.state === 'awaiting-approval' && run.stageIndex === index) return;
  const stage = run.plan.stages[index];
  const ahead = index > run.stageIndex && !FINAL_RUN_STATES.has(run.state);
  if (ahead && stage?.type === 'gate' && stage.preApprove === true) return;
  const at = run.plan.stages[run.stageIndex]?.id ?? 'its end';
  const why = ahead ? 'approvals in advance are refused unless the runbook marks the gate "pre-approve: true"' : 'it is behind the run';
  throw new LockstepError('LOCKSTEP_E_APPROVAL_REFUSED', `gate: ${gate} of run ${run.id} is not awaiting approval (the run is ${run.state} at ${at}): ${why}; nothing was approved`, { field: 'gate' });
}
