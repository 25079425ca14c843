// Drives one run through its plan, stage by stage (SPEC §4.1). A stage's tasks run per node
// in order, nodes in parallel; the stage passes — the barrier — only when every task of it
// has succeeded. Everything the driver decides is read from and written to the store, so a
// coordinator killed at any instant resumes from the same place.
import type { Logger } from '../../shared/logger.js';
import { describeError, isLockstepError, LockstepError } from '../../shared/errors.js';
import { awaitsApproval, type NodeTask, type Stage } from '../plan/plan.js';
import type { RunRow, RunStore, TaskRow } from '../store/run-store.js';
import type { RunAgents } from './run-agents.js';
import { FINAL_RUN_STATES } from './run-types.js';
import type { RunWindow } from './run-window.js';
import { decideFit } from '../schedule/window-fit.js';
import { formatDuration } from '../../shared/duration.js';
import { performStep, prepareDispatch, type StepOutcome } from './step-actions.js';
import { hasInverse } from './rollback.js';
import { isObservable, observeEffect } from './observed-effect.js';

type StageResult = 'passed' | 'waiting' | 'blocked';

const RETRY_BACKOFF_MS = [100, 200, 300, 500];
/** How long a reachability probe of an unreachable node may take. */
const PROBE_DEADLINE_MS = 2_000;
/**
 * A run waiting for its window looks again at least this often: the opening is computed from
 * the cron expression at each look, so a clock that jumped, or a timer that fired late, costs
 * at most this much.
 */
const WINDOW_NAP_MS = 1_000;

export interface RunDriverDeps {
  store: RunStore;
  pool: RunAgents;
  logger: Logger;
  sleep: (ms: number) => Promise<void>;
  /** The run's maintenance windows (SPEC §4.4); absent: no window, go at once. */
  window?: RunWindow;
  /** The clock windows are read at (the engine's `now`). */
  now: () => number;
}

export class RunDriver {
  private wakeUp: (() => void) | undefined;
  private changed = false;
  private stopped = false;
  /** Nodes whose last call failed for want of an answer: reported once, until they answer. */
  private readonly unreachable = new Set<string>();
  /** The run's node names (the plan never changes), built on first use. */
  private names: readonly string[] | undefined;
  /** The segment admitted by the window fit (1-based), and when its window closes; kept in memory: after a restart a segment that had started is found by its dispatched tasks. */
  private admitted: { segment: number; closesAtMs: number } | undefined;
  /** The last wait recorded, so that a wait is one event, not one per look. */
  private lastHold = '';
  private napTimer: NodeJS.Timeout | undefined;
  readonly finished: Promise<void>;

  constructor(
    readonly runId: string,
    private readonly deps: RunDriverDeps,
  ) {
    this.finished = this.loop().catch((error: unknown) => {
      this.deps.logger.error({ run: runId, err: describeError(error) }, 'run driver stopped on an unexpected error');
    });
  }

  /** Something changed (approval, retry, resume, cancel): look again. */
  notify(): void {
    // Remembered when the loop is not waiting yet, so a change made meanwhile is never lost.
    this.changed = true;
    this.wakeUp?.();
  }

