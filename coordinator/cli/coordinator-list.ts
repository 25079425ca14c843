// `--coordinator h1:7450,h2:7450,h3:7450` (issue 15): the coordinators of an HA group, as one
// client for the commands. A call goes to the first coordinator that answers; any of them
// serves reads; a follower's refusal (NotLeaderError) sends the call on to the leader it names,
// and while none is elected the call waits, bounded, and asks again. A coordinator that cannot
// be reached passes reads and idempotent calls on to the next one, but never SubmitRun or
// Rollback once they may have reached it: those must not run twice. A watch whose coordinator
// dies goes on from the next event on another one.
import { LockstepError, NotLeaderError, isLockstepError } from '../../shared/errors.js';
import type { AuditQuery, OperatorAction } from '../../shared/domain/operator-action.js';
import type { NodeView, RunEvent, RunView, SubmitInput, SubmittedRun } from '../../shared/domain/run.js';
import type { Coordinator, CoordinatorClient, OperatorClaim, WatchOptions } from '../../shared/wire/coordinator-client.js';

const FLAG = '--coordinator';
const FORMS = 'HOST:PORT[,HOST:PORT…] (e.g. h1:7450,h2:7450,h3:7450) or unix:PATH';

/**
 * The addresses of `--coordinator` (or LOCKSTEP_COORDINATOR) as grpc-js dials them: HOST:PORT,
 * [IPV6]:PORT, `unix:PATH` or an absolute socket path, comma-separated. Bad input names the flag.
 */
export function parseCoordinatorList(value: string): string[] {
  const entries = value.split(',').map((entry) => entry.trim());
  return entries.map((entry, index) => {
    const where = entries.length === 1 ? `"${entry}"` : `entry ${index + 1} ("${entry}") of "${value}"`;
    if (entry === '') throw flagError(`${entries.length === 1 ? 'the address' : `entry ${index + 1} of "${value}"`} is empty: expected ${FORMS}`);
    if (entry.startsWith('/')) return `unix:${entry}`;
    if (entry.startsWith('unix:')) {
      if (entry.length === 'unix:'.length) throw flagError(`${where}: unix: needs the socket's path (unix:/run/lockstep/coordinator.sock)`);
      return entry;
    }
    const problem = hostPortProblem(entry);
    if (problem !== undefined) throw flagError(`${where}: ${problem}: expected ${FORMS}`);
    return entry;
  });
}

