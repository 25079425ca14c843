// `lockstep rehearse RUNBOOK [--from-facts FILE] [--faults SPEC] [--seed N]` (issue 17): tonight's
// run, rehearsed on a twin of the cluster. It builds the twin (lab up --like), starts its agents
// and a coordinator of its own in this process, injects the faults SPEC names (lab/rehearsal/
// fault-spec.ts) as the run reaches them, answers a blocked run as an operator would (power a
// node back on, retry), and reports the duration of each stage, each fault and the run's
// reaction, and whether the cluster stayed available. Exit 0 only when the run succeeded with
// the availability invariant held. A succeeded run's durations are saved (--save-durations) for
// the real run's window fit (schedule/rehearsal-durations.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { access, constants, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, exitCodeFor } from '../../shared/cli-exit.js';
import { FINAL_RUN_STATES, type PlannedStep, type RunEvent, type RunView } from '../../shared/domain/run.js';
import { describeError, LockstepError } from '../../shared/errors.js';
import { parseFactsFile, type FactsFile } from '../../shared/facts-file.js';
import { silentLogger } from '../../shared/logger.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { availabilityViolations, sampleCluster } from '../../lab/lab-availability.js';
import { freePortBase } from '../../lab/lab-ports.js';
import { waitUntilLabReady } from '../../lab/lab-readiness.js';
import { startSupervisor } from '../../lab/lab-supervisor.js';
import { planFaults } from '../../lab/rehearsal/fault-spec.js';
import { armFailOnce, killAgent, powerOff, powerOn, slowMirrors } from '../../lab/rehearsal/inject-fault.js';
import { rehearsalPassed, renderRehearsal, type InjectedFault, type RehearsalOutcome } from '../../lab/rehearsal/rehearsal-report.js';
import { readHistory, readNodeState } from '../../lab/state/lab-state.js';
import { createTwin, type SourceRunbook, type Twin } from '../../lab/twin/lab-twin.js';
import { startCoordinator } from '../coordinator-server.js';
import { createEngine } from '../engine/engine.js';
import { measureRehearsal } from '../schedule/rehearsal-durations.js';
import { readLiveFacts } from './live-facts.js';
import { renderRehearsalDurations } from './rehearsal-durations-listing.js';
import { saveWhole } from './saved-file.js';
import { readRunbookFile } from './runbook-file.js';

export interface RehearseFlags {
  fromFacts?: string;
  faults?: string;
  seed?: string;
  dir?: string;
  keep?: boolean;
  saveDurations?: string;
}

const READY_TIMEOUT_MS = 60_000;
/** A rolling update keeps the cluster serving with one server out at a time (SPEC §5.2); other procedures stop it by design. */
const AVAILABILITY_CHECKED: ReadonlySet<string> = new Set(['clusterpro/rolling-update']);


