// The run service of a coordinator started with --etcd (docs/ha.md). Every coordinator holds an
// in-memory copy of the journal kept in etcd and campaigns for the leadership. A follower
// serves reads from its copy (which etcd's watch keeps current) and refuses every change with
// NotLeaderError naming the leader. When elected it catches its copy up to its own election,
// switches the copy to writing through etcd (each write conditioned on its leadership) and
// resumes every unfinished run with the leadership's epoch, as a restarted coordinator does.
// A leader that loses its lease, or whose write etcd refuses, stops at once (`deposed`).
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { Etcd3, type IKeyValue } from 'etcd3';
import { describeError, LockstepError, NotLeaderError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { openMemoryDatabase } from '../../shared/sqlite.js';
import type { ActingOperator, AuditQuery } from '../../shared/domain/operator-action.js';
import type { ClosableRunService } from '../coordinator-server.js';
import type { EngineObserver } from '../engine/engine-observer.js';
import { createEngine, type Engine } from '../engine/engine.js';
import type { AuditEntry, EventSink, RunService, SubmitInput } from '../engine/run-types.js';
import { MIGRATIONS } from '../store/migrations.js';
import { RunStore } from '../store/run-store.js';
import { claimPrefix, DeposedError, FencedJournalWriter, followJournal, loadJournal } from './etcd-journal.js';
import { Candidacy, electionPrefix, leaderOf, parseCandidate, type CandidateInfo } from './leadership.js';

export interface EtcdSettings {
  endpoints: string[];
  prefix: string;
  tls?: { ca: string; cert?: string; key?: string };
  leaseTtlSeconds: number;
  /** The leader stops this long before its lease could expire on etcd's side. */
  leaseMarginMs: number;
}

export interface HaRole {
  role: 'leader' | 'follower';
  /** The leader's advertised API address, '' while none is elected. */
  leader: string;
}

export type HaRunService = ClosableRunService & { roleNow(): HaRole };

export interface HaOptions {
  etcd: EtcdSettings;
  /** Where clients reach this coordinator: its gRPC API and its dashboard. */
  advertise: { api: string; http: string };
  logger: Logger;
  credentialsDirs: readonly string[];
  fourEyes: boolean;
  agentCrl?: string;
  retainMs?: number;
  observer: EngineObserver;
  /** Called once when this coordinator may no longer act (lease lost, a write refused): it must stop at once. */
  deposed(reason: string): void;
}

/** How long the start waits for one etcd member to answer before saying --etcd is wrong. */
const REACH_DEADLINE_MS = 5_000;

export async function createHaRunService(options: HaOptions): Promise<HaRunService> {
  const { logger, etcd } = options;
  const client = new Etcd3({
    hosts: etcd.endpoints,
    ...(etcd.tls && { credentials: readTls(etcd.tls) }),
    dialTimeout: REACH_DEADLINE_MS,
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + REACH_DEADLINE_MS }),
  });
  try {
    await reach(client, etcd);
    await untilQuorum(logger, () => claimPrefix(client, etcd.prefix));
    const store = new RunStore(openMemoryDatabase(MIGRATIONS));
    const candidates = new Map<string, { createRevision: number; info: CandidateInfo | undefined }>();
    const seeCandidate = (kv: IKeyValue, deleted = false): void => {
      const key = kv.key.toString();
      if (!key.startsWith(electionPrefix(etcd.prefix))) return;
      if (deleted) candidates.delete(key);
      else candidates.set(key, { createRevision: Number(kv.create_revision), info: parseCandidate(kv.value.toString()) });
    };
    const revision = await untilQuorum(logger, () => loadJournal(client, etcd.prefix, store, (kv) => seeCandidate(kv)));
    const markers = new MarkerWaiter();
    const copy = await followJournal(client, etcd.prefix, revision, store, {
      onOtherKey: (kv, deleted) => {
        seeCandidate(kv, deleted);
        markers.saw(Number(kv.mod_revision));
      },
      onError: (error) => {
        // A copy that missed a change cannot be trusted to serve reads, or to lead.
        options.deposed(`the journal's copy from etcd failed: ${describeError(error)}`);
      },
    });
    const engine = await createEngine({
      store,
      standby: true,
      logger,
      credentialsDirs: options.credentialsDirs,
      fourEyes: options.fourEyes,
      observer: options.observer,
      ...(options.agentCrl !== undefined && { agentCrl: options.agentCrl }),
      ...(options.retainMs !== undefined && { retainMs: options.retainMs }),
    });
    const candidacy = await Candidacy.enter({
      client,
      prefix: etcd.prefix,
      ttlSeconds: etcd.leaseTtlSeconds,
      marginMs: etcd.leaseMarginMs,
      info: { api: options.advertise.api, http: options.advertise.http, host: hostname(), pid: process.pid },
    });
    candidacy.onLost((reason) => options.deposed(reason));
    logger.info({ key: candidacy.key, etcd: etcd.endpoints, prefix: etcd.prefix, ttlSeconds: etcd.leaseTtlSeconds }, 'campaigning for the leadership (follower until elected)');
    return new EtcdRunService(client, store, engine, candidacy, copy, markers, candidates, options);
  } catch (error) {
    client.close();
    throw error;
  }
}