  stop(): void {
    this.stopped = true;
    this.notify();
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const run = this.deps.store.getRun(this.runId);
      if (FINAL_RUN_STATES.has(run.state)) break;
      if (run.state === 'blocked' || run.state === 'paused') {
        await this.waitForChange();
        continue;
      }
      if (this.deps.window !== undefined) {
        this.noteOverrun(run, this.deps.window);
        const napMs = this.windowHold(run, this.deps.window);
        if (napMs !== undefined) {
          await this.waitForChange(napMs);
          continue;
        }
      }
      const stage = run.plan.stages[run.stageIndex];
      if (stage === undefined) {
        this.deps.store.setState(run.id, 'succeeded', { type: 'run.succeeded', stepId: '', node: '', message: 'every step succeeded on every node' });
        break;
      }
      const result = await this.runStage(run, stage);
      if (result === 'passed') this.passStage(run, stage);
      else if (result === 'waiting') await this.waitForChange();
    }
    this.deps.pool.close();
  }

  /** Until notify() — or `napMs` has passed, for a run waiting for its window. */
  private waitForChange(napMs?: number): Promise<void> {
    if (this.changed) {
      this.changed = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.wakeUp = () => {
        clearTimeout(this.napTimer);
        this.wakeUp = undefined;
        this.changed = false;
        resolve();
      };
      if (napMs !== undefined) this.napTimer = setTimeout(() => this.wakeUp?.(), napMs);
    });
  }

  /**
   * SPEC §4.4, at the first stage of a segment that has not started (a gate there included:
   * approved outside the window, it waits for the window): start it if its predicted
   * p90 and a margin end before the window closes; otherwise wait here — `scheduled` before the
   * first segment, `waiting-window` at a later safe point — and return how long to nap before
   * looking again. A segment that has started is never held: a window stops a run only between
   * two segments (between servers), never between disable and enable auto-start on a node.
   */
  private windowHold(run: RunRow, window: RunWindow): number | undefined {
    if (run.state === 'blocked' || run.state === 'paused') return undefined;
    const segment = window.segments.find((candidate) => candidate.firstStage === run.stageIndex);
    if (segment === undefined) return undefined;
    const { store, now } = this.deps;
    const started = store.tasks(run.id, run.stageIndex).some((task) => task.state !== 'pending');
    const at = now();
    const decision = decideFit(window.schedule, at, segment.label, window.predict(segment));
    if (started || decision.fits) {
      const known = this.admitted?.segment === segment.number;
      if (!known) this.admitted = { segment: segment.number, closesAtMs: decision.fits ? decision.closesAtMs : Number.POSITIVE_INFINITY };
      this.lastHold = '';
      const message = started ? `segment ${segment.number} (${segment.label}) had started before the coordinator restarted: it goes on whatever the window` : `segment ${segment.number}: ${decision.message}`;
      if (run.state === 'scheduled' || run.state === 'waiting-window') store.setState(run.id, 'running', { type: 'window.opened', stepId: '', node: '', message });
      else if (!known) store.recordEvent(run.id, { type: 'window.segment', stepId: '', node: '', message });
      return undefined;
    }
    const state = segment.number === 1 ? 'scheduled' : 'waiting-window';
    const hold = `${state}|${decision.nextOpeningAtMs}`;
    if (run.state !== state || hold !== this.lastHold) {
      this.lastHold = hold;
      store.setState(run.id, state, { type: `run.${state}`, stepId: '', node: '', message: `segment ${segment.number}: ${decision.message}` });
    }
    return Math.max(0, Math.min(WINDOW_NAP_MS, (decision.nextOpeningAtMs ?? at + WINDOW_NAP_MS) - at));
  }

  /** At the end of an admitted segment: says by how much it ran past its window, if it did. */
  private noteOverrun(run: RunRow, window: RunWindow): void {
    if (this.admitted === undefined) return;
    const segment = window.segments[this.admitted.segment - 1];
    if (segment === undefined || run.stageIndex < segment.endStage) return;
    const over = this.deps.now() - this.admitted.closesAtMs;
    if (over > 0) {
      this.deps.store.recordEvent(run.id, {
        type: 'window.overrun',
        stepId: '',
        node: '',
        message: `segment ${segment.number} (${segment.label}) ended ${formatDuration(over)} after its window closed; the run waits at this safe point for the next window`,
      });
    }
    this.admitted = undefined;
  }

  private passStage(run: RunRow, stage: Stage): void {
    if (stage.type !== 'tasks') {
      this.deps.store.passStage(run.id, run.stageIndex, { type: `${stage.type}.passed`, stepId: stage.id, node: '', message: stage.type });
      return;
    }
    // The barrier after a tasks stage is implicit; when the plan states it (a barrier stage
    // comes next), that stage reports it, so one barrier is one barrier.passed.
    const stated = run.plan.stages[run.stageIndex + 1]?.type === 'barrier';
    this.deps.store.passStage(run.id, run.stageIndex, stated ? undefined : { type: 'barrier.passed', stepId: stage.id, node: '', message: 'every node finished every step before this barrier' });
  }

  private runStage(run: RunRow, stage: Stage): Promise<StageResult> | StageResult {
    switch (stage.type) {
      case 'tasks':
        return this.runTasks(run, stage.lanes);
      case 'gate':
      case 'barrier':
        return awaitsApproval(stage) ? this.awaitApproval(run, stage.id, stage.message) : 'passed';
      case 'notice':
        this.deps.store.recordEvent(run.id, { type: 'notice', stepId: stage.id, node: '', message: stage.message });
        return 'passed';
      case 'safe-point':
        if (!run.pauseRequested) return 'passed';
        this.deps.store.setPauseRequested(run.id, false);
        this.deps.store.setState(run.id, 'paused', { type: 'run.paused', stepId: stage.id, node: '', message: 'paused at a safe point; `lockstep resume` continues' });
        return 'waiting';
    }
  }

  /** A gate, or a barrier that demands a person: passes once approved (or at once with --yes). */
  private awaitApproval(run: RunRow, gateId: string, message: string): StageResult {
    const { store } = this.deps;
    if (run.autoApprove && !store.approvals(run.id).some((approval) => approval.gateId === gateId)) {
      store.approve(run.id, gateId, run.requestedBy, 'approved in advance with apply --yes');
    }
    if (store.approvals(run.id).some((approval) => approval.gateId === gateId)) {
      if (run.state !== 'running') store.setState(run.id, 'running', { type: 'run.running', stepId: gateId, node: '', message: 'approved' });
      return 'passed';
    }
    if (run.state !== 'awaiting-approval') {
      store.setState(run.id, 'awaiting-approval', { type: 'gate.waiting', stepId: gateId, node: '', message: `${message} — lockstep approve ${run.id} ${gateId}` });
    }
    return 'waiting';
  }

  private async runTasks(run: RunRow, lanes: Record<string, NodeTask[]>): Promise<StageResult> {
    const rows = new Map(this.deps.store.tasks(run.id, run.stageIndex).map((row) => [`${row.stepId}@${row.node}`, row]));
    let failed = false;
    await Promise.all(
      Object.entries(lanes).map(async ([node, tasks]) => {
        for (const task of tasks) {
          const row = rows.get(`${task.stepId}@${node}`);
          if (row === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `run ${run.id}: no task row for ${task.stepId} on ${node}`);
          if (row.state === 'succeeded' || row.state === 'skipped') continue;
          // Once a node has failed, no node starts another step: the run is about to block.
          if (row.state === 'failed' || failed || this.cancelled()) {
            failed ||= row.state === 'failed';
            return;
          }
          const finished = await this.executeTask(run, row, task);
          if (finished.state !== 'succeeded') {
            failed = true;
            return;
          }
        }
      }),
    );
    if (this.cancelled()) return 'waiting';
    // Decided on what the journal holds: the stage's tasks that have not succeeded.
    const unfinished = this.deps.store.unfinishedTasks(run.id, run.stageIndex);
    const failure = unfinished.find((row) => row.state === 'failed');
    if (failure !== undefined) {
      this.block(run, failure);
      return 'blocked';
    }
    return unfinished.length === 0 ? 'passed' : 'waiting';
  }

  /** The run's node names, for steps that watch the whole cluster: built once, not per task (N² at a thousand nodes). */
  private nodeNames(run: RunRow): readonly string[] {
    this.names ??= run.plan.nodes.map((node) => node.name);
    return this.names;
  }

  private cancelled(): boolean {
    return this.stopped || this.deps.store.runState(this.runId) === 'cancelled';
  }

  /**
   * Skipping the node is never offered: every built-in procedure ends with all its servers at
   * one version behind barriers that count them all (3.1.2 (3)–(8), 3.1.3.5, 3.1.5), so a node
   * left behind is a cluster the manual does not describe (docs/operator-guide.md).
   */
  private block(run: RunRow, failure: TaskRow): void {
    const remedies = ['retry', 'cancel', ...(hasInverse(run.procedure) ? ['rollback'] : [])];
    const commands = remedies.map((remedy) => (remedy === 'retry' ? `lockstep retry ${run.id} --node ${failure.node}` : `lockstep ${remedy} ${run.id}`));
    this.deps.store.setState(run.id, 'blocked', {
      type: 'run.blocked',
      stepId: failure.stepId,
      node: failure.node,
      message: `${failure.stepId} failed on ${failure.node}: ${failure.message}. No node passes the next barrier. Remedies: ${commands.join(' | ')} (skipping the node is not offered: the procedure's barriers count every node)`,
      blocker: { stepId: failure.stepId, node: failure.node, message: failure.message, outputTail: failure.outputTail, remedies },
    });
  }

  /**
   * One task on one node. A pending task is dispatched (committed) first; a task found
   * dispatched — the coordinator died before its result was recorded — is reconciled by
   * sending the same op id again: the agent answers a finished op from its journal, runs an
   * UNKNOWN one, and reports INTERRUPTED for one it lost, which the step's probe verifies.
   */
  private async executeTask(run: RunRow, row: TaskRow, task: NodeTask): Promise<TaskRow> {
    const { store, pool, logger } = this.deps;
    const deadline = Date.now() + task.params.timeoutMs;
    let dispatched = row;
    if (row.state === 'pending') {
      const attempt = row.attempt + 1;
      const nodes = this.nodeNames(run);
      const prepared = await this.attempt(run.id, row, deadline, () => prepareDispatch(task.kind, row.node, nodes, (node) => pool.client(node), task.params));
      dispatched = await store.dispatch(row, attempt, `${run.id}/${row.stepId}/${row.node}/${attempt}`, prepared.ok ? prepared.value : {});
      // Nothing was sent: the attempt is recorded as failed with the reason.
      if (!prepared.ok) return await store.finishTask(dispatched, { ok: false, message: `${row.node}: ${prepared.error}`, outputTail: '' });
    } else {
      const reconciled = await this.reconcile(run, row, task, deadline);
      if (reconciled !== undefined) return reconciled;
    }
    // The fields on each line rather than a child logger per task: a thousand tasks a round.
    const fields = { run: run.id, step: row.stepId, node: row.node, op_id: dispatched.opId };
    logger.info({ ...fields, kind: task.kind }, 'step started');
    const performed = await this.attempt(run.id, row, deadline, () =>
      performStep(task.kind, {
        // Read at each attempt: an unreachable node's channel may have been replaced meanwhile.
        agent: pool.client(row.node),
        agentFor: (node) => pool.client(node),
        op: { opId: dispatched.opId, runId: run.id, epoch: store.epoch },
        params: task.params,
        recorded: dispatched.context,
        deadline,
        sleep: this.deps.sleep,
      }),
    );
    const outcome: StepOutcome = performed.ok ? performed.value : { ok: false, message: `${row.node}: ${performed.error}`, outputTail: '' };
    logger.info({ ...fields, ok: outcome.ok, message: outcome.message }, 'step finished');
    return await store.finishTask(dispatched, outcome);
  }

  /**
   * A task found dispatched after a restart (issue 16 part 4): a cluster step whose effect the
   * cluster already shows (the group on its target, the node back with a new boot id, clpstat
   * suspended…) is counted done and not sent again; anything else is sent again with the same
   * op id, which the agent answers from its journal. What was found goes to the event log.
   */
  private async reconcile(run: RunRow, row: TaskRow, task: NodeTask, deadline: number): Promise<TaskRow | undefined> {
    const { store, pool } = this.deps;
    // A node still rebooting is waited for (until the step's deadline): its boot id is the answer.
    const probe = isObservable(task.kind)
      ? await this.attempt(run.id, row, deadline, () => observeEffect(task.kind, { agent: pool.client(row.node), agentFor: (node) => pool.client(node), params: task.params, recorded: row.context }))
      : undefined;
    const observed = probe?.ok === true ? probe.value : undefined;
    if (observed?.done === true) {
      const message = `${observed.found}: step counted done, not sent again`;
      store.recordEvent(run.id, { type: 'step.reconciled', stepId: row.stepId, node: row.node, message });
      return store.finishTask(row, { ok: true, message, outputTail: '' });
    }
    const known = await pool.client(row.node).getOperation(row.opId).then(
      (operation) => operation.state,
      () => 'unreachable',
    );
    const seen = observed !== undefined ? `; ${observed.found}: sent again with the same op id` : probe?.ok === false ? `; the cluster could not be probed (${probe.error})` : '';
    store.recordEvent(run.id, { type: 'step.reconciling', stepId: row.stepId, node: row.node, message: `found dispatched after a restart; the agent says ${known}${seen}` });
    return undefined;
  }

  /**
   * Repeats a call while the agent is unreachable (the same op id, so it is safe), with a
   * backoff capped at 500 ms, until the step's deadline. Any other error ends it. The first
   * failure to reach a node, and its first answer after, are events (SPEC §12: a node cut
   * off at a barrier is reported unreachable within seconds, in `watch` and on the dashboard).
   */
  private async attempt<T>(runId: string, task: TaskRow, deadline: number, call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    for (let retry = 0; ; retry++) {
      try {
        const value = await call();
        this.noteReachable(runId, task, true, 'answers again');
        return { ok: true, value };
      } catch (error) {
        const unreachable = isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE');
        this.noteReachable(runId, task, !unreachable, unreachable ? `does not answer (${describeError(error)}); retrying with the same op id until the step's timeout` : 'answers again');
        if (!unreachable || Date.now() >= deadline || this.stopped) {
          return { ok: false, error: unreachable ? `unreachable until the step's timeout: ${describeError(error)}` : describeError(error) };
        }
        await this.deps.sleep(RETRY_BACKOFF_MS[Math.min(retry, RETRY_BACKOFF_MS.length - 1)] as number);
        await this.untilAnswering(task.node, deadline);
      }
    }
  }

  /**
   * Waits, with short probes, until the node answers again or the deadline passes: the call
   * itself, sent to a node whose connection is still being made, would wait for its whole
   * (long) deadline before it even tried.
   */
  private async untilAnswering(node: string, deadline: number): Promise<void> {
    for (let retry = 0; Date.now() < deadline && !this.stopped; retry++) {
      const agent = retry === 0 ? this.deps.pool.client(node) : this.deps.pool.reconnect(node);
      if (await agent.answers(Math.min(PROBE_DEADLINE_MS, Math.max(1, deadline - Date.now())))) return;
      await this.deps.sleep(RETRY_BACKOFF_MS[Math.min(retry, RETRY_BACKOFF_MS.length - 1)] as number);
    }
  }

  private noteReachable(runId: string, task: TaskRow, reachable: boolean, message: string): void {
    if (reachable !== this.unreachable.has(task.node)) return;
    if (reachable) this.unreachable.delete(task.node);
    else this.unreachable.add(task.node);
    this.deps.store.recordEvent(runId, { type: reachable ? 'node.reachable' : 'node.unreachable', stepId: task.stepId, node: task.node, message: `${task.node} ${message}` });
  }
}
