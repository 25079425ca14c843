// The coordinator's /metrics (SPEC §10, Prometheus text format): what the engine's events, its
// calls to the agents and its runs say, on a registry of its own (never prom-client's global
// one, so two coordinators in one test process do not share series). Labels are of bounded
// cardinality: step kinds, outcomes, RPC methods, error codes and run states. Only the node
// reachability gauge names nodes, and only the window gauges name runs (the windowed runs that
// are not final); no histogram carries a run id or a node name. docs/operator-guide.md#metrics
// says what each one means.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { FINAL_RUN_STATES, RUN_STATES, type RunEvent } from '../../shared/domain/run.js';
import type { EngineObserver, EngineReadings } from '../engine/engine-observer.js';
import type { Plan } from '../plan/plan.js';

/** Steps take from a second (a service stop) to an hour (a reboot with a long fsck). */
const STEP_BUCKETS = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600];
/** A barrier or a gate waits from milliseconds (every node done at once) to a night (an operator asleep). */
const WAIT_BUCKETS = [0.1, 1, 5, 15, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600];
const RPC_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 60, 300];

/** What the metrics need of a run's plan, built once per run from its first event. */
interface RunIndex {
  cluster: string;
  nodes: readonly string[];
  kindOf: Map<string, string>;
  /** `step@node` of the last task of each node's lane → its stage: that node is done with the stage. */
  laneEnds: Map<string, number>;
  stageIndex: Map<string, number>;
  stages: Plan['stages'];
}

export interface CoordinatorMetrics extends EngineObserver {
  readonly registry: Registry;
}

export function createCoordinatorMetrics(options: { now?: () => number } = {}): CoordinatorMetrics {
  return new PrometheusMetrics(options.now ?? Date.now);
}

class PrometheusMetrics implements CoordinatorMetrics {
  readonly registry = new Registry();
  private readings: EngineReadings | undefined;
  private readonly runs = new Map<string, RunIndex>();
  /** `run|step@node` → when its current attempt was dispatched. */
  private readonly dispatchedAt = new Map<string, number>();
  /** `run|stage index` → when the first node finished its share of the stage. */
  private readonly firstDoneAt = new Map<string, number>();
  /** `run|gate` → when the run began to wait there. */
  private readonly gateWaitingSince = new Map<string, number>();

  private readonly steps = new Counter({ name: 'lockstep_steps_total', help: 'Steps finished on nodes, by step kind and outcome (succeeded, failed).', labelNames: ['kind', 'outcome'], registers: [this.registry] });
  private readonly stepSeconds = new Histogram({ name: 'lockstep_step_duration_seconds', help: 'Time from a step\'s dispatch to its result, by step kind.', labelNames: ['kind'], buckets: STEP_BUCKETS, registers: [this.registry] });
  private readonly barrierSeconds = new Histogram({ name: 'lockstep_barrier_wait_seconds', help: 'Time from the first node finishing a stage to its barrier passing (how long the fastest node waited for the slowest).', buckets: WAIT_BUCKETS, registers: [this.registry] });
  private readonly gateSeconds = new Histogram({ name: 'lockstep_gate_wait_seconds', help: 'Time a run waited at a gate or an operator-confirmed barrier until it was approved and passed.', buckets: WAIT_BUCKETS, registers: [this.registry] });
  private readonly nodeReachable = new Gauge({ name: 'lockstep_node_reachable', help: '1 when the node\'s agent answered its last call, 0 when it stopped answering (nodes of the runs since the coordinator started).', labelNames: ['cluster', 'node'], registers: [this.registry] });
  private readonly rpcSeconds = new Histogram({ name: 'lockstep_agent_rpc_duration_seconds', help: 'Calls from the coordinator to agents, by method, failed ones included.', labelNames: ['method'], buckets: RPC_BUCKETS, registers: [this.registry] });
  private readonly rpcErrors = new Counter({ name: 'lockstep_agent_rpc_errors_total', help: 'Calls to agents that failed, by method and error code (LOCKSTEP_E_UNAVAILABLE: the agent did not answer).', labelNames: ['method', 'code'], registers: [this.registry] });

