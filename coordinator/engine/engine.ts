// The coordinator's engine: creates runs from runbooks, drives them, and answers the API.
// At start it reloads every run that is not final and resumes it where the store says it is.
import { randomBytes } from 'node:crypto';
import { describeError, LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { compileSubmission, readSubmission } from '../procedures/compile-runbook.js';
import type { ClusterFacts, FactsRequest } from '../plan/cluster-facts.js';
import { factsDocument } from '../plan/facts-document.js';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { gatherFacts } from './gather-facts.js';
import { rollbackRunbook } from './rollback.js';
import { planHash } from '../plan/plan-hash.js';
import { awaitsApproval, type Plan } from '../plan/plan.js';
import { planRecord } from '../plan/plan-record.js';
import { checkApproval } from './approval-rules.js';
import { compilePinned, refuseChangedFacts, refuseChangedPlan, seenPlan } from './plan-pin.js';
import { RunStore, type RunRow } from '../store/run-store.js';
import { CredentialsDirs } from './credentials-dirs.js';
import { RunDriver } from './run-driver.js';
import { runWindowOf, type RunWindow } from './run-window.js';
import { windowForecast } from './window-forecast.js';
import { parseRunbook, resolveRunbookPaths, type Runbook } from '../runbook/load-runbook.js';
import type { RehearsedKind } from '../schedule/step-predictions.js';
import { readRunbookRehearsal } from './rehearsal-file.js';
import { describeInstant } from '../schedule/window-time-text.js';
import { AgentPools } from './agent-pool.js';
import type { ConnectAgents, RunAgents } from './run-agents.js';
import { scheduleRetention } from '../../shared/retention.js';
import { watchRunEvents } from './event-feed.js';
import type { ActingOperator, AuditQuery, OperatorAction, OperatorActionKind } from '../../shared/domain/operator-action.js';
import { observedConnect, type EngineObserver, type RunWindowTimes } from './engine-observer.js';
import { FINAL_RUN_STATES, type AuditEntry, type EventSink, type NodeView, type RunService, type RunWatch, type RunView, type StepView, type SubmitInput, type SubmitResult } from './run-types.js';

/** What the engine is built from; each part has the production default (Temporal's `options.connection ?? Connection.lazy()`). */
export type EngineOptions = {
  logger: Logger;
  /** How the engine reaches a run's agents: over mTLS by default (run-agents.ts). */
  connect?: ConnectAgents;
  /** The only directories a runbook's tls: files may come from (credentials-dirs.ts). */
  credentialsDirs: readonly string[];
  /** Every run needs an approver other than its submitter (--four-eyes). */
  fourEyes?: boolean;
  /** The clock of the journal's timestamps, the run ids and the maintenance windows (step deadlines use Date.now()). */
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** --tls-crl: every dial to an agent refuses the certificates it lists, whatever the runbook's tls says. */
  agentCrl?: string;
  /** Finished runs unchanged for longer are deleted, at start and hourly (shared/retention.ts); undefined: never. */
  retainMs?: number;
  /** Sees every event and every agent call, and reads runs and windows when asked (the coordinator's /metrics). */
  observer?: EngineObserver;
  /**
   * A follower of an HA coordinator (docs/ha.md): reads the store but resumes no run and
   * deletes nothing until `takeOver()` is called, when it is elected.
   */
  standby?: boolean;
} & ({ dbFile: string; store?: undefined } | { store: RunStore; dbFile?: undefined });

export type Engine = RunService & {
  readonly epoch: number;
  close(): Promise<void>;
  /** A standby engine starts leading: resumes every unfinished run, as a restarted coordinator does, and starts the retention. */
  takeOver(): Promise<void>;
};

/** Each preflight call's deadline; the reads run at most 64 at a time (gather-facts.ts). */
const PREFLIGHT_DEADLINE_MS = 5_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function createEngine(options: EngineOptions): Promise<Engine> {
  const now = options.now ?? Date.now;
  const store = options.store ?? new RunStore(options.dbFile, now);
  const { observer } = options;
  // Production dials over mTLS and keeps a closed pool a while for the next preflight (agent-pool.ts).
  const pools = options.connect === undefined ? new AgentPools() : undefined;
  const dial = withCrl(options.connect ?? (pools as AgentPools).connect, options.agentCrl);
  const connect = observer === undefined ? dial : observedConnect(dial, observer);
  const credentials = new CredentialsDirs(options.credentialsDirs);
  // Every connection, the preflight's, a run's, one resumed after a restart, reads only confined
  // paths; the coordinator's own CRL is added after the runbook's paths are confined.
  const confinedConnect: ConnectAgents = (nodes, tls, deadlineMs) => connect(nodes, credentials.confine(tls), deadlineMs);
  const engine = new RunEngine(store, {
    logger: options.logger,
    connect: confinedConnect,
    closeKeptAgents: () => pools?.close(),
    now,
    sleep: options.sleep ?? sleep,
    fourEyes: options.fourEyes === true,
    retainMs: options.retainMs,
  });
  if (observer !== undefined) {
    store.onEvent((event) => {
      // An observer's fault must not stop the journal's other listeners (the watches).
      try {
        observer.runEvent(event, (runId) => store.getRun(runId).plan);
      } catch (error) {
        options.logger.warn({ run: event.runId, err: describeError(error) }, 'engine observer failed on an event');
      }
    });
    observer.readFrom({ runsByState: () => store.runsByState(), windows: () => engine.windowTimes() });
  }
  if (options.standby !== true) await engine.takeOver();
  return engine;
}

interface EngineParts {
  logger: Logger;
  fourEyes: boolean;
  connect: ConnectAgents;
  /** Closes the connections kept for the next preflight. */
  closeKeptAgents: () => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  retainMs: number | undefined;
}

/** The runbook's (or stored run's) TLS files, with the coordinator's CRL when it has one. */
function withCrl(connect: ConnectAgents, crl: string | undefined): ConnectAgents {
  return crl === undefined ? connect : (nodes, tls, deadlineMs) => connect(nodes, { ...tls, crl }, deadlineMs);
}

class RunEngine implements Engine {
  private readonly drivers = new Map<string, RunDriver>();
  /** Windowed runs that are not final: their schedule, read once from the journaled runbook. */
  private readonly windows = new Map<string, RunWindow>();
  private readonly logger: Logger;
  private stopRetention: (() => void) | undefined;

  constructor(
    private readonly store: RunStore,
    private readonly parts: EngineParts,
  ) {
    this.logger = parts.logger;
  }

  get epoch(): number {
    return this.store.epoch;
  }

  async takeOver(): Promise<void> {
    const { retainMs } = this.parts;
    if (retainMs !== undefined && this.stopRetention === undefined) {
      this.stopRetention = scheduleRetention(retainMs, (cutoffMs) => this.store.deleteFinishedRunsBefore(cutoffMs), this.parts.logger, this.parts.now);
    }
    await this.resumeAll();
  }

  private async resumeAll(): Promise<void> {
    for (const run of this.store.activeRuns()) {
      this.logger.info({ run: run.id, state: run.state, stage: run.stageIndex, epoch: this.store.epoch }, 'resuming run after start');
      this.store.recordEvent(run.id, { type: 'run.resumed', stepId: '', node: '', message: `coordinator started (epoch ${this.store.epoch}); resuming at stage ${run.stageIndex}` });
      await this.drive(run);
    }
  }

  async submit(input: SubmitInput, by?: ActingOperator, why = ''): Promise<SubmitResult> {
    const submission = readSubmission(input.runbookYaml, input.runbookPath);
    // A bad rehearsal file is bad input: refused before any node is dialled.
    const rehearsed = readRunbookRehearsal(submission.runbook);
    const distinctApprover = this.parts.fourEyes || submission.runbook.approvals?.['distinct-from-submitter'] === true;
    if (distinctApprover && input.autoApprove && !input.dryRun) {
      throw new LockstepError('LOCKSTEP_E_PERMISSION_DENIED', 'apply --yes: this run needs its gates approved by someone other than its submitter (four-eyes: approvals.distinct-from-submitter or --four-eyes); apply without --yes and ask an approver', { field: 'yes' });
    }
    // `apply --plan HASH`: an unknown hash is refused before any node is dialled.
    const seen = input.expectedPlanHash ? seenPlan(this.store, input.expectedPlanHash) : undefined;
    // The preflight's connections are handed to the run, so a thousand nodes are not dialled twice.
    const pool = await this.parts.connect(submission.runbook.nodes, submission.tls, PREFLIGHT_DEADLINE_MS);
    let handedOver = false;
    try {
      const wantFacts = input.dryRun && input.includeFacts === true;
      const facts = await gatherFacts(pool, submission.runbook.nodes, wantFacts ? withServices(submission.facts) : submission.facts);
      const unreachable = facts.nodes.filter((node) => !node.reachable);
      if (unreachable.length > 0) {
        if (seen !== undefined) refuseChangedFacts(seen, facts);
        throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', `preflight: ${unreachable.map((node) => `${node.name} (${node.address}): ${node.error}`).join('; ')}`);
      }
      const compile = (): Plan => ({ ...compileSubmission(submission, facts), ...(distinctApprover && { distinctApprover: true as const }) });
      const plan = seen === undefined ? compile() : compilePinned(seen, facts, compile);
      const tls = submission.tls;
      const hash = planHash(plan);
      const record = planRecord(hash, plan, facts);
      if (seen !== undefined) refuseChangedPlan(seen, record);
      // SPEC §4.4: a segment no window can hold is refused here, before a run exists.
      const forecast = windowForecast(runWindowOf(submission.runbook, plan, this.store.stepDurations(plan.cluster, this.parts.now()), rehearsed), this.parts.now());
      if (input.dryRun) {
        // What `lockstep plan` shows, kept for `apply --plan HASH` to compare with.
        this.store.savePlanRecord(record);
        const saved = wantFacts && { facts: factsDocument(facts, { cluster: plan.cluster, procedure: plan.procedure, ...(submission.facts.packageFile !== undefined && { packageFile: submission.facts.packageFile }) }, this.parts.now()) };
        return { planHash: hash, plan, ...(forecast && { windowForecast: forecast }), ...saved };
      }
      const id = newRunId(this.parts.now());
      const run = this.store.createRun({ id, plan, planHash: hash, runbookPath: input.runbookPath, runbookYaml: input.runbookYaml, tls, autoApprove: input.autoApprove, requestedBy: input.requestedBy });
      this.logger.info({ run: id, procedure: plan.procedure, nodes: plan.nodes.length }, 'run created');
      this.trail(id, 'submit', by, `plan ${hash}${input.autoApprove ? ', every gate approved in advance (--yes)' : ''}${why}`);
      const reuse = pool.serves(plan.nodes);
      await this.drive(run, reuse ? pool : undefined);
      // From here the run's driver owns the pool (and closes it when the run ends).
      handedOver = reuse;
      return { runId: id, planHash: hash, plan, ...(forecast && { windowForecast: forecast }) };
    } finally {
      if (!handedOver) pool.close();
    }
  }

  getRun(runId: string): RunView {
    return this.view(this.store.getRun(runId));
  }

  listRuns(limit: number): RunView[] {
    return this.store.listRuns(limit > 0 ? limit : 50).map((run) => this.view(run));
  }

  watch(runId: string, fromSeq: number, sink: EventSink): RunWatch {
    return watchRunEvents(this.store, runId, fromSeq, sink);
  }

  recordAudit(entry: AuditEntry): void {
    this.store.recordAudit(entry);
  }

  approve(runId: string, gate: string, operator: string, comment: string, planHash: string, by?: ActingOperator): RunView {
    const run = this.store.getRun(runId);
    checkApproval(run, gate, planHash);
    if (run.plan.distinctApprover === true && operator === run.requestedBy) {
      throw new LockstepError('LOCKSTEP_E_PERMISSION_DENIED', `four-eyes: ${operator} submitted run ${runId} and may not approve its gates; another approver must`, { field: 'operator' });
    }
    this.trail(runId, 'approve', by, `gate ${gate}`, { stepId: gate, node: '' });
    this.store.approve(runId, gate, operator, comment);
    this.drivers.get(runId)?.notify();
    return this.getRun(runId);
  }

  pause(runId: string, by?: ActingOperator): RunView {
    const waiting = this.store.getRun(runId);
    if (waiting.state === 'scheduled' || waiting.state === 'waiting-window') {
      this.trail(runId, 'pause', by, `while ${waiting.state}`);
      // Waiting for a window is waiting at a safe point: nothing of the next segment has started.
      this.store.setState(runId, 'paused', { type: 'run.paused', stepId: '', node: '', message: `paused while ${waiting.state}; \`lockstep resume\` waits for the window again` });
      this.drivers.get(runId)?.notify();
      return this.getRun(runId);
    }
    const run = this.requireState(runId, ['running', 'awaiting-approval'], 'pause');
    const ahead = run.plan.stages.slice(run.stageIndex).find((stage) => stage.type === 'safe-point');
    if (ahead === undefined) throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `run ${runId} has no safe point ahead: it can only be cancelled, not paused`);
    this.trail(runId, 'pause', by, `at safe point ${ahead.id}`);
    this.store.setPauseRequested(runId, true);
    this.store.recordEvent(runId, { type: 'run.pause-requested', stepId: ahead.id, node: '', message: `will pause at safe point ${ahead.id}` });
    return this.getRun(runId);
  }

  resume(runId: string, by?: ActingOperator): RunView {
    const run = this.store.getRun(runId);
    if (run.state === 'paused') {
      this.trail(runId, 'resume', by, '');
      // SPEC §4.4: resumed outside its window, a windowed run waits for the window again.
      const window = this.windows.get(runId);
      const now = this.parts.now();
      const next = window !== undefined && window.schedule.closesAt(now) === undefined ? window.schedule.nextOpening(now) : undefined;
      if (next !== undefined && window !== undefined) {
        this.store.setState(runId, 'waiting-window', { type: 'run.resumed', stepId: '', node: '', message: `resumed by the operator outside its window: waits for the window that opens ${describeInstant(next, window.schedule.timezone)}` });
      } else {
        this.store.setState(runId, 'running', { type: 'run.resumed', stepId: '', node: '', message: 'resumed by the operator' });
      }
      this.drivers.get(runId)?.notify();
    } else if (run.pauseRequested) {
      this.trail(runId, 'resume', by, 'withdraws the pause request');
      this.store.setPauseRequested(runId, false);
      this.store.recordEvent(runId, { type: 'run.pause-withdrawn', stepId: '', node: '', message: 'the pause request was withdrawn' });
    } else {
      this.requireState(runId, ['paused'], 'resume');
    }
    return this.getRun(runId);
  }

  retry(runId: string, node: string | undefined, by?: ActingOperator): RunView {
    const run = this.requireState(runId, ['blocked'], 'retry');
    if (node !== undefined && !run.plan.nodes.some((candidate) => candidate.name === node)) {
      throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `node: run ${runId} has no node "${node}"`, { field: 'node' });
    }
    this.trail(runId, 'retry', by, node === undefined ? 'every failed node' : `node ${node}`, { stepId: '', node: node ?? '' });
    this.store.resetFailed(runId, node);
    this.store.setState(runId, 'running', { type: 'run.running', stepId: '', node: node ?? '', message: 'retrying', blocker: null });
    this.drivers.get(runId)?.notify();
    return this.getRun(runId);
  }

  cancel(runId: string, by?: ActingOperator): RunView {
    const run = this.store.getRun(runId);
    if (FINAL_RUN_STATES.has(run.state)) throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `run ${runId} is already ${run.state}`);
    this.trail(runId, 'cancel', by, `while ${run.state}`);
    this.store.setState(runId, 'cancelled', { type: 'run.cancelled', stepId: '', node: '', message: 'cancelled by the operator; steps already sent finish on their nodes, nothing new starts' });
    this.drivers.get(runId)?.notify();
    return this.getRun(runId);
  }

  async rollback(runId: string, requestedBy: string, by?: ActingOperator): Promise<SubmitResult> {
    const run = this.store.getRun(runId);
    if (!FINAL_RUN_STATES.has(run.state) && run.state !== 'blocked') {
      throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `cannot roll back run ${runId} while it is ${run.state}: cancel it first, or wait until it ends`);
    }
    const pool = await this.parts.connect(run.plan.nodes, run.tls, 15_000);
    let runbookYaml: string;
    try {
      runbookYaml = await rollbackRunbook({ run, tasks: this.store.tasks(runId), pool });
    } finally {
      pool.close();
    }
    this.store.recordEvent(runId, { type: 'run.rollback', stepId: '', node: '', message: `rollback requested by ${requestedBy}` });
    const undo = await this.submit({ runbookYaml, runbookPath: run.runbookPath, dryRun: false, autoApprove: false, requestedBy }, by, ` (rollback of ${runId})`);
    this.trail(runId, 'rollback', by, `new run ${undo.runId ?? ''}`);
    return undo;
  }

  operatorActions(query: AuditQuery): OperatorAction[] {
    const actions = this.store.operatorActions({ ...query, limit: query.limit > 0 ? query.limit : 1000 });
    // A run's trail outlives the run (retention deletes runs, not the trail); an id that was
    // never a run is NOT_FOUND, as for every other command.
    if (actions.length === 0 && query.runId !== '' && this.store.operatorActions({ runId: query.runId, sinceMs: 0, limit: 1 }).length === 0) this.store.getRun(query.runId);
    return actions;
  }

  /**
   * Journals an operator's action, with its event in the run's log and one log line with
   * `audit: true` for log shippers, right before the change it makes. Nothing without an
   * operator: the engine's own moves and in-process callers are not operator actions.
   */
  private trail(runId: string, action: OperatorActionKind, by: ActingOperator | undefined, detail: string, on = { stepId: '', node: '' }): void {
    if (by === undefined) return;
    const recorded = this.store.recordOperatorAction({ runId, action, detail, ...by }, on);
    const { operator, authenticated, transport, address, comment, atMs } = recorded;
    this.logger.info({ audit: true, action, run: runId, operator, authenticated, transport, address, comment, detail, atMs }, `operator ${action}`);
  }

  async listNodes(runbookYaml: string, runbookPath: string): Promise<NodeView[]> {
    const facts = await this.readFacts({ ...readSubmission(runbookYaml, runbookPath), facts: { cluster: false } });
    return facts.nodes.map((node) => ({
      name: node.name,
      address: node.address,
      reachable: node.reachable,
      hostname: node.hostname,
      platform: node.machine,
      bootId: node.bootId,
      agentVersion: node.agentVersion,
      error: node.error,
    }));
  }

  async close(): Promise<void> {
    this.stopRetention?.();
    for (const driver of this.drivers.values()) driver.stop();
    await Promise.all([...this.drivers.values()].map((driver) => driver.finished));
    this.parts.closeKeptAgents();
    this.store.close();
  }

  private async drive(run: RunRow, preflightPool?: RunAgents): Promise<void> {
    const pool = preflightPool ?? (await this.parts.connect(run.plan.nodes, run.tls, maxTimeout(run.plan)));
    pool.setDeadline(maxTimeout(run.plan));
    const window = this.windowOf(run);
    if (window !== undefined) this.windows.set(run.id, window);
    const driver = new RunDriver(run.id, { store: this.store, pool, logger: this.logger, sleep: this.parts.sleep, now: this.parts.now, ...(window && { window }) });
    this.drivers.set(run.id, driver);
    void driver.finished.then(() => {
      this.drivers.delete(run.id);
      this.windows.delete(run.id);
    });
  }

  /** The run's windows, from the runbook it was created from; predictions from the runs before it and its rehearsal. */
  private windowOf(run: RunRow): RunWindow | undefined {
    const runbook = resolveRunbookPaths(parseRunbook(run.runbookPath, run.runbookYaml), run.runbookPath);
    return runWindowOf(runbook, run.plan, this.store.stepDurations(run.cluster, run.createdAtMs), this.rehearsalOf(run.id, runbook));
  }

  /** Read again when a run is driven (after a restart too); gone or changed since submit, the run is predicted without it rather than stopped. */
  private rehearsalOf(runId: string, runbook: Runbook): Map<string, RehearsedKind> {
    try {
      return readRunbookRehearsal(runbook);
    } catch (error) {
      this.logger.warn({ run: runId, err: describeError(error) }, 'the runbook\'s rehearsal durations cannot be read: predicting without them');
      return new Map();
    }
  }

  /** Read-only: what the nodes report, over connections that check each node's certificate. */
  private async readFacts(submission: ReturnType<typeof readSubmission>): Promise<ClusterFacts> {
    const pool = await this.parts.connect(submission.runbook.nodes, submission.tls, PREFLIGHT_DEADLINE_MS);
    try {
      return await gatherFacts(pool, submission.runbook.nodes, submission.facts);
    } finally {
      pool.close();
    }
  }

  private requireState(runId: string, states: RunRow['state'][], action: string): RunRow {
    const run = this.store.getRun(runId);
    if (!states.includes(run.state)) throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `cannot ${action} run ${runId}: it is ${run.state} (needs ${states.join(' or ')})`);
    return run;
  }

  private view(run: RunRow): RunView {
    const tasks = this.store.tasks(run.id);
    const approvals = new Set(this.store.approvals(run.id).map((approval) => approval.gateId));
    const order = new Map(run.plan.nodes.map((node, index) => [node.name, index]));
    const byStage = new Map<number, typeof tasks>();
    for (const task of tasks) {
      const stageTasks = byStage.get(task.stageIndex);
      if (stageTasks === undefined) byStage.set(task.stageIndex, [task]);
      else stageTasks.push(task);
    }
    const steps: StepView[] = run.plan.stages.flatMap((stage, index): StepView[] => {
      if (stage.type === 'tasks') {
        return (byStage.get(index) ?? [])
          .sort((a, b) => (order.get(a.node) ?? 0) - (order.get(b.node) ?? 0) || a.seq - b.seq)
          .map((task) => ({
            id: task.stepId,
            kind: task.kind,
            node: task.node,
            state: task.state,
            attempt: task.attempt,
            opId: task.opId,
            message: task.message,
            outputTail: task.outputTail,
            startedAtMs: task.startedAtMs,
            finishedAtMs: task.finishedAtMs,
          }));
      }
      const state = index < run.stageIndex ? 'succeeded' : index === run.stageIndex && !FINAL_RUN_STATES.has(run.state) ? 'waiting' : 'pending';
      return [{ id: stage.id, kind: stage.type, node: '', state, attempt: 0, opId: '', message: 'message' in stage ? stage.message : '', outputTail: '', startedAtMs: 0, finishedAtMs: 0 }];
    });
    const current = run.plan.stages[run.stageIndex];
    const needsApproval = current !== undefined && awaitsApproval(current) && !approvals.has(current.id);
    return {
      id: run.id,
      cluster: run.cluster,
      procedure: run.procedure,
      state: run.state,
      planHash: run.planHash,
      steps,
      ...(run.blocker && run.state === 'blocked' && { blocker: run.blocker }),
      createdAtMs: run.createdAtMs,
      updatedAtMs: run.updatedAtMs,
      pendingGates: needsApproval && run.state === 'awaiting-approval' ? [current.id] : [],
      ...this.windowFields(run.id),
    };
  }

  /** The windows of the windowed runs that are not final, read now. */
  windowTimes(): RunWindowTimes[] {
    return [...this.windows.keys()].map((runId) => {
      const { windowClosesAtMs, nextWindowAtMs } = this.windowFields(runId);
      return { runId, ...(windowClosesAtMs !== undefined && { closesAtMs: windowClosesAtMs }), ...(nextWindowAtMs !== undefined && { nextOpeningAtMs: nextWindowAtMs }) };
    });
  }

  /** SPEC §4.4: when the window closes (inside one) and when the next opens, read now. */
  private windowFields(runId: string): Pick<RunView, 'nextWindowAtMs' | 'windowClosesAtMs' | 'windowTimezone'> {
    const window = this.windows.get(runId);
    if (window === undefined) return {};
    const { closesAtMs, nextOpeningAtMs, timezone } = window.schedule.at(this.parts.now());
    return { windowTimezone: timezone, ...(closesAtMs !== undefined && { windowClosesAtMs: closesAtMs }), ...(nextOpeningAtMs !== undefined && { nextWindowAtMs: nextOpeningAtMs }) };
  }
}

function newRunId(atMs: number): string {
  const stamp = new Date(atMs).toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');
  return `run-${stamp}-${randomBytes(2).toString('hex')}`;
}

function maxTimeout(plan: Plan): number {
  const timeouts = plan.stages.flatMap((stage) => (stage.type === 'tasks' ? Object.values(stage.lanes).flat().map((task) => task.params.timeoutMs) : []));
  return Math.max(30_000, ...timeouts);
}

/** A facts file records the product's services too (CPRO-XL050-06 3.1.2 (1)'s list); read only then. */
function withServices(request: FactsRequest): FactsRequest {
  return request.cluster ? { ...request, services: CLUSTERPRO_2X_SERVICES } : request;
}
