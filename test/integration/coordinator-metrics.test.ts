// /metrics of a real coordinator (the engine, gRPC API and HTTP port of the program) after a
// real run on agents on simulated nodes: Prometheus' own `promtool check metrics` accepts the
// text, and the counts are those of the run. The alert rules the operator guide gives pass
// `promtool check rules`.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { RunEvent } from '../../shared/domain/run.js';
import { startEngineCoordinator, type EngineCoordinator } from '../support/engine-coordinator.js';
import { waitFor } from '../support/processes.js';
import { haveTools } from '../support/require-tool.js';

const SERVERS = ['server1', 'server2'];
const SERVICE = 'clusterpro_alertsync';
const GUIDE = new URL('../../docs/operator-guide.md', import.meta.url);

/** Runs promtool with `input` on stdin: no shell, a deadline and an output cap. */
function promtool(args: string[], input = ''): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { input, encoding: 'utf8', timeout: 30_000, maxBuffer: 1024 * 1024 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The value of one sample line, `name{labels} value`, or undefined when the text has none. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.skipIf(!haveTools('promtool'))('the coordinator\'s /metrics after a run', () => {
  let lab: EngineCoordinator;
  const scrape = async (): Promise<string> => (await fetch(`http://${lab.coordinator.httpAddress}/metrics`)).text();

  beforeAll(async () => {
    lab = await startEngineCoordinator({ prefix: 'lockstep-metrics-', servers: SERVERS });
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
  });

  it('passes promtool check metrics and counts the run\'s steps, barriers, gate, nodes and agent calls', async () => {
    const steps = [
      { id: 'stop', kind: 'service.stop', with: { services: [SERVICE] } },
      { id: 'stopped', kind: 'barrier' },
      { id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } },
      { id: 'start', kind: 'service.start', on: { rolling: SERVERS }, with: { services: [SERVICE] } },
    ];
    const path = join(lab.dir, 'runbook.yaml');
    writeFileSync(path, stringify({ cluster: 'lab', nodes: lab.sim.nodes(), procedure: 'custom', tls: lab.sim.tls(), steps }));
    const { runId } = await lab.client.submit({ runbookYaml: readFileSync(path, 'utf8'), runbookPath: path, dryRun: false, autoApprove: false, requestedBy: 'alice' });
    const id = runId as string;
    await waitFor('the gate', async () => ((await lab.client.getRun(id)).state === 'awaiting-approval' ? true : undefined), 30_000, 20);
    await lab.client.approve(id, 'kernel', { operator: 'bob', comment: 'checked', planHash: (await lab.client.getRun(id)).planHash });
    const events: RunEvent[] = [];
    await lab.client.watch(id, 0, (event) => events.push(event));
    expect(events.at(-1)?.type).toBe('run.succeeded');

    const response = await fetch(`http://${lab.coordinator.httpAddress}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const check = promtool(['check', 'metrics'], text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);

    expect(sample(text, 'lockstep_runs{state="succeeded"}')).toBe(1);
    expect(sample(text, 'lockstep_runs{state="running"}')).toBe(0);
    expect(sample(text, 'lockstep_steps_total{kind="service.stop",outcome="succeeded"}')).toBe(2);
    expect(sample(text, 'lockstep_steps_total{kind="service.start",outcome="succeeded"}')).toBe(2);
    expect(sample(text, 'lockstep_step_duration_seconds_count{kind="service.start"}')).toBe(2);
    // One observation per barrier the run passed, stated or implicit.
    const barriers = events.filter((event) => event.type === 'barrier.passed').length;
    expect(barriers).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'lockstep_barrier_wait_seconds_count')).toBe(barriers);
    expect(sample(text, 'lockstep_gate_wait_seconds_count')).toBe(1);
    for (const node of SERVERS) expect(sample(text, `lockstep_node_reachable{cluster="lab",node="${node}"}`)).toBe(1);
    expect(sample(text, 'lockstep_nodes{reachability="reachable"}')).toBe(2);
    // Each service step asks its agent at least once per node: the calls were timed by method.
    expect(sample(text, 'lockstep_agent_rpc_duration_seconds_count{method="controlService"}')).toBeGreaterThanOrEqual(4);
    expect(text).not.toMatch(/^lockstep_agent_rpc_errors_total\{/m);
    expect(text).toMatch(/^process_resident_memory_bytes \d/m);
    // No histogram names a run or a node.
    expect(text).not.toMatch(/^lockstep_\w+_(bucket|sum|count)\{[^}]*(run|node)="/m);
  }, 60_000);

  it('says how long until a scheduled run\'s window opens, and forgets the run once it is final', async () => {
    const path = join(lab.dir, 'windowed.yaml');
    const steps = [{ id: 'stop', kind: 'service.stop', with: { services: [SERVICE] } }];
    // Midnight on 31 December, for a second: outside it nearly always, so the run is scheduled.
    const window = { cron: '0 0 31 12 *', duration: '1s', timezone: 'Asia/Tokyo' };
    writeFileSync(path, stringify({ cluster: 'lab', nodes: lab.sim.nodes(), procedure: 'custom', tls: lab.sim.tls(), window, steps }));
    const { runId } = await lab.client.submit({ runbookYaml: readFileSync(path, 'utf8'), runbookPath: path, dryRun: false, autoApprove: false, requestedBy: 'alice' });
    const id = runId as string;
    const { nextWindowAtMs } = await waitFor('the run to be scheduled', async () => {
      const run = await lab.client.getRun(id);
      return run.state === 'scheduled' ? run : undefined;
    }, 30_000, 20);
    const before = Date.now();
    const text = await scrape();
    const after = Date.now();
    expect(promtool(['check', 'metrics'], text).output).toBe('');
    expect(sample(text, 'lockstep_runs{state="scheduled"}')).toBe(1);
    const seconds = sample(text, `lockstep_window_next_opening_seconds{run="${id}"}`) as number;
    expect(seconds).toBeGreaterThanOrEqual(((nextWindowAtMs as number) - after) / 1000);
    expect(seconds).toBeLessThanOrEqual(((nextWindowAtMs as number) - before) / 1000);
    expect(sample(text, `lockstep_window_remaining_seconds{run="${id}"}`)).toBeUndefined();

    await lab.client.cancel(id, { operator: 'alice' });
    await waitFor('the cancelled run to leave the window gauges', async () => {
      return sample(await scrape(), `lockstep_window_next_opening_seconds{run="${id}"}`) === undefined ? true : undefined;
    }, 30_000, 50);
  }, 60_000);

  it('accepts the alert rules of the operator guide (promtool check rules), and they fire when they say (promtool test rules)', () => {
    const guide = readFileSync(GUIDE, 'utf8');
    const rules = /<!-- alert-rules -->\s*```yaml\n([\s\S]*?)```/.exec(guide)?.[1];
    expect(rules, 'docs/operator-guide.md has the alert rules after <!-- alert-rules -->').toBeDefined();
    const file = join(lab.dir, 'lockstep-alerts.yml');
    writeFileSync(file, rules as string);
    const check = promtool(['check', 'rules', file]);
    expect(check.output).toMatch(/SUCCESS: 2 rules found/);
    expect(check.status).toBe(0);

    // A barrier whose oldest wait grows by 10 minutes a minute: stuck once past 30 minutes. A
    // node that stops answering at 1m: unreachable after 2 minutes of it, not before.
    const page = { severity: 'page', job: 'lockstep' };
    const tests = {
      rule_files: ['lockstep-alerts.yml'],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: 'lockstep_barrier_oldest_wait_seconds{job="lockstep"}', values: '0 600 1200 1800 2400' },
            { series: 'lockstep_node_reachable{job="lockstep",cluster="lab",node="server2"}', values: '1 0 0 0 0' },
          ],
          alert_rule_test: [
            { eval_time: '3m', alertname: 'LockstepBarrierStuck', exp_alerts: [] },
            {
              eval_time: '4m',
              alertname: 'LockstepBarrierStuck',
              exp_alerts: [{ exp_labels: page, exp_annotations: { summary: 'A lockstep barrier has waited 40m 0s for its last node', description: 'lockstep status RUN shows which node has not finished; lockstep watch RUN follows it.' } }],
            },
            { eval_time: '2m', alertname: 'LockstepNodeUnreachable', exp_alerts: [] },
            {
              eval_time: '3m',
              alertname: 'LockstepNodeUnreachable',
              exp_alerts: [
                {
                  exp_labels: { ...page, cluster: 'lab', node: 'server2' },
                  exp_annotations: { summary: 'server2 of cluster lab does not answer the coordinator', description: "The run retries with the same op id until the step's timeout, then blocks; check the node and its lockstep-agent." },
                },
              ],
            },
          ],
        },
      ],
    };
    const testFile = join(lab.dir, 'lockstep-alerts.test.yml');
    writeFileSync(testFile, stringify(tests));
    const run = promtool(['test', 'rules', testFile]);
    expect(run.output).toMatch(/SUCCESS/);
    expect(run.status).toBe(0);
  });
});
