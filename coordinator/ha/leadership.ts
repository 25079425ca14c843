// Leader election on etcd (docs/ha.md), as etcd's own concurrency package does it: each
// coordinator holds a lease (TTL, kept alive) and a key `PREFIX election/LEASE` attached to it;
// the key with the lowest create revision leads. That revision is the leader's epoch: etcd
// makes it larger than every earlier leader's, so agents refuse a deposed leader's requests.
//
// The leader also keeps its own deadline on the monotonic clock: a keepalive sent at t renews
// the lease until at least t + TTL on the server, so the leadership holds until the oldest
// answered keepalive's send time + TTL − margin. Past it the leader stops, before etcd can
// expire its key and elect another.
import { performance } from 'node:perf_hooks';
import type { Etcd3, IKeyValue, Lease } from 'etcd3';
import { LockstepError } from '../../shared/errors.js';
import type { Fence } from './etcd-journal.js';

/** What a candidate announces: where its API and dashboard answer. */
export interface CandidateInfo {
  api: string;
  http: string;
  host: string;
  pid: number;
}

export interface LeadershipOptions {
  client: Etcd3;
  prefix: string;
  ttlSeconds: number;
  /** How long before the lease's earliest possible expiry the leader stops. */
  marginMs: number;
  info: CandidateInfo;
}

export function electionPrefix(prefix: string): string {
  return `${prefix}election/`;
}

export class Candidacy implements Fence {
  private validUntil = 0;
  private readonly outstanding: number[] = [];
  private lostReason: string | undefined;
  private readonly lostListeners = new Set<(reason: string) => void>();
  private watchdog: NodeJS.Timeout | undefined;
  private elected = false;

  private constructor(
    private readonly options: LeadershipOptions,
    private readonly lease: Lease,
    readonly key: string,
    readonly createRevision: number,
  ) {}

  /** Grants the lease, starts keeping it alive and puts this candidate's key. */
  static async enter(options: LeadershipOptions): Promise<Candidacy> {
    const sentAt = performance.now();
    const lease = options.client.lease(options.ttlSeconds, { autoKeepAlive: false });
    const leaseId = await lease.grant();
    const key = `${electionPrefix(options.prefix)}${BigInt(leaseId).toString(16).padStart(16, '0')}`;
    const put = await options.client
      .if(key, 'Create', '==', 0)
      .then(options.client.put(key).value(JSON.stringify(options.info)).lease(leaseId))
      .else(options.client.get(key))
      .commit();
    if (!put.succeeded) throw new LockstepError('LOCKSTEP_E_INTERNAL', `election key ${key} already exists for a new lease`);
    const createRevision = Number(put.header.revision);
    const candidacy = new Candidacy(options, lease, key, createRevision);
    candidacy.validUntil = sentAt + options.ttlSeconds * 1000;
    candidacy.keepAlive();
    return candidacy;
  }

  private keepAlive(): void {
    this.lease.on('keepaliveFired', () => this.outstanding.push(performance.now()));
    this.lease.on('keepaliveSucceeded', () => {
      const sentAt = this.outstanding.shift();
      if (sentAt !== undefined) this.validUntil = Math.max(this.validUntil, sentAt + this.options.ttlSeconds * 1000);
    });
    this.lease.on('keepaliveFailed', () => {
      // The stream is set up again; requests sent on the old one may never be answered.
      this.outstanding.length = 0;
    });
    this.lease.on('lost', (error) => this.lose(`etcd lease lost: ${error.message}`));
    // etcd3 keeps the lease alive every TTL/3 once asked to.
    (this.lease as unknown as { keepalive(): void }).keepalive();
    this.watchdog = setInterval(() => {
      if (this.elected && !this.holds()) this.lose(`the lease was not renewed within TTL − margin (${this.options.ttlSeconds} s − ${this.options.marginMs} ms) by this coordinator's own clock`);
    }, 100);
    this.watchdog.unref();
  }

  /** Fence: true while this leadership can still be relied on, by this process's monotonic clock. */
  holds(): boolean {
    return this.lostReason === undefined && performance.now() < this.validUntil - this.options.marginMs;
  }

  /** Called once when the lease is gone or may be. */
  onLost(listener: (reason: string) => void): void {
    if (this.lostReason !== undefined) listener(this.lostReason);
    else this.lostListeners.add(listener);
  }

  private lose(reason: string): void {
    if (this.lostReason !== undefined) return;
    this.lostReason = reason;
    if (this.watchdog) clearInterval(this.watchdog);
    for (const listener of this.lostListeners) listener(reason);
  }

  /**
   * Resolves when this candidate leads: every key with a lower create revision is gone. Waits
   * for the deletion of the one just before it, as etcd's Go client does (no herd on each change).
   */
  async waitUntilElected(): Promise<void> {
    const { client, prefix } = this.options;
    for (;;) {
      if (this.lostReason !== undefined) throw new LockstepError('LOCKSTEP_E_UNAVAILABLE', `campaign ended: ${this.lostReason}`);
      const ahead = await client.getAll().prefix(electionPrefix(prefix)).maxCreateRevision(this.createRevision - 1).sort('Create', 'Descend').limit(1).exec();
      const previous = ahead.kvs[0];
      if (previous === undefined) {
        this.elected = true;
        return;
      }
      await this.waitForDeletion(previous, Number(ahead.header.revision));
    }
  }

  private async waitForDeletion(previous: IKeyValue, revision: number): Promise<void> {
    const watcher = await this.options.client.watch().key(previous.key).startRevision(String(revision + 1)).create();
    try {
      await new Promise<void>((resolve, reject) => {
        watcher.on('delete', () => resolve());
        watcher.on('error', reject);
        this.onLost((reason) => reject(new LockstepError('LOCKSTEP_E_UNAVAILABLE', `campaign ended: ${reason}`)));
        // The key may have gone between the read and the watch's start: look again.
        this.options.client
          .get(previous.key)
          .exists()
          .then((exists) => {
            if (!exists) resolve();
          }, reject);
      });
    } finally {
      await watcher.cancel().catch(() => undefined);
    }
  }

  /** Gives the leadership up at once (a clean stop), so a follower need not wait for the TTL. */
  async resign(): Promise<void> {
    this.lose('resigned');
    await this.lease.revoke().catch(() => undefined);
  }
}

/** The leader among the candidates seen: the lowest create revision. */
export function leaderOf(candidates: ReadonlyMap<string, { createRevision: number; info: CandidateInfo | undefined }>): CandidateInfo | undefined {
  let best: { createRevision: number; info: CandidateInfo | undefined } | undefined;
  for (const candidate of candidates.values()) if (best === undefined || candidate.createRevision < best.createRevision) best = candidate;
  return best?.info;
}

export function parseCandidate(value: string): CandidateInfo | undefined {
  try {
    const parsed = JSON.parse(value) as Partial<CandidateInfo>;
    return typeof parsed.api === 'string' ? { api: parsed.api, http: String(parsed.http ?? ''), host: String(parsed.host ?? ''), pid: Number(parsed.pid ?? 0) } : undefined;
  } catch {
    return undefined;
  }
}
