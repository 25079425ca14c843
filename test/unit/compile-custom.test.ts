import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileCustom, DEFAULT_BARRIER_MESSAGE } from '../../coordinator/plan/compile-custom.js';
import { canonicalJson, planHash } from '../../coordinator/plan/plan-hash.js';
import { DEFAULT_STEP_TIMEOUT_MS, type Plan, type Stage } from '../../coordinator/plan/plan.js';
import { parseRunbook } from '../../coordinator/runbook/load-runbook.js';
import { isLockstepError } from '../../shared/errors.js';
import { readFixture } from '../support/fixture.js';

const RPM = '/srv/updates/clusterpro-2.1.3-1.x86_64.rpm';

/** A custom runbook on server1..server3 with these step lines (YAML flow maps). */
function custom(...steps: string[]): Plan {
  return compileCustom(parseRunbook('runbook.yaml', customText(...steps)));
}

function customText(...steps: string[]): string {
  return [
    'cluster: prod-db',
    'nodes:',
    ...['server1', 'server2', 'server3'].map((name, index) => `  - {name: ${name}, address: 10.0.0.${index + 1}:7451}`),
    'procedure: custom',
    'steps:',
    ...steps.map((step) => `  - ${step}`),
  ].join('\n');
}

function specExample(lead?: string): Plan {
  return compileCustom(parseRunbook('runbook.yaml', readFixture('runbooks/valid/custom-three-nodes.yaml')), { lead });
}

/** `type id` per stage, and for task stages `node: step step …` per lane. */
function outline(plan: Plan): string[] {
  return plan.stages.map((stage) => `${stage.type} ${stage.id}${stage.type === 'tasks' ? ` ${lanesOf(stage)}` : ''}`);
}

function lanesOf(stage: Extract<Stage, { type: 'tasks' }>): string {
  return Object.entries(stage.lanes)
    .map(([node, tasks]) => `${node}: ${tasks.map((task) => task.stepId).join(' ')}`)
    .join(' | ');
}