class EtcdRunService implements HaRunService {
  private leading = false;
  private closed = false;

  constructor(
    private readonly client: Etcd3,
    private readonly store: RunStore,
    private readonly engine: Engine,
    private readonly candidacy: Candidacy,
    private readonly copy: { revision(): number; stop(): Promise<void> },
    private readonly markers: MarkerWaiter,
    private readonly candidates: Map<string, { createRevision: number; info: CandidateInfo | undefined }>,
    private readonly options: HaOptions,
  ) {
    this.lead().catch((error: unknown) => {
      if (!this.closed) options.deposed(`campaign failed: ${describeError(error)}`);
    });
  }

  private async lead(): Promise<void> {
    const { logger, etcd } = this.options;
    await this.candidacy.waitUntilElected();
    const electedAtMs = Date.now();
    const writer = new FencedJournalWriter(this.client, etcd.prefix, this.candidacy, logger, (error: DeposedError) => this.options.deposed(error.message));
    // Every write of an earlier leader has a lower revision than this marker (theirs are fenced
    // on keys deleted before this election), so once the copy has seen the marker it has seen them all.
    const markerRevision = await writer.putFenced(`${etcd.prefix}leader`, JSON.stringify({ epoch: this.candidacy.createRevision, api: this.options.advertise.api, atMs: electedAtMs }));
    await this.markers.until(markerRevision, () => this.copy.revision());
    await this.copy.stop();
    this.store.adoptEpoch(this.candidacy.createRevision);
    this.store.replicateTo(writer);
    const orphans = this.store.deleteOrphans();
    if (orphans > 0) logger.warn({ rows: orphans }, 'deleted the rows of a run whose creation an earlier leader did not finish');
    this.leading = true;
    logger.info({ epoch: this.candidacy.createRevision, key: this.candidacy.key, caughtUpInMs: Date.now() - electedAtMs }, 'elected leader: resuming unfinished runs');
    await this.engine.takeOver();
  }

  roleNow(): HaRole {
    if (this.leading) return { role: 'leader', leader: this.options.advertise.api };
    return { role: 'follower', leader: leaderOf(this.candidates)?.api ?? '' };
  }

  private leader(): Engine {
    if (this.leading) return this.engine;
    const leader = this.roleNow().leader;
    throw new NotLeaderError(leader === '' ? undefined : leader);
  }

