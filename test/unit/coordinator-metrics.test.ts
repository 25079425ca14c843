// The coordinator's /metrics from a sequence of engine events, as the journal would publish
// them for a run that stops a service on two nodes, waits at a barrier and a gate, then
// starts it node by node; and from agent calls as the engine's connection wrapper reports them.
import { describe, expect, it } from 'vitest';
import type { MetricValueWithName } from 'prom-client';
import { createCoordinatorMetrics, type CoordinatorMetrics } from '../../coordinator/http/metrics.js';
import type { NodeTask, Plan } from '../../coordinator/plan/plan.js';
import type { RunEvent, RunState } from '../../shared/domain/run.js';

const task = (stepId: string, kind: NodeTask['kind']): NodeTask => ({ stepId, kind, params: { timeoutMs: 60_000 } as NodeTask['params'], description: stepId });

const PLAN: Plan = {
  cluster: 'lab',
  procedure: 'custom',
  nodes: [
    { name: 'server1', address: '127.0.0.1:1' },
    { name: 'server2', address: '127.0.0.1:2' },
  ],
  lead: 'server1',
  stages: [
    { type: 'tasks', id: 'stop', lanes: { server1: [task('stop', 'service.stop')], server2: [task('stop', 'service.stop')] } },
    { type: 'barrier', id: 'stopped', confirm: false, message: '' },
    { type: 'gate', id: 'kernel', message: 'kernel updated?' },
    { type: 'tasks', id: 'rolling:server1', lanes: { server1: [task('start', 'service.start')] } },
    { type: 'tasks', id: 'rolling:server2', lanes: { server2: [task('start', 'service.start')] } },
  ],
  warnings: [],
};

/** Feeds events of run-1, each at `atMs` seconds, in order. */
function feed(metrics: CoordinatorMetrics, events: Array<[atS: number, type: string, stepId: string, node: string, state?: RunState]>): void {
  let seq = 0;
  for (const [atS, type, stepId, node, runState = 'running'] of events) {
    const event: RunEvent = { seq: ++seq, runId: 'run-1', atMs: atS * 1000, type, stepId, node, message: '', runState };
    metrics.runEvent(event, (runId) => {
      expect(runId).toBe('run-1');
      return PLAN;
    });
  }
}

async function values(metrics: CoordinatorMetrics, name: string): Promise<MetricValueWithName<string>[]> {
  const metric = metrics.registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  return (await metric.get()).values as MetricValueWithName<string>[];
}

async function value(metrics: CoordinatorMetrics, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return (await values(metrics, name)).find((candidate) => Object.entries(labels).every(([key, wanted]) => candidate.labels[key] === wanted))?.value;
}