describe('compiling SPEC §6.1 custom example', () => {
  it('makes one stage per barrier-separated group, a gate stage, and one stage per rolling server', () => {
    expect(outline(specExample())).toEqual([
      'tasks no-autostart server1: no-autostart | server2: no-autostart | server3: no-autostart',
      'barrier all-disabled',
      'tasks lead-suspend server1: lead-suspend',
      'gate kernel',
      'tasks upgrade@server2 server2: upgrade',
      'safe-point upgrade@server2:safe-point',
      'tasks upgrade@server1 server1: upgrade',
      'tasks up-again server1: up-again',
    ]);
  });

  it('carries the nodes, the lead, parameters, default timeouts and descriptions', () => {
    const plan = specExample();
    expect(plan).toMatchObject({ cluster: 'prod-db', procedure: 'custom', lead: 'server1', warnings: [] });
    expect(plan.nodes).toEqual([
      { name: 'server1', address: '10.0.0.1:7451' },
      { name: 'server2', address: '10.0.0.2:7451' },
      { name: 'server3', address: '10.0.0.3:7451' },
    ]);
    const upgrade = plan.stages.find((stage) => stage.id === 'upgrade@server2');
    expect(upgrade).toEqual({
      type: 'tasks',
      id: 'upgrade@server2',
      lanes: {
        server2: [{ stepId: 'upgrade', kind: 'package.upgrade', params: { package: RPM, timeoutMs: DEFAULT_STEP_TIMEOUT_MS }, description: `rpm -U ${RPM}` }],
      },
    });
    expect(plan.stages[1]).toEqual({ type: 'barrier', id: 'all-disabled', confirm: false, message: DEFAULT_BARRIER_MESSAGE });
    expect(plan.stages[3]).toEqual({ type: 'gate', id: 'kernel', message: 'kernel updated on every server?' });
  });

  it('runs `on: one` steps on the lead it is given', () => {
    const plan = specExample('server3');
    expect(plan.lead).toBe('server3');
    expect(outline(plan)[2]).toBe('tasks lead-suspend server3: lead-suspend');
  });

  it('refuses a lead that is not one of the nodes', () => {
    expect(() => specExample('server9')).toThrow(/lead: "server9" is not one of the runbook's nodes/);
  });
});

describe('tasks stages', () => {
  it('merges consecutive all/one/node steps into one stage, each node keeping its order', () => {
    const plan = custom(
      '{id: stop, kind: service.stop, with: {services: [clusterpro_evt]}}',
      '{id: suspend, kind: cluster.suspend, on: one}',
      '{id: down, kind: server.shutdown, on: {node: server3}}',
      '{id: reboot, kind: node.reboot, timeout: 15m}',
    );
    expect(outline(plan)).toEqual(['tasks stop server1: stop suspend reboot | server2: stop reboot | server3: stop down reboot']);
    const reboot = plan.stages[0]?.type === 'tasks' ? plan.stages[0].lanes.server3?.[2] : undefined;
    expect(reboot?.params.timeoutMs).toBe(15 * 60_000);
  });

  it('closes the stage at a barrier, gate, notice or safe point', () => {
    const plan = custom(
      '{id: a, kind: node.reboot}',
      '{id: confirm, kind: barrier, confirm: operator, description: all servers are back}',
      '{id: b, kind: node.reboot}',
      '{id: ask, kind: gate, with: {message: apps ok?}}',
      '{id: c, kind: node.reboot}',
      '{id: tell, kind: notice, with: {message: clear the Java cache}}',
      '{id: d, kind: node.reboot}',
      '{id: pause, kind: safe-point}',
      '{id: e, kind: node.reboot}',
    );
    expect(plan.stages.map((stage) => `${stage.type} ${stage.id}`)).toEqual([
      'tasks a',
      'barrier confirm',
      'tasks b',
      'gate ask',
      'tasks c',
      'notice tell',
      'tasks d',
      'safe-point pause',
      'tasks e',
    ]);
    expect(plan.stages[1]).toEqual({ type: 'barrier', id: 'confirm', confirm: true, message: 'all servers are back' });
    expect(plan.stages[5]).toEqual({ type: 'notice', id: 'tell', message: 'clear the Java cache' });
  });

  it('warns about a node no step runs on', () => {
    expect(custom('{id: only, kind: node.reboot, on: {node: server2}}').warnings).toEqual([
      'node server1 is in the runbook but no step runs on it',
      'node server3 is in the runbook but no step runs on it',
    ]);
  });
});

describe('rolling blocks', () => {
  const rolling = (id: string, kind: string, on: string, extra = ''): string => `{id: ${id}, kind: ${kind}, on: ${on}${extra}}`;
  const upgrade = (on: string): string => rolling('upgrade', 'package.upgrade', on, `, with: {package: ${RPM}}`);

  it('runs the whole block on one node before the next, with safe points between (batch 1)', () => {
    const order = '{rolling: [server2, server1, server3]}';
    const plan = custom(
      '{id: stop, kind: service.stop, with: {services: [clusterpro]}}',
      rolling('down', 'server.shutdown', order),
      upgrade(order),
      rolling('reboot', 'node.reboot', order),
      '{id: verify, kind: verify.package-version, with: {name: clusterpro, version: 2.1.3-1}}',
    );
    expect(outline(plan)).toEqual([
      'tasks stop server1: stop | server2: stop | server3: stop',
      'tasks down@server2 server2: down upgrade reboot',
      'safe-point down@server2:safe-point',
      'tasks down@server1 server1: down upgrade reboot',
      'safe-point down@server1:safe-point',
      'tasks down@server3 server3: down upgrade reboot',
      'tasks verify server1: verify | server2: verify | server3: verify',
    ]);
  });

  it('updates k nodes at a time with batch: k, the last batch taking what is left', () => {
    const plan = custom(upgrade('{rolling: [server3, server1, server2], batch: 2}'));
    expect(outline(plan)).toEqual([
      'tasks upgrade@server3+server1 server3: upgrade | server1: upgrade',
      'safe-point upgrade@server3+server1:safe-point',
      'tasks upgrade@server2 server2: upgrade',
    ]);
  });

  it('starts a new block when the node list or the batch changes', () => {
    const plan = custom(
      upgrade('{rolling: [server1, server2]}'),
      rolling('reboot', 'node.reboot', '{rolling: [server2, server1]}'),
      rolling('check', 'cluster.wait-healthy', '{rolling: [server2, server1], batch: 2}'),
    );
    expect(outline(plan)).toEqual([
      'tasks upgrade@server1 server1: upgrade',
      'safe-point upgrade@server1:safe-point',
      'tasks upgrade@server2 server2: upgrade',
      'tasks reboot@server2 server2: reboot',
      'safe-point reboot@server2:safe-point',
      'tasks reboot@server1 server1: reboot',
      'tasks check@server2+server1 server2: check | server1: check',
    ]);
  });

  it('gives every stage a distinct id', () => {
    const plan = custom(upgrade('{rolling: [server1, server2, server3]}'), '{id: after, kind: node.reboot}');
    const ids = plan.stages.map((stage) => stage.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

it('compiles custom runbooks only', () => {
  const runbook = parseRunbook('runbook.yaml', readFixture('runbooks/valid/lab-rolling.yaml'));
  let refusal: unknown;
  try {
    compileCustom(runbook);
  } catch (error) {
    refusal = error;
  }
  expect(isLockstepError(refusal, 'LOCKSTEP_E_INTERNAL')).toBe(true);
});

describe('plan hash', () => {
  it('is the same for the same runbook, compiled twice', () => {
    expect(planHash(specExample())).toBe(planHash(specExample()));
    expect(planHash(specExample())).toMatch(/^[0-9a-f]{64}$/);
  });

  it('does not depend on the order keys were written in', () => {
    const plan = specExample();
    const reordered = reverseKeys(plan) as Plan;
    expect(Object.keys(reordered)).not.toEqual(Object.keys(plan));
    expect(planHash(reordered)).toBe(planHash(plan));
  });

  it('changes when anything in the plan changes', () => {
    expect(planHash(specExample('server2'))).not.toBe(planHash(specExample()));
  });

  it('is sha256 of JSON with sorted keys and no undefined values', () => {
    expect(canonicalJson({ b: 1, a: { d: undefined, c: [2, { z: 1, y: 2 }] } })).toBe('{"a":{"c":[2,{"y":2,"z":1}]},"b":1}');
    const plan: Plan = { cluster: 'c', procedure: 'custom', nodes: [], lead: 'n', stages: [], warnings: [] };
    const expected = createHash('sha256').update('{"cluster":"c","lead":"n","nodes":[],"procedure":"custom","stages":[],"warnings":[]}').digest('hex');
    expect(planHash(plan)).toBe(expected);
  });
});

/** The same value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([key, nested]) => [key, reverseKeys(nested)]));
}

describe('downtime: planned (issue 16)', () => {
  it('marks every node task of the runbook, so the agent lets its shutdowns through', () => {
    const text = `${customText("{id: down, kind: server.shutdown, on: all}", "{id: go, kind: gate, with: {message: up?}}")}\ndowntime: planned\n`;
    const plan = compileCustom(parseRunbook('runbook.yaml', text));
    const tasks = plan.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : []));
    expect(tasks).toHaveLength(3);
    expect(tasks.every((task) => task.params.plannedDowntime === true && task.description.endsWith('(planned downtime)'))).toBe(true);
    expect(custom("{id: down, kind: server.shutdown, on: all}").stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat() : [])).some((task) => task.params.plannedDowntime)).toBe(false);
  });

  it('refuses another value, naming the field', () => {
    const error = (() => {
      try {
        parseRunbook('runbook.yaml', `${customText("{id: down, kind: server.shutdown, on: all}")}\ndowntime: yes\n`);
      } catch (caught) {
        return caught;
      }
    })();
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toMatch(/downtime.*"planned"/);
  });
});

describe('pre-approve (issue 16)', () => {
  it('marks the gate, and only a gate may carry it', () => {
    const plan = custom("{id: ticket, kind: gate, pre-approve: true, with: {message: signed?}}", "{id: go, kind: gate, with: {message: go?}}");
    expect(plan.stages.slice(0, 2)).toEqual([
      { type: 'gate', id: 'ticket', message: 'signed?', preApprove: true },
      { type: 'gate', id: 'go', message: 'go?' },
    ]);
    const error = (() => {
      try {
        custom('{id: up, kind: package.query, pre-approve: true, with: {name: clusterpro}}');
      } catch (caught) {
        return caught;
      }
    })();
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect(String((error as Error).message)).toMatch(/pre-approve.*only a gate can be approved in advance/);
  });
});