  submit(input: SubmitInput, by?: ActingOperator, why?: string): ReturnType<RunService['submit']> {
    // `lockstep plan` compiles and journals what it showed: a change too, made by the leader.
    return this.leader().submit(input, by, why);
  }
  getRun(runId: string): ReturnType<RunService['getRun']> {
    return this.engine.getRun(runId);
  }
  listRuns(limit: number): ReturnType<RunService['listRuns']> {
    return this.engine.listRuns(limit);
  }
  watch(runId: string, fromSeq: number, sink: EventSink): ReturnType<RunService['watch']> {
    return this.engine.watch(runId, fromSeq, sink);
  }
  approve(runId: string, gate: string, operator: string, comment: string, planHash: string, by?: ActingOperator): ReturnType<RunService['approve']> {
    return this.leader().approve(runId, gate, operator, comment, planHash, by);
  }
  pause(runId: string, by?: ActingOperator): ReturnType<RunService['pause']> {
    return this.leader().pause(runId, by);
  }
  resume(runId: string, by?: ActingOperator): ReturnType<RunService['resume']> {
    return this.leader().resume(runId, by);
  }
  retry(runId: string, node: string | undefined, by?: ActingOperator): ReturnType<RunService['retry']> {
    return this.leader().retry(runId, node, by);
  }
  cancel(runId: string, by?: ActingOperator): ReturnType<RunService['cancel']> {
    return this.leader().cancel(runId, by);
  }
  listNodes(runbookYaml: string, runbookPath: string): ReturnType<RunService['listNodes']> {
    return this.engine.listNodes(runbookYaml, runbookPath);
  }
  rollback(runId: string, requestedBy: string, by?: ActingOperator): ReturnType<RunService['rollback']> {
    return this.leader().rollback(runId, requestedBy, by);
  }
  operatorActions(query: AuditQuery): ReturnType<RunService['operatorActions']> {
    return this.engine.operatorActions(query);
  }
  recordAudit(entry: AuditEntry): void {
    // A follower's copy takes rows from the leader only: its own decisions go to its log.
    if (this.leading) this.engine.recordAudit(entry);
    else this.options.logger.info({ audit: true, ...entry, role: 'follower' }, 'access check (follower: logged, not journaled)');
  }
  durable(): Promise<void> {
    return this.store.settled();
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.engine.close();
    await this.copy.stop().catch(() => undefined);
    await this.candidacy.resign();
    this.client.close();
  }
}

/** Resolves when the copy has applied a given revision (the leadership marker's). */
class MarkerWaiter {
  private readonly waiting: Array<{ revision: number; resolve: () => void }> = [];

  saw(revision: number): void {
    for (let index = this.waiting.length - 1; index >= 0; index--) {
      const waiter = this.waiting[index] as { revision: number; resolve: () => void };
      if (revision >= waiter.revision) {
        this.waiting.splice(index, 1);
        waiter.resolve();
      }
    }
  }

  until(revision: number, applied: () => number): Promise<void> {
    if (applied() >= revision) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ revision, resolve }));
  }
}

function readTls(tls: NonNullable<EtcdSettings['tls']>): { rootCertificate: Buffer; privateKey?: Buffer; certChain?: Buffer } {
  const read = (file: string, flag: string): Buffer => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new LockstepError('LOCKSTEP_E_CONFIG', `${flag}: cannot read ${file}: ${describeError(error)}`, { field: flag, cause: error });
    }
  };
  return {
    rootCertificate: read(tls.ca, '--etcd-tls-ca'),
    ...(tls.cert !== undefined && { certChain: read(tls.cert, '--etcd-tls-cert') }),
    ...(tls.key !== undefined && { privateKey: read(tls.key, '--etcd-tls-key') }),
  };
}

/** One member must answer its status (which needs no quorum), or the --etcd settings are wrong. */
async function reach(client: Etcd3, etcd: EtcdSettings): Promise<void> {
  try {
    await client.maintenance.status({ deadline: Date.now() + REACH_DEADLINE_MS });
  } catch (error) {
    const tlsHint = etcd.tls
      ? ' Check --etcd-tls-ca (it must have signed the members\' certificates) and --etcd-tls-cert/--etcd-tls-key (when the members ask for a client certificate).'
      : etcd.endpoints.some((endpoint) => endpoint.startsWith('https://'))
        ? ' The endpoints are https: give --etcd-tls-ca.'
        : '';
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--etcd: no etcd member answered at ${etcd.endpoints.join(',')} within ${REACH_DEADLINE_MS / 1000} s (${describeError(error)}).${tlsHint}`, { field: '--etcd', cause: error });
  }
}

/** Runs a read that needs quorum, saying once that it waits for it and trying again until it answers; a configuration error ends the wait. */
async function untilQuorum<T>(logger: Logger, read: () => Promise<T>): Promise<T> {
  let said = false;
  for (;;) {
    try {
      return await read();
    } catch (error) {
      if (error instanceof LockstepError && error.code === 'LOCKSTEP_E_CONFIG') throw error;
      if (!said) {
        logger.warn({ err: describeError(error) }, 'etcd answers but does not serve reads (no quorum?): waiting for it');
        said = true;
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
