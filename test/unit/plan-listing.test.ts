// What `lockstep plan` prints (SPEC §5.4, §7), from a compiled plan through the API's
// PlannedStep list: every stage in order and, for each group of nodes, what it will do.
import { describe, expect, it } from 'vitest';
import { renderPlannedSteps } from '../../coordinator/cli/plan-listing.js';
import { plannedSteps } from '../../coordinator/grpc/planned-steps.js';
import { compileCustom, DEFAULT_BARRIER_MESSAGE } from '../../coordinator/plan/compile-custom.js';
import { planHash } from '../../coordinator/plan/plan-hash.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { parseRunbook } from '../../coordinator/runbook/load-runbook.js';
import { readFixture } from '../support/fixture.js';

const RPM = '/srv/updates/clusterpro-2.1.3-1.x86_64.rpm';

function listing(plan: Plan): string {
  return renderPlannedSteps(planHash(plan), plannedSteps(plan), plan.warnings);
}

function custom(...steps: string[]): Plan {
  const nodes = ['server1', 'server2', 'server3'].map((name, index) => `  - {name: ${name}, address: 10.0.0.${index + 1}:7451}`);
  return compileCustom(parseRunbook('runbook.yaml', ['cluster: prod-db', 'nodes:', ...nodes, 'procedure: custom', 'steps:', ...steps.map((step) => `  - ${step}`)].join('\n')));
}

describe('rendering for `lockstep plan`', () => {
  const plan = compileCustom(parseRunbook('runbook.yaml', readFixture('runbooks/valid/custom-three-nodes.yaml')));
  const text = listing(plan);

  it('says which plan, and how many steps', () => {
    expect(text.split('\n')[0]).toBe(`plan ${planHash(plan)} — 8 steps`);
  });

  it('prints every stage in order, and every group of nodes its steps', () => {
    expect(text.split('\n').filter((line) => line.startsWith('──') || line.startsWith('on '))).toEqual([
      'on server1, server2, server3:',
      `── barrier all-disabled: ${DEFAULT_BARRIER_MESSAGE}`,
      'on server1:',
      '── gate kernel: kernel updated on every server?',
      'on server2:',
      '── safe point upgrade@server2:safe-point: lockstep pause takes effect here',
      'on server1:',
      'on server1:',
    ]);
    expect(text).toMatch(/on server1, server2, server3:\n\s+no-autostart\s+service\.disable\s+disable auto-start: clusterpro_alertsync, clusterpro_webmgr\n/);
    expect(text).toMatch(new RegExp(`on server2:\\n\\s+upgrade\\s+package\\.upgrade\\s+rpm -U ${RPM}\\n`));
  });

  it('marks operator barriers and warnings, and lists a node\'s steps in order', () => {
    const rendered = listing(custom(`{id: upgrade, kind: package.upgrade, with: {package: ${RPM}}}`, '{id: reboot, kind: node.reboot, on: {node: server1}}', '{id: done, kind: barrier, confirm: operator}'));
    expect(rendered).toMatch(new RegExp(`upgrade\\s+package\\.upgrade\\s+rpm -U ${RPM}\\n\\non server1:\\n\\s+reboot\\s+node\\.reboot\\s+reboot, wait for the new boot id\\n`));
    expect(rendered).toContain(`── barrier done: ${DEFAULT_BARRIER_MESSAGE} (an operator confirms)`);
    expect(listing(custom('{id: only, kind: node.reboot, on: one}'))).toContain('WARNING: node server2 is in the runbook but no step runs on it\n');
  });
});
