// `lockstep rehearse --faults SPEC` (issue 17): the grammar, the seed's draws, and bad specs
// refused naming --faults.
import { describe, expect, it } from 'vitest';
import { describeFault, planFaults } from '../../lab/rehearsal/fault-spec.js';

const targets = {
  nodes: ['alpha', 'beta', 'gamma'],
  steps: new Map([
    ['alpha', ['disable-services', 'upgrade', 'reboot']],
    ['beta', ['disable-services', 'upgrade', 'reboot']],
    ['gamma', ['disable-services', 'upgrade', 'reboot', 'move-groups-to-updated:g1']],
  ]),
};

describe('the fault SPEC of lockstep rehearse', () => {
  it('reads every kind of fault with its node, step, command, factor and hold', () => {
    expect(planFaults('kill-agent:beta@upgrade, fail-once:gamma=clpgrp -m, slow-mirror:4, power-off:alpha@reboot=30', 1, targets)).toEqual([
      { kind: 'kill-agent', node: 'beta', step: 'upgrade' },
      { kind: 'fail-once', node: 'gamma', command: ['clpgrp', '-m'] },
      { kind: 'slow-mirror', factor: 4 },
      { kind: 'power-off', node: 'alpha', step: 'reboot', holdMs: 30_000 },
    ]);
  });

  it('gives defaults: rpm -U fails once, mirrors 10 times slower, power back after 10 s', () => {
    const [fail, slow, power] = planFaults('fail-once:alpha,slow-mirror,power-off:beta@upgrade', 1, targets);
    expect(fail).toEqual({ kind: 'fail-once', node: 'alpha', command: ['rpm', '-U'] });
    expect(slow).toEqual({ kind: 'slow-mirror', factor: 10 });
    expect(power).toMatchObject({ holdMs: 10_000 });
  });

  it('draws what is left out with the seed: the same seed, the same faults; a kill-agent step runs on its node', () => {
    const spec = 'kill-agent,kill-agent:gamma,power-off,fail-once';
    const first = planFaults(spec, 42, targets);
    expect(planFaults(spec, 42, targets)).toEqual(first);
    const draws = new Set(Array.from({ length: 40 }, (_, seed) => JSON.stringify(planFaults(spec, seed, targets))));
    expect(draws.size).toBeGreaterThan(1);
    for (let seed = 0; seed < 40; seed += 1) {
      for (const fault of planFaults('kill-agent', seed, targets)) {
        if (fault.kind !== 'kill-agent') throw new Error('expected kill-agent');
        expect(targets.steps.get(fault.node)).toContain(fault.step);
      }
    }
  });

  it.each([
    ['explode:alpha', /"explode:alpha" is not a fault/],
    ['kill-agent:delta@upgrade', /"delta" is not a node of the runbook \(alpha, beta, gamma\)/],
    ['kill-agent:alpha@move-groups-to-updated:g1', /not a step that runs on alpha/],
    ['kill-agent:alpha@upgrade=rpm', /kill-agent takes @STEP, not =COMMAND/],
    ['fail-once:alpha@upgrade', /fail-once takes =COMMAND, not @STEP/],
    ['fail-once:alpha=rpm;reboot', /COMMAND must be 1 to 8 words/],
    ['slow-mirror:0', /FACTOR must be a number from 1 to 1000/],
    ['power-off:alpha@upgrade=0', /SECONDS must be a whole number from 1 to 600/],
    [Array.from({ length: 17 }, () => 'slow-mirror').join(','), /at most 16 faults/],
  ])('refuses %s naming --faults', (spec, message) => {
    expect(() => planFaults(spec, 1, targets)).toThrow(message);
    expect(() => planFaults(spec, 1, targets)).toThrow(/^--faults: /);
  });

  it('says each fault in one line for the report', () => {
    expect(planFaults('kill-agent:beta@upgrade,power-off:alpha@reboot=5', 1, targets).map(describeFault)).toEqual([
      "kill-agent: SIGKILL beta's agent when upgrade is dispatched to it",
      'power-off: alpha loses power when reboot is dispatched, for 5 s',
    ]);
  });
});
