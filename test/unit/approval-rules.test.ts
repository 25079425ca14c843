// Approvals bound to the plan (issue 16 part 2): the plan hash the approver read, and the gate
// the run waits at — or, for a gate the runbook marks pre-approve, one still ahead.
import { describe, expect, it } from 'vitest';
import { checkApproval, type ApprovedRun } from '../../coordinator/engine/approval-rules.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { isLockstepError } from '../../shared/errors.js';

const HASH = 'a'.repeat(64);
const plan: Plan = {
  cluster: 'lab',
  procedure: 'custom',
  nodes: [{ name: 'server1', address: '10.0.0.1:7451' }],
  lead: 'server1',
  warnings: [],
  stages: [
    { type: 'gate', id: 'go', message: 'go?' },
    { type: 'tasks', id: 'work', lanes: { server1: [] } },
    { type: 'gate', id: 'later', message: 'later?' },
    { type: 'gate', id: 'early', message: 'early?', preApprove: true },
    { type: 'barrier', id: 'confirm', confirm: true, message: 'confirm?' },
  ],
};
const waitingAtGo: ApprovedRun = { id: 'r-1', plan, planHash: HASH, state: 'awaiting-approval', stageIndex: 0 };

function refusal(run: ApprovedRun, gate: string, hash: string): { code: string; field: string | undefined; message: string } | undefined {
  try {
    checkApproval(run, gate, hash);
    return undefined;
  } catch (error) {
    if (!isLockstepError(error)) throw error;
    return { code: error.code, field: error.field, message: error.message };
  }
}

describe('an approval counts only for the plan and the gate the approver saw', () => {
  it('accepts the gate the run waits at, for the run’s plan', () => {
    expect(refusal(waitingAtGo, 'go', HASH)).toBeUndefined();
  });

  it('refuses another plan hash, or none, naming plan_hash and both hashes', () => {
    const wrong = refusal(waitingAtGo, 'go', 'b'.repeat(64));
    expect(wrong).toMatchObject({ code: 'LOCKSTEP_E_APPROVAL_REFUSED', field: 'plan_hash' });
    expect(wrong?.message).toContain(`runs plan ${HASH}`);
    expect(refusal(waitingAtGo, 'go', '')).toMatchObject({ code: 'LOCKSTEP_E_APPROVAL_REFUSED', field: 'plan_hash' });
  });

  it('refuses a step id that is not a gate of the run', () => {
    expect(refusal(waitingAtGo, 'work', HASH)).toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'gate' });
    expect(refusal(waitingAtGo, 'nope', HASH)).toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'gate' });
  });

  it('refuses approvals in advance, of a gate or a confirm barrier, unless the gate is marked pre-approve', () => {
    expect(refusal(waitingAtGo, 'later', HASH)).toMatchObject({ code: 'LOCKSTEP_E_APPROVAL_REFUSED', field: 'gate' });
    expect(refusal(waitingAtGo, 'later', HASH)?.message).toMatch(/not awaiting approval \(the run is awaiting-approval at go\): approvals in advance are refused unless the runbook marks the gate "pre-approve: true"/);
    expect(refusal(waitingAtGo, 'confirm', HASH)).toMatchObject({ code: 'LOCKSTEP_E_APPROVAL_REFUSED' });
    expect(refusal(waitingAtGo, 'early', HASH)).toBeUndefined();
    expect(refusal({ ...waitingAtGo, state: 'running', stageIndex: 1 }, 'early', HASH)).toBeUndefined();
  });

  it('refuses a gate behind the run, and a pre-approve gate once the run has ended', () => {
    expect(refusal({ ...waitingAtGo, state: 'running', stageIndex: 1 }, 'go', HASH)?.message).toMatch(/it is behind the run/);
    expect(refusal({ ...waitingAtGo, state: 'cancelled', stageIndex: 1 }, 'early', HASH)).toMatchObject({ code: 'LOCKSTEP_E_APPROVAL_REFUSED' });
  });
});
