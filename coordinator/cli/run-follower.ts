// Follows a run for `watch` and `apply --wait`: a live grid redrawn in place on a terminal,
// one line per event otherwise; ends with SPEC §7's exit code for where the run stands.
import { EXIT } from '../../shared/cli-exit.js';
import { FINAL_RUN_STATES, type RunEvent, type RunState, type RunView } from '../../shared/domain/run.js';
import { LockstepError, isLockstepError } from '../../shared/errors.js';
import { terminalLine } from '../../shared/terminal-text.js';
import type { Coordinator } from '../../shared/wire/coordinator-client.js';
import { renderRunGrid } from './run-grid.js';

export type Screen = NodeJS.WritableStream & { isTTY?: boolean; columns?: number; rows?: number };

export interface FollowOptions {
  /** True when the follower should give up and exit 4: the run waits for an operator. */
  stopWhen(run: Pick<RunView, 'state'>): boolean;
  screen: Screen;
}

/** `apply --wait` without `--yes`: a gate or a blocked run needs a person (exit 4). */
export const waitingForOperator = (run: Pick<RunView, 'state'>): boolean => run.state === 'awaiting-approval' || run.state === 'blocked';

/** `apply --wait --yes`: gates are approved for us, but a blocked run still needs a person. */
export const blockedOnly = (run: Pick<RunView, 'state'>): boolean => run.state === 'blocked';

/** `watch`: follow until the run is final; someone else may approve or retry meanwhile. */
export const untilFinal = (): boolean => false;

export function exitCodeForFinalState(state: RunState): number {
  return state === 'succeeded' ? EXIT.ok : EXIT.runFailed;
}

interface View {
  /** It shows the whole run, read again after every event; otherwise only the events. */
  readonly redraws: boolean;
  event(event: RunEvent): void;
  update(run: RunView): void;
  finish(run: RunView): void;
}

export async function followRun(client: Coordinator, runId: string, options: FollowOptions): Promise<number> {
  const view: View = options.screen.isTTY ? new LiveGrid(options.screen) : new EventLines(options.screen);
  const outcomeOf = (run: Pick<RunView, 'state'>): number | undefined =>
    FINAL_RUN_STATES.has(run.state) ? exitCodeForFinalState(run.state) : options.stopWhen(run) ? EXIT.waitingForOperator : undefined;

  const stop = new AbortController();
  let latest: RunView | undefined;
  let outcome: number | undefined;
  let failure: unknown;
  // Events only say that something moved; the run itself says where it stands now.
  const refresh = coalesce(async () => {
    try {
      latest = await client.getRun(runId);
      view.update(latest);
      outcome = outcomeOf(latest);
    } catch (error) {
      failure = error;
    }
    if (outcome !== undefined || failure !== undefined) stop.abort();
  });
  const show = (event: RunEvent): void => {
    view.event(event);
    // Every change of the run's state is journalled with an event carrying it (RunStore.setState), so
    // a view of lines reads the run only when an event's state may end the follow — not 300 times a
    // run of 32 nodes, each a whole RunView the coordinator builds while it drives the run (issue 19).
    // A replayed event may be stale (a run blocked, then retried): the run read then decides.
    if (view.redraws || outcomeOf({ state: event.runState }) !== undefined) refresh.request();
  };
  // The watch opens beside the first read of the run, not after it: its events wait for that read,
  // which says whether there is anything to follow (a final run shows its grid alone).
  const early: RunEvent[] = [];
  let started = false;
  const watching = client
    .watch(runId, 0, (event) => (started ? show(event) : early.push(event)), { signal: stop.signal })
    .then(
      () => undefined,
      (error: unknown) => ({ error }),
    );
  const first = await client.getRun(runId).catch((error: unknown) => {
    stop.abort();
    throw error;
  });
  outcome = outcomeOf(first);
  if (outcome !== undefined) {
    stop.abort();
    view.finish(first);
    return outcome;
  }
  latest = first;
  view.update(first);
  started = true;
  for (const event of early.splice(0)) show(event);

  const broke = await watching;
  if (broke !== undefined) {
    // Every coordinator named went away mid-watch; the run goes on without us.
    const { error } = broke;
    if (!isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')) throw error;
    throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', `${error.message.trim()}\nThe run goes on: follow it again with \`lockstep watch ${runId}\``, { cause: error });
  }
  await refresh.idle();
  if (failure !== undefined) throw failure;
  // Read the run once more unless the read that ended the follow is the last word.
  if (outcome === undefined) {
    latest = await client.getRun(runId);
    outcome = outcomeOf(latest);
  }
  view.finish(latest);
  if (outcome === undefined) {
    throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', `the coordinator ended the watch before run ${runId} finished; follow it again with \`lockstep watch ${runId}\``);
  }
  return outcome;
}

/** At most one call in flight; requests made meanwhile are served by one more call after it. */
function coalesce(task: () => Promise<void>): { request(): void; idle(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): void => {
    running = task().then(() => {
      running = undefined;
      if (again) {
        again = false;
        run();
      }
    });
  };
  return {
    request: () => {
      if (running) again = true;
      else run();
    },
    idle: async () => {
      while (running) await running;
    },
  };
}

/** A terminal: the grid, redrawn in place. */
class LiveGrid implements View {
  readonly redraws = true;
  private height = 0;

  constructor(private readonly screen: Screen) {}

  event(): void {}

  update(run: RunView): void {
    // A frame taller than the terminal would scroll, and the rewind would miss its top.
    const lines = renderRunGrid(run, { width: this.screen.columns ?? 120, color: true })
      .split('\n')
      .slice(0, -1)
      .slice(0, Math.max((this.screen.rows ?? 50) - 1, 1));
    // Up to the first line of the previous frame, clear to the end of the screen, draw.
    const rewind = this.height > 0 ? `\u001b[${this.height}F\u001b[J` : '';
    this.screen.write(`${rewind}${lines.join('\n')}\n`);
    this.height = lines.length;
  }

  finish(run: RunView): void {
    this.update(run);
  }
}

/** A pipe or a log: one line per event, the grid once at the end. */
class EventLines implements View {
  readonly redraws = false;

  constructor(private readonly screen: Screen) {}

  event(event: RunEvent): void {
    const where = [event.stepId, event.node].filter((part) => part !== '').join('@');
    const parts = [new Date(event.atMs).toISOString(), event.type, where, event.message, `[${event.runState}]`].filter((part) => part !== '');
    this.screen.write(`${terminalLine(parts.join('  '))}\n`);
  }

  update(): void {}

  finish(run: RunView): void {
    this.screen.write(`\n${renderRunGrid(run)}`);
  }
}