export async function rehearse(file: string, flags: RehearseFlags, command: Command): Promise<number> {
  const seed = flags.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : wholeNumber('--seed', flags.seed);
  const source = flags.fromFacts === undefined ? await readLiveFacts(command, file) : await savedFacts(flags.fromFacts, file);
  const savedDurations = flags.saveDurations === undefined ? undefined : await writableFile('--save-durations', flags.saveDurations);
  const root = flags.dir === undefined ? mkdtempSync(join(tmpdir(), 'lockstep-rehearse-')) : resolve(flags.dir);
  const labDir = flags.dir === undefined ? join(root, 'twin') : root;
  // Without --save-durations, beside the rehearsal's database: kept with the twin.
  const durationsFile = savedDurations ?? join(root, 'rehearsal-durations.json');
  const cleanups: Array<() => Promise<void> | void> = [];
  let keep = flags.keep === true || flags.dir !== undefined;
  // Ctrl-C stops the twin's agents rather than leaving them running.
  const interrupted = new Promise<false>((resolveInterrupted) => {
    const stop = (name: NodeJS.Signals): void => {
      say(`interrupted (${name}): stopping the twin's agents`);
      resolveInterrupted(false);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  say(`rehearsing ${source.runbook.path} on a twin of ${source.facts.runbook.cluster} (${source.facts.nodes.length} nodes) in ${labDir}; seed ${seed}`);
  try {
    const twin = await createTwin({ dir: labDir, facts: source.facts, runbook: source.runbook, portBase: await freePortBase(source.facts.nodes.length, source.facts.nodes.map((node) => node.name)) });
    const supervisor = startSupervisor({ root: twin.root, logger: silentLogger() });
    cleanups.push(() => supervisor.stop());
    await waitUntilLabReady({ root: twin.root, nodes: twin.nodes, timeoutMs: READY_TIMEOUT_MS });
    const coordinator = await startCoordinator(
      // The rehearsal's own coordinator, for this process alone, as lockstep demo's: loopback, the twin's pki its credentials.
      { socket: undefined, listen: '127.0.0.1:0', http: '127.0.0.1:0', dbFile: join(root, 'rehearsal.sqlite'), tls: undefined, credentialsDirs: [join(twin.root, 'pki')], fourEyes: false, logLevel: 'silent' },
      silentLogger(),
      { createRunService: createEngine },
    );
    cleanups.push(() => coordinator.stop());
    const client = new CoordinatorClient(coordinator.address);
    cleanups.push(() => client.close());
    const outcome = await Promise.race([rehearseOn(twin, client, flags.faults, seed), interrupted]);
    if (outcome === false) {
      keep = true;
      return EXIT.runFailed;
    }
    if (outcome.run.state !== 'succeeded') say('durations not saved: the run did not succeed');
    else {
      await saveDurations(twin, outcome, { seed, faults: flags.faults ?? '' }, durationsFile);
      if (savedDurations === undefined && flags.dir === undefined && flags.keep !== true) say('they are removed with the temporary twin when the rehearsal passes: rehearse with --save-durations FILE (or --keep) to keep them');
    }
    // The report last: its verdict is the rehearsal's last line.
    process.stdout.write(`\n${renderRehearsal(outcome)}`);
    if (!rehearsalPassed(outcome)) keep = true;
    return rehearsalPassed(outcome) ? EXIT.ok : EXIT.runFailed;
  } catch (error) {
    // Bad input (a fault spec that names no node of the plan) leaves nothing worth inspecting.
    if (exitCodeFor(error) !== EXIT.badInput) keep = true;
    throw error;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (keep) say(`the twin stays in ${labDir}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

async function rehearseOn(twin: Twin, client: CoordinatorClient, spec: string | undefined, seed: number): Promise<RehearsalOutcome> {
  const runbook = await readRunbookFile(twin.runbook);
  const plan = await client.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: true, autoApprove: false, requestedBy: 'lockstep rehearse' });
  const planned = spec === undefined || spec.trim() === '' ? [] : planFaults(spec, seed, faultTargets(twin, plan.steps));
  const injected: InjectedFault[] = planned.map((fault) => ({ fault, detail: '' }));
  for (const entry of injected) await armBeforeRun(twin, entry);
  const sampler = sampleCluster(twin.root);
  const submitted = await client.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: true, requestedBy: 'lockstep rehearse' });
  const runId = submitted.runId as string;
  say(`run ${runId}: ${submitted.steps.length} steps${planned.length > 0 ? `, ${planned.length} fault${planned.length === 1 ? '' : 's'} to inject` : ''}`);
  const { events, retries } = await driveWithFaults(twin, client, runId, injected);
  const samples = sampler.stop();
  const run = await client.getRun(runId);
  const violations = AVAILABILITY_CHECKED.has(run.procedure) ? availabilityViolations(samples, readHistory(twin.root), 1) : undefined;
  return { run, plan: plan.steps, events, faults: injected, retries, violations };
}

/** A succeeded run's durations, saved for the window fit and printed; only a real rpm on the twin makes the package kinds lab time. */
async function saveDurations(twin: Twin, outcome: RehearsalOutcome, drawn: { seed: number; faults: string }, file: string): Promise<void> {
  const realRpm = readNodeState(twin.root, twin.nodes[0]?.name as string).rpm === 'real';
  const durations = measureRehearsal(outcome.run, outcome.plan, { cluster: outcome.run.cluster, nodes: twin.nodes.map((node) => node.name), ...drawn, realRpm });
  await saveWhole('--save-durations', file, `${JSON.stringify(durations, null, 2)}\n`);
  process.stdout.write(renderRehearsalDurations(durations, file));
}

function faultTargets(twin: Twin, steps: readonly PlannedStep[]): { nodes: string[]; steps: Map<string, string[]> } {
  const nodes = twin.nodes.map((node) => node.name);
  return { nodes, steps: new Map(nodes.map((node) => [node, steps.filter((step) => step.nodes.includes(node)).map((step) => step.id)])) };
}

/** fail-once and slow-mirror are set before the run starts; the others wait for their step. */
async function armBeforeRun(twin: Twin, entry: InjectedFault): Promise<void> {
  const { fault } = entry;
  if (fault.kind === 'fail-once') {
    await armFailOnce(twin.root, fault.node, fault.command);
    entry.atMs = Date.now();
    entry.detail = `armed in ${fault.node}'s node.json: the next "${fault.command.join(' ')}" exits 1`;
  } else if (fault.kind === 'slow-mirror') {
    const rate = await slowMirrors(twin.root, twin.nodes[0]?.name as string, fault.factor);
    entry.atMs = Date.now();
    entry.detail = `mirror resync rate now ${rate} MB/s`;
  }
}

/**
 * Follows the run's events to its end, injecting each waiting fault when its step is dispatched.
 * A blocked run is answered as an operator would: nodes the rehearsal powered off are powered on
 * and awaited, then the step is retried — at most once per fault, so a run that blocks for
 * another reason stays blocked and is reported.
 */
async function driveWithFaults(twin: Twin, client: CoordinatorClient, runId: string, injected: InjectedFault[]): Promise<{ events: RunEvent[]; retries: number }> {
  const events: RunEvent[] = [];
  const poweredOff = new Set<string>();
  let retries = 0;
  let handling = Promise.resolve();
  const timers: NodeJS.Timeout[] = [];
  const abort = new AbortController();
  const finished = new Promise<void>((resolveFinished, rejectFinished) => {
    const restorePower = async (): Promise<void> => {
      for (const node of [...poweredOff]) {
        await powerOn(twin.root, node);
        poweredOff.delete(node);
        // Its agent answering is enough: whether it rejoins the cluster is the run's business
        // (a power loss after disable-services leaves it out, as on a real server).
        await waitUntilLabReady({ root: twin.root, nodes: twin.nodes.filter((each) => each.name === node), timeoutMs: READY_TIMEOUT_MS, settle: false });
      }
    };
    const onBlocked = async (): Promise<void> => {
      await restorePower();
      if (retries >= injected.length) {
        abort.abort();
        return;
      }
      retries += 1;
      await client.retry(runId, undefined, { operator: 'lockstep rehearse', comment: 'rehearsal: retry after an injected fault' });
    };
    client
      .watch(
        runId,
        0,
        (event) => {
          events.push(event);
          if (event.type === 'step.dispatched') {
            for (const entry of injected) {
              if (entry.atMs !== undefined || entry.fault.kind === 'fail-once' || entry.fault.kind === 'slow-mirror') continue;
              if (entry.fault.step !== event.stepId || (entry.fault.kind === 'kill-agent' && entry.fault.node !== event.node)) continue;
              entry.atMs = event.atMs;
              handling = handling.then(() => inject(twin, entry, poweredOff));
              if (entry.fault.kind === 'power-off') {
                // Someone turns it back on after the hold, as after a real power loss; a blocked run gets it sooner.
                timers.push(setTimeout(() => (handling = handling.then(restorePower)), entry.fault.holdMs));
              }
            }
          }
          if (event.type === 'run.blocked') handling = handling.then(onBlocked);
          if (FINAL_RUN_STATES.has(event.runState)) abort.abort();
        },
        { signal: abort.signal },
      )
      .then(resolveFinished, rejectFinished);
  });
  await finished;
  for (const timer of timers) clearTimeout(timer);
  await handling.catch((error: unknown) => say(`a fault or retry failed: ${describeError(error)}`));
  // A node still off at the end is turned back on: the twin is left as a lab one can inspect.
  for (const node of poweredOff) await powerOn(twin.root, node);
  const run: RunView = await client.getRun(runId);
  if (!FINAL_RUN_STATES.has(run.state)) await client.cancel(runId, { operator: 'lockstep rehearse', comment: 'rehearsal: the run blocked and no injected fault explains it' });
  return { events, retries };
}

async function inject(twin: Twin, entry: InjectedFault, poweredOff: Set<string>): Promise<void> {
  const { fault } = entry;
  if (fault.kind === 'kill-agent') {
    const pid = killAgent(twin.root, fault.node);
    entry.detail = pid === undefined ? `${fault.node}'s agent was not running` : `SIGKILL to ${fault.node}'s agent (pid ${pid}); the lab supervisor restarts it`;
  } else if (fault.kind === 'power-off') {
    entry.detail = await powerOff(twin.root, fault.node);
    poweredOff.add(fault.node);
  }
  say(`injected ${fault.kind} on ${'node' in fault ? fault.node : 'the mirrors'}`);
}

async function savedFacts(file: string, runbookFile: string): Promise<{ facts: FactsFile; runbook: SourceRunbook }> {
  const path = resolve(file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--from-facts: cannot read ${path}: ${describeError(error)}`, { field: '--from-facts', cause: error });
  }
  const runbook = await readRunbookFile(runbookFile);
  return { facts: parseFactsFile(text, path), runbook: { path: runbook.path, yaml: runbook.yaml } };
}

/** Checked before the twin is built: a directory that cannot take the file is bad input, not a lost rehearsal. */
async function writableFile(flag: string, file: string): Promise<string> {
  const path = resolve(file);
  try {
    await access(dirname(path), constants.W_OK);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: cannot write ${path}: ${describeError(error)}`, { field: flag, cause: error });
  }
  return path;
}

function wholeNumber(flag: string, value: string): number {
  if (/^\d{1,9}$/.test(value.trim())) return Number(value);
  throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: expected a whole number, got "${value.slice(0, 40)}"`, { field: flag });
}

function say(line: string): void {
  process.stdout.write(`» ${line}\n`);
}