  constructor(private readonly now: () => number) {
    this.gaugeReadAtScrape('lockstep_runs', 'Runs in the journal, by state.', ['state'], (gauge) => {
      const counts = this.readings?.runsByState() ?? new Map<string, number>();
      for (const state of RUN_STATES) gauge.set({ state }, counts.get(state) ?? 0);
    });
    this.gaugeReadAtScrape('lockstep_nodes', 'Nodes of the runs since the coordinator started, by whether their agent answers.', ['reachability'], async (gauge) => {
      const values = (await this.nodeReachable.get()).values;
      const up = values.filter((value) => value.value === 1).length;
      gauge.set({ reachability: 'reachable' }, up);
      gauge.set({ reachability: 'unreachable' }, values.length - up);
    });
    this.gaugeReadAtScrape(
      'lockstep_barrier_oldest_wait_seconds',
      'How long the barrier that has waited longest, and not passed yet, has waited since its first node finished (0 when none waits): a stuck barrier.',
      [],
      (gauge) => {
        const since = Math.min(...this.firstDoneAt.values());
        gauge.set(Number.isFinite(since) ? Math.max(0, (this.now() - since) / 1000) : 0);
      },
    );
    this.gaugeReadAtScrape('lockstep_window_next_opening_seconds', 'Seconds until the next maintenance window of a windowed run that is not final opens.', ['run'], (gauge) => {
      gauge.reset();
      for (const window of this.readings?.windows() ?? []) {
        if (window.nextOpeningAtMs !== undefined) gauge.set({ run: window.runId }, Math.max(0, (window.nextOpeningAtMs - this.now()) / 1000));
      }
    });
    this.gaugeReadAtScrape('lockstep_window_remaining_seconds', 'Seconds left in the maintenance window a windowed run is inside of (absent outside a window).', ['run'], (gauge) => {
      gauge.reset();
      for (const window of this.readings?.windows() ?? []) {
        if (window.closesAtMs !== undefined) gauge.set({ run: window.runId }, Math.max(0, (window.closesAtMs - this.now()) / 1000));
      }
    });
    collectDefaultMetrics({ register: this.registry });
    // Gauges named like counters, which `promtool check metrics` refuses; each is the sum of
    // the same metric without _total, by type, which stays.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** A gauge whose value is read when Prometheus scrapes, not kept up to date between scrapes. */
  private gaugeReadAtScrape(name: string, help: string, labelNames: string[], read: (gauge: Gauge) => void | Promise<void>): void {
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        return read(this);
      },
    });
  }

  readFrom(readings: EngineReadings): void {
    this.readings = readings;
  }

  agentCall(method: string, seconds: number, errorCode: string | undefined): void {
    this.rpcSeconds.observe({ method }, seconds);
    if (errorCode !== undefined) this.rpcErrors.inc({ method, code: errorCode });
  }

  runEvent(event: RunEvent, planOf: (runId: string) => Plan): void {
    const run = this.indexOf(event.runId, planOf);
    const task = `${event.runId}|${event.stepId}@${event.node}`;
    switch (event.type) {
      case 'run.created':
        // The preflight reached every node, or the run would not exist.
        for (const node of run.nodes) this.nodeReachable.set({ cluster: run.cluster, node }, 1);
        break;
      case 'step.dispatched':
        this.dispatchedAt.set(task, event.atMs);
        break;
      case 'step.succeeded':
      case 'step.failed':
        this.stepFinished(event, run, task);
        break;
      case 'node.reachable':
      case 'node.unreachable':
        this.nodeReachable.set({ cluster: run.cluster, node: event.node }, event.type === 'node.reachable' ? 1 : 0);
        break;
      case 'gate.waiting':
        if (!this.gateWaitingSince.has(`${event.runId}|${event.stepId}`)) this.gateWaitingSince.set(`${event.runId}|${event.stepId}`, event.atMs);
        break;
      case 'gate.passed':
      case 'barrier.passed':
        this.stagePassed(event, run);
        break;
    }
    if (FINAL_RUN_STATES.has(event.runState)) this.forget(event.runId);
  }

  private stepFinished(event: RunEvent, run: RunIndex, task: string): void {
    const kind = run.kindOf.get(event.stepId) ?? 'unknown';
    this.steps.inc({ kind, outcome: event.type === 'step.succeeded' ? 'succeeded' : 'failed' });
    const dispatched = this.dispatchedAt.get(task);
    // A task dispatched before a restart has no dispatch time here: it is counted, not timed.
    if (dispatched !== undefined) this.stepSeconds.observe({ kind }, Math.max(0, event.atMs - dispatched) / 1000);
    this.dispatchedAt.delete(task);
    if (event.type !== 'step.succeeded') return;
    this.nodeReachable.set({ cluster: run.cluster, node: event.node }, 1);
    const stage = run.laneEnds.get(`${event.stepId}@${event.node}`);
    if (stage !== undefined && !this.firstDoneAt.has(`${event.runId}|${stage}`)) this.firstDoneAt.set(`${event.runId}|${stage}`, event.atMs);
  }

  /** A gate, or a barrier: stated in the plan (after its tasks stage) or implicit (named by the tasks stage). */
  private stagePassed(event: RunEvent, run: RunIndex): void {
    const gate = `${event.runId}|${event.stepId}`;
    const waitingSince = this.gateWaitingSince.get(gate);
    if (waitingSince !== undefined) {
      this.gateSeconds.observe(Math.max(0, event.atMs - waitingSince) / 1000);
      this.gateWaitingSince.delete(gate);
    }
    if (event.type !== 'barrier.passed') return;
    const index = run.stageIndex.get(event.stepId);
    if (index === undefined) return;
    const tasksStage = run.stages[index]?.type === 'tasks' ? index : index - 1;
    const key = `${event.runId}|${tasksStage}`;
    const firstDone = this.firstDoneAt.get(key);
    if (firstDone !== undefined) this.barrierSeconds.observe(Math.max(0, event.atMs - firstDone) / 1000);
    this.firstDoneAt.delete(key);
  }

  private indexOf(runId: string, planOf: (runId: string) => Plan): RunIndex {
    const known = this.runs.get(runId);
    if (known !== undefined) return known;
    const plan = planOf(runId);
    const index: RunIndex = { cluster: plan.cluster, nodes: plan.nodes.map((node) => node.name), kindOf: new Map(), laneEnds: new Map(), stageIndex: new Map(), stages: plan.stages };
    plan.stages.forEach((stage, stageIndex) => {
      index.stageIndex.set(stage.id, stageIndex);
      if (stage.type !== 'tasks') return;
      for (const [node, tasks] of Object.entries(stage.lanes)) {
        for (const task of tasks) index.kindOf.set(task.stepId, task.kind);
        const last = tasks.at(-1);
        if (last !== undefined) index.laneEnds.set(`${last.stepId}@${node}`, stageIndex);
      }
    });
    this.runs.set(runId, index);
    return index;
  }

  /** A final run keeps nothing here but what it added to the counters and histograms. */
  private forget(runId: string): void {
    this.runs.delete(runId);
    for (const map of [this.dispatchedAt, this.firstDoneAt, this.gateWaitingSince]) {
      for (const key of map.keys()) if (key.startsWith(`${runId}|`)) map.delete(key);
    }
  }
}