function flagError(message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${FLAG}: ${message}`, { field: FLAG });
}

/** Why `address` is not HOST:PORT or [IPV6]:PORT, or undefined when it is. */
function hostPortProblem(address: string): string | undefined {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):([^:]*)$/.exec(address);
  if (match === null) return 'not HOST:PORT';
  const port = match[2] ?? '';
  if (!/^\d{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65_535) return `port "${port}" is not a number from 1 to 65535`;
  return undefined;
}

export interface CoordinatorListOptions {
  /** How long a coordinator may take to accept a connection before the next is tried (default 5 s). */
  dialTimeoutMs?: number;
  /** How long a call waits for a leader to be elected, asking again meanwhile (default 30 s). */
  leaderWaitMs?: number;
  /** How often it asks again while waiting (default 1 s). */
  pollMs?: number;
  /** Tells the operator what is going on (stderr); each kind of news once. */
  notice?: (line: string) => void;
}

/** How a call may be sent again: `'again'` to another coordinator after a failure; `'once'` never once it may have arrived. */
type Resend = 'again' | 'once';

type Call<T> = (client: CoordinatorClient, address: string) => Promise<T>;

const isUnavailable = (error: unknown): error is LockstepError => isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE');

export class CoordinatorList implements Coordinator {
  private readonly clients = new Map<string, CoordinatorClient>();
  /** The coordinator that answered last (the leader, after a redirect): asked first. */
  private preferred: string | undefined;
  private readonly told = new Set<string>();
  private readonly dialTimeoutMs: number;
  private readonly leaderWaitMs: number;
  private readonly pollMs: number;
  private readonly notice: (line: string) => void;

  /** `open` makes the client of one address (credentials and the TLS name for that host). */
  constructor(
    readonly addresses: readonly string[],
    private readonly open: (address: string) => CoordinatorClient,
    options: CoordinatorListOptions = {},
  ) {
    if (addresses.length === 0) throw flagError(`no address: expected ${FORMS}`);
    this.dialTimeoutMs = options.dialTimeoutMs ?? 5_000;
    this.leaderWaitMs = options.leaderWaitMs ?? 30_000;
    this.pollMs = options.pollMs ?? 1_000;
    this.notice = options.notice ?? ((line) => process.stderr.write(`lockstep: ${line}\n`));
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  submit(input: SubmitInput, comment = ''): Promise<SubmittedRun> {
    // A dry run (`lockstep plan`) starts nothing, so it may be asked again elsewhere.
    return this.send('SubmitRun', input.dryRun ? 'again' : 'once', (client) => client.submit(input, comment));
  }

  getRun(runId: string): Promise<RunView> {
    return this.send('GetRun', 'again', (client) => client.getRun(runId));
  }

  listRuns(limit = 0): Promise<RunView[]> {
    return this.send('ListRuns', 'again', (client) => client.listRuns(limit));
  }

  // Approving, pausing, resuming, retrying and cancelling twice leaves the run as doing it once.
  approve(runId: string, gate: string, approval: { operator: string; comment?: string; planHash: string }): Promise<RunView> {
    return this.send('Approve', 'again', (client) => client.approve(runId, gate, approval));
  }

  pause(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return this.send('Pause', 'again', (client) => client.pause(runId, by));
  }

  resume(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return this.send('Resume', 'again', (client) => client.resume(runId, by));
  }

  retry(runId: string, node?: string, by: OperatorClaim = {}): Promise<RunView> {
    return this.send('Retry', 'again', (client) => client.retry(runId, node, by));
  }

  cancel(runId: string, by: OperatorClaim = {}): Promise<RunView> {
    return this.send('Cancel', 'again', (client) => client.cancel(runId, by));
  }

  rollback(runId: string, operator: string, comment = ''): Promise<string> {
    return this.send('Rollback', 'once', (client) => client.rollback(runId, operator, comment));
  }

  listAudit(query: Partial<AuditQuery> = {}): Promise<OperatorAction[]> {
    return this.send('ListAudit', 'again', (client) => client.listAudit(query));
  }

  listNodes(runbookYaml: string, runbookPath: string): Promise<NodeView[]> {
    return this.send('ListNodes', 'again', (client) => client.listNodes(runbookYaml, runbookPath));
  }

  /**
   * As CoordinatorClient.watch; when the stream breaks because its coordinator went away, the
   * watch goes on at another coordinator of the list from the event after the last one
   * delivered: none twice, none missed.
   */
  watch(runId: string, fromSeq: number, onEvent: (event: RunEvent) => void, options: WatchOptions = {}): Promise<void> {
    let next = fromSeq;
    let broken: string | undefined;
    return this.send('WatchRun', 'again', async (client, address) => {
      if (broken !== undefined) this.notice(`the watch of run ${runId} broke with coordinator ${broken}; going on from event ${next} with coordinator ${address}`);
      try {
        await client.watch(
          runId,
          next,
          (event) => {
            if (event.seq < next) return;
            next = event.seq + 1;
            onEvent(event);
          },
          options,
        );
      } catch (error) {
        if (isUnavailable(error) && options.signal?.aborted !== true) broken = address;
        throw error;
      }
    });
  }

  private async send<T>(rpc: string, resend: Resend, call: Call<T>): Promise<T> {
    const giveUpAt = Date.now() + this.leaderWaitMs;
    for (;;) {
      let refusal: NotLeaderError;
      try {
        return await this.onFirstThatAnswers(rpc, resend, call);
      } catch (error) {
        if (!(error instanceof NotLeaderError)) throw error;
        refusal = error;
      }
      // A refused call did nothing: it may go to the leader named, whatever it is.
      let leaderFailure: LockstepError | undefined;
      if (refusal.leader !== undefined) {
        const answer = await this.onLeader(leaderAddress(refusal), rpc, resend, call);
        if ('value' in answer) return answer.value;
        leaderFailure = answer.failure;
      }
      if (Date.now() >= giveUpAt) throw noLeaderInTime(refusal, leaderFailure, this.leaderWaitMs);
      const why = leaderFailure === undefined ? refusal.message : `${refusal.message}, which does not answer: ${leaderFailure.message}`;
      this.tell('election', `no coordinator leader answers yet (${why}); waiting up to ${this.leaderWaitMs / 1000} s for one`);
      await new Promise((resolve) => setTimeout(resolve, this.pollMs));
    }
  }

  /**
   * The call on the first coordinator that takes a connection. A NotLeaderError comes back as
   * thrown; an unreachable coordinator passes the call to the next unless it may have run there.
   */
  private async onFirstThatAnswers<T>(rpc: string, resend: Resend, call: Call<T>): Promise<T> {
    const refused: string[] = [];
    let lastFailure: LockstepError | undefined;
    for (const address of this.candidates()) {
      const client = this.client(address);
      const connection = await client.connects(this.dialTimeoutMs);
      if (connection !== 'ready') {
        if (connection === 'failed') refused.push(address);
        continue;
      }
      try {
        const value = await call(client, address);
        this.preferred = address;
        return value;
      } catch (error) {
        if (!isUnavailable(error)) throw error;
        if (resend === 'once') throw mayHaveRun(rpc, address, error);
        lastFailure = error;
        if (this.preferred === address) this.preferred = undefined;
      }
    }
    // Nothing took a connection. Where connecting failed, a call fails at once with grpc-js's
    // own reason (refused, TLS name, no route): send it there, so that the operator reads why,
    // and a lone address fails exactly as a single coordinator always did.
    const [first] = refused;
    if (first !== undefined) {
      try {
        return await call(this.client(first), first);
      } catch (error) {
        if (!isUnavailable(error) || this.addresses.length === 1) throw error;
        lastFailure = error;
      }
    }
    const why = lastFailure === undefined ? `none accepted a connection within ${this.dialTimeoutMs / 1000} s` : `last: ${lastFailure.message}`;
    throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', `none of the coordinators ${this.addresses.join(', ')} answers (${why})`, { ...(lastFailure !== undefined && { cause: lastFailure }) });
  }

  /**
   * The call sent on to the leader a follower named. `value` when it answered; otherwise that
   * leader does not lead any more (no `failure`) or cannot be reached (`failure` says why).
   */
  private async onLeader<T>(leader: string, rpc: string, resend: Resend, call: Call<T>): Promise<{ value: T } | { failure?: LockstepError }> {
    const client = this.client(leader);
    const connection = await client.connects(this.dialTimeoutMs);
    if (connection === 'no-answer') return { failure: new LockstepError('LOCKSTEP_E_UNAVAILABLE', `coordinator ${leader}: no connection within ${this.dialTimeoutMs / 1000} s`) };
    try {
      const value = await call(client, leader);
      this.preferred = leader;
      return { value };
    } catch (error) {
      if (error instanceof NotLeaderError) return {};
      if (!isUnavailable(error)) throw error;
      if (connection === 'ready' && resend === 'once') throw mayHaveRun(rpc, leader, error);
      return { failure: error };
    }
  }

  /** The one that answered last first, then the list in order. */
  private candidates(): string[] {
    return [...new Set([...(this.preferred === undefined ? [] : [this.preferred]), ...this.addresses])];
  }

  private client(address: string): CoordinatorClient {
    let client = this.clients.get(address);
    if (client === undefined) {
      client = this.open(address);
      this.clients.set(address, client);
    }
    return client;
  }

  private tell(what: string, line: string): void {
    if (this.told.has(what)) return;
    this.told.add(what);
    this.notice(line);
  }
}

/** The leader a follower named, checked before it is dialled. */
function leaderAddress(refusal: NotLeaderError): string {
  const leader = refusal.leader ?? '';
  const problem = hostPortProblem(leader);
  if (problem !== undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `a coordinator named "${leader}" as its leader, which is ${problem}`, { cause: refusal });
  return leader;
}

function noLeaderInTime(refusal: NotLeaderError, leaderFailure: LockstepError | undefined, waitedMs: number): LockstepError {
  const what = refusal.leader === undefined ? refusal.message : `${refusal.message}, which ${leaderFailure === undefined ? 'no longer leads' : `does not answer: ${leaderFailure.message}`}`;
  return new LockstepError('LOCKSTEP_E_NOT_LEADER', `${what}; waited ${waitedMs / 1000} s for a leader: check the coordinators and etcd (docs/ha.md)`, { cause: leaderFailure ?? refusal });
}

function mayHaveRun(rpc: string, address: string, error: LockstepError): LockstepError {
  return new LockstepError(
    'LOCKSTEP_E_UNAVAILABLE',
    `coordinator ${address} failed while answering ${rpc}: ${error.message}\n` +
      `It may have run there: ${rpc} is not sent again to another coordinator. Check \`lockstep runs\` before applying (or rolling back) again.`,
    { cause: error },
  );
}