describe('coordinator metrics from engine events', () => {
  it('counts steps by kind and outcome, and times them from dispatch to result', async () => {
    const metrics = createCoordinatorMetrics();
    feed(metrics, [
      [0, 'run.created', '', ''],
      [1, 'step.dispatched', 'stop', 'server1'],
      [1, 'step.dispatched', 'stop', 'server2'],
      [3, 'step.succeeded', 'stop', 'server1'],
      [8, 'step.failed', 'stop', 'server2'],
    ]);
    expect(await value(metrics, 'lockstep_steps_total', { kind: 'service.stop', outcome: 'succeeded' })).toBe(1);
    expect(await value(metrics, 'lockstep_steps_total', { kind: 'service.stop', outcome: 'failed' })).toBe(1);
    const durations = await values(metrics, 'lockstep_step_duration_seconds');
    const sum = durations.find((entry) => entry.metricName === 'lockstep_step_duration_seconds_sum' && entry.labels.kind === 'service.stop');
    const count = durations.find((entry) => entry.metricName === 'lockstep_step_duration_seconds_count' && entry.labels.kind === 'service.stop');
    expect(sum?.value).toBe(2 + 7);
    expect(count?.value).toBe(2);
    // No run id or node name on a histogram.
    for (const entry of durations) expect(Object.keys(entry.labels).sort()).toEqual(entry.metricName?.endsWith('_bucket') ? ['kind', 'le'] : ['kind']);
  });

  it('times a barrier from the first node done to the barrier passed, and a gate from waiting to passed', async () => {
    const metrics = createCoordinatorMetrics();
    feed(metrics, [
      [0, 'run.created', '', ''],
      [0, 'step.dispatched', 'stop', 'server1'],
      [0, 'step.dispatched', 'stop', 'server2'],
      [2, 'step.succeeded', 'stop', 'server1'],
      [12, 'step.succeeded', 'stop', 'server2'],
      [12, 'barrier.passed', 'stopped', ''],
      [12, 'gate.waiting', 'kernel', '', 'awaiting-approval'],
      [100, 'gate.approved', 'kernel', '', 'awaiting-approval'],
      [100, 'run.running', 'kernel', ''],
      [100, 'gate.passed', 'kernel', ''],
      [101, 'step.dispatched', 'start', 'server1'],
      [104, 'step.succeeded', 'start', 'server1'],
      // The implicit barrier after a one-node stage: nobody waited.
      [104, 'barrier.passed', 'rolling:server1', ''],
    ]);
    expect(await value(metrics, 'lockstep_barrier_oldest_wait_seconds', {})).toBe(0);
    const barrier = await values(metrics, 'lockstep_barrier_wait_seconds');
    expect(barrier.find((entry) => entry.metricName === 'lockstep_barrier_wait_seconds_count')?.value).toBe(2);
    expect(barrier.find((entry) => entry.metricName === 'lockstep_barrier_wait_seconds_sum')?.value).toBe(10);
    const gate = await values(metrics, 'lockstep_gate_wait_seconds');
    expect(gate.find((entry) => entry.metricName === 'lockstep_gate_wait_seconds_count')?.value).toBe(1);
    expect(gate.find((entry) => entry.metricName === 'lockstep_gate_wait_seconds_sum')?.value).toBe(88);
  });

  it('says how long a barrier that has not passed has waited since its first node finished', async () => {
    let now = 0;
    const metrics = createCoordinatorMetrics({ now: () => now });
    feed(metrics, [
      [0, 'run.created', '', ''],
      [0, 'step.dispatched', 'stop', 'server1'],
      [0, 'step.dispatched', 'stop', 'server2'],
      [2, 'step.succeeded', 'stop', 'server1'],
    ]);
    now = 602_000;
    expect(await value(metrics, 'lockstep_barrier_oldest_wait_seconds', {})).toBe(600);
    feed(metrics, [[603, 'run.cancelled', '', '', 'cancelled']]);
    expect(await value(metrics, 'lockstep_barrier_oldest_wait_seconds', {})).toBe(0);
  });

  it('marks a run\'s nodes reachable at its creation, and follows them as they stop and start answering', async () => {
    const metrics = createCoordinatorMetrics();
    feed(metrics, [
      [0, 'run.created', '', ''],
      [5, 'node.unreachable', 'stop', 'server2'],
    ]);
    expect(await value(metrics, 'lockstep_node_reachable', { cluster: 'lab', node: 'server1' })).toBe(1);
    expect(await value(metrics, 'lockstep_node_reachable', { cluster: 'lab', node: 'server2' })).toBe(0);
    expect(await value(metrics, 'lockstep_nodes', { reachability: 'reachable' })).toBe(1);
    expect(await value(metrics, 'lockstep_nodes', { reachability: 'unreachable' })).toBe(1);
    feed(metrics, [[9, 'node.reachable', 'stop', 'server2']]);
    expect(await value(metrics, 'lockstep_nodes', { reachability: 'unreachable' })).toBe(0);
  });

  it('reads runs by state and the windows from the engine at each scrape', async () => {
    const now = 1_000_000;
    const metrics = createCoordinatorMetrics({ now: () => now });
    metrics.readFrom({
      runsByState: () => new Map([['running', 2], ['succeeded', 5]]),
      windows: () => [
        { runId: 'run-a', closesAtMs: now + 90_000 },
        { runId: 'run-b', nextOpeningAtMs: now + 3_600_000 },
      ],
    });
    expect(await value(metrics, 'lockstep_runs', { state: 'running' })).toBe(2);
    expect(await value(metrics, 'lockstep_runs', { state: 'succeeded' })).toBe(5);
    expect(await value(metrics, 'lockstep_runs', { state: 'blocked' })).toBe(0);
    expect(await value(metrics, 'lockstep_window_remaining_seconds', { run: 'run-a' })).toBe(90);
    expect(await value(metrics, 'lockstep_window_next_opening_seconds', { run: 'run-b' })).toBe(3600);
    expect(await value(metrics, 'lockstep_window_remaining_seconds', { run: 'run-b' })).toBeUndefined();
  });

  it('times agent calls by method and counts their errors by code', async () => {
    const metrics = createCoordinatorMetrics();
    metrics.agentCall('applyPackage', 0.2, undefined);
    metrics.agentCall('applyPackage', 0.3, 'LOCKSTEP_E_UNAVAILABLE');
    const latency = await values(metrics, 'lockstep_agent_rpc_duration_seconds');
    expect(latency.find((entry) => entry.metricName === 'lockstep_agent_rpc_duration_seconds_count' && entry.labels.method === 'applyPackage')?.value).toBe(2);
    expect(await value(metrics, 'lockstep_agent_rpc_errors_total', { method: 'applyPackage', code: 'LOCKSTEP_E_UNAVAILABLE' })).toBe(1);
  });

  it('serves the process metrics of prom-client on its own registry', async () => {
    const text = await createCoordinatorMetrics().registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });
});
