// The coordinator's journal in etcd (docs/ha.md): every row of the SQLite journal is one key,
// `PREFIX rows/TABLE/ROWID`, holding the row as JSON; a row too large for one etcd value (a
// thousand-node plan) is cut into chunks written before the row that names them. The leader
// writes each committed transaction's rows in transactions conditioned on its leadership key
// (fencing); a follower loads every row once, then applies the changes as etcd streams them.
import { createHash } from 'node:crypto';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import { describeError, LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import { REPLICATED_TABLES, type ReplicatedTable, type RowChange } from '../store/change-capture.js';
import type { Replication, RunStore } from '../store/run-store.js';

/** The value of `PREFIX format`: a prefix without it, or with another, holds no journal of ours. */
export const JOURNAL_FORMAT = 'lockstep-journal/1';

/**
 * etcd's defaults: `--max-txn-ops` 128 operations and `--max-request-bytes` 1.5 MiB per
 * request. Each transaction stays well inside both, so a server left at its defaults takes it.
 */
export const MAX_OPS_PER_TXN = 100;
export const MAX_BYTES_PER_TXN = 1024 * 1024;
/** A row's JSON longer than this is written as chunks of this size. */
export const CHUNK_BYTES = 256 * 1024;
/** Each etcd call's deadline: a call that cannot finish (no quorum) is tried again, not waited on forever. */
const CALL_DEADLINE_MS = 3_000;
const RETRY_PAUSE_MS = 250;

export type JournalOp = { type: 'put'; key: string; value: string } | { type: 'delete'; key: string } | { type: 'delete-prefix'; key: string };

const TABLES = new Set<string>(REPLICATED_TABLES);

export function rowKey(prefix: string, table: ReplicatedTable, rowid: number): string {
  return `${prefix}rows/${table}/${String(rowid).padStart(16, '0')}`;
}

function chunkPrefix(prefix: string, table: ReplicatedTable, rowid: number): string {
  return `${prefix}chunks/${table}/${String(rowid).padStart(16, '0')}/`;
}

/** The etcd operations that make the copy hold `changes`, in an order that never shows a row before its chunks. */
export function journalOps(prefix: string, changes: readonly RowChange[]): JournalOp[] {
  const ops: JournalOp[] = [];
  for (const change of changes) {
    const key = rowKey(prefix, change.table, change.rowid);
    if (change.row === undefined) {
      ops.push({ type: 'delete', key }, { type: 'delete-prefix', key: chunkPrefix(prefix, change.table, change.rowid) });
      continue;
    }
    const json = JSON.stringify(change.row);
    if (Buffer.byteLength(json) <= CHUNK_BYTES) {
      ops.push({ type: 'put', key, value: json });
      continue;
    }
    // Chunks are named by the content's digest: a reader never mixes the chunks of two versions.
    const digest = createHash('sha256').update(json).digest('hex').slice(0, 16);
    const pieces = splitText(json, CHUNK_BYTES / 4);
    pieces.forEach((piece, index) => ops.push({ type: 'put', key: `${chunkPrefix(prefix, change.table, change.rowid)}${digest}/${String(index).padStart(6, '0')}`, value: piece }));
    ops.push({ type: 'put', key, value: JSON.stringify({ $chunks: pieces.length, $digest: digest }) });
  }
  return ops;
}

/** Pieces of at most `units` UTF-16 units (so at most 3 bytes each in UTF-8), never cutting a surrogate pair. */
export function splitText(text: string, units: number): string[] {
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + units);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** Cuts the operations into transactions within etcd's limits, keeping their order. */
export function txnBatches(ops: readonly JournalOp[]): JournalOp[][] {
  const batches: JournalOp[][] = [];
  let batch: JournalOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = op.key.length + (op.type === 'put' ? Buffer.byteLength(op.value) : 0) + 16;
    if (batch.length > 0 && (batch.length >= MAX_OPS_PER_TXN || bytes + size > MAX_BYTES_PER_TXN)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(op);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** The leadership a write is conditioned on: its key still exists with the create revision it had when won. */
export interface Fence {
  key: string;
  createRevision: number;
  /** False once the leader's own clock says its lease may have lapsed (TTL − margin). */
  holds(): boolean;
}

export class DeposedError extends LockstepError {
  constructor(reason: string) {
    super('LOCKSTEP_E_STALE_EPOCH', `this coordinator is no longer the leader: ${reason}`);
  }
}

/**
 * The leader's side: copies each commit's rows to etcd, one transaction after another in commit
 * order, each conditioned on the fence. A refused condition means another coordinator leads:
 * `deposed` is called and every write from then on fails. A call that fails for any other reason
 * (an etcd member down, no quorum) is tried again until it succeeds or the fence stops holding;
 * meanwhile nothing waiting on it (a dispatch) goes on.
 */
export class FencedJournalWriter implements Replication {
  private chain: Promise<void> = Promise.resolve();
  private refusal: DeposedError | undefined;
  private stalledSinceMs: number | undefined;

  constructor(
    private readonly client: Etcd3,
    private readonly prefix: string,
    private readonly fence: Fence,
    private readonly logger: Logger,
    private readonly deposed: (error: DeposedError) => void,
  ) {}

  replicate(changes: RowChange[]): Promise<void> {
    const write = this.chain.then(() => this.write(changes));
    this.chain = write.catch(() => undefined);
    return write;
  }

  stillLeading(): void {
    if (this.refusal) throw this.refusal;
    if (!this.fence.holds()) this.refuse('its lease was not renewed in time (TTL − margin passed on its own clock)');
  }

  /** Writes a key outside the journal's rows (the leadership marker), fenced like every row; resolves with its revision. */
  putFenced(key: string, value: string): Promise<number> {
    const write = this.chain.then(() => this.commit([{ type: 'put', key, value }]));
    this.chain = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  private async write(changes: RowChange[]): Promise<void> {
    if (changes.length === 0) {
      if (this.refusal) throw this.refusal;
      return;
    }
    for (const batch of txnBatches(journalOps(this.prefix, changes))) await this.commit(batch);
  }

  /** Commits one batch under the fence; resolves with the revision etcd gave it. */
  private async commit(batch: JournalOp[]): Promise<number> {
    for (;;) {
      if (this.refusal) throw this.refusal;
      if (!this.fence.holds()) this.refuse('its lease was not renewed in time (TTL − margin passed on its own clock)');
      try {
        const txn = this.client
          .if(this.fence.key, 'Create', '==', this.fence.createRevision)
          .then(...batch.map((op) => (op.type === 'put' ? this.client.put(op.key).value(op.value) : op.type === 'delete' ? this.client.delete().key(op.key) : this.client.delete().prefix(op.key))))
          .options({ deadline: Date.now() + CALL_DEADLINE_MS });
        const result = await txn.commit();
        if (!result.succeeded) this.refuse(`etcd refused a write conditioned on leadership key ${this.fence.key} (another coordinator leads)`);
        if (this.stalledSinceMs !== undefined) {
          this.logger.warn({ stalledMs: Date.now() - this.stalledSinceMs }, 'etcd takes the journal again: dispatching resumes');
          this.stalledSinceMs = undefined;
        }
        return Number(result.header.revision);
      } catch (error) {
        if (error instanceof DeposedError) throw error;
        if (this.stalledSinceMs === undefined) {
          this.stalledSinceMs = Date.now();
          this.logger.error({ err: describeError(error) }, 'etcd does not take the journal (a member down, or no quorum): nothing is dispatched or decided until it does');
        }
        await new Promise((resolve) => setTimeout(resolve, RETRY_PAUSE_MS));
      }
    }
  }

  private refuse(reason: string): never {
    if (this.refusal === undefined) {
      this.refusal = new DeposedError(reason);
      this.deposed(this.refusal);
    }
    throw this.refusal;
  }
}

/** A journal row or chunk read from etcd; other keys under the prefix (election, marker) are the caller's. */
interface Decoded {
  table: ReplicatedTable;
  rowid: number;
  chunk?: { digest: string; index: number };
}

function decodeKey(prefix: string, key: string): Decoded | undefined {
  if (!key.startsWith(prefix)) return undefined;
  const parts = key.slice(prefix.length).split('/');
  if (parts[0] === 'rows' && parts.length === 3 && TABLES.has(parts[1] ?? '')) return { table: parts[1] as ReplicatedTable, rowid: Number(parts[2]) };
  if (parts[0] === 'chunks' && parts.length === 5 && TABLES.has(parts[1] ?? '')) return { table: parts[1] as ReplicatedTable, rowid: Number(parts[2]), chunk: { digest: parts[3] ?? '', index: Number(parts[4]) } };
  return undefined;
}

/** Assembles rows from their keys' values, with the chunks read so far. */
class RowDecoder {
  private readonly chunks = new Map<string, Map<number, string>>();

  constructor(private readonly prefix: string) {}

  /** A put: the row it completes, or undefined for a chunk or a key that is not a row. */
  put(key: string, value: string): RowChange | undefined {
    const decoded = decodeKey(this.prefix, key);
    if (decoded === undefined) return undefined;
    if (decoded.chunk !== undefined) {
      const id = `${decoded.table}/${decoded.rowid}/${decoded.chunk.digest}`;
      const pieces = this.chunks.get(id) ?? new Map<number, string>();
      pieces.set(decoded.chunk.index, value);
      this.chunks.set(id, pieces);
      return undefined;
    }
    const parsed = JSON.parse(value) as Record<string, unknown>;
    if (typeof parsed.$chunks === 'number' && typeof parsed.$digest === 'string') {
      const id = `${decoded.table}/${decoded.rowid}/${parsed.$digest}`;
      const pieces = this.chunks.get(id);
      const text: string[] = [];
      for (let index = 0; index < parsed.$chunks; index++) {
        const piece = pieces?.get(index);
        if (piece === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `journal row ${key} names chunk ${index} of ${parsed.$chunks}, which etcd does not hold`);
        text.push(piece);
      }
      this.chunks.delete(id);
      return { table: decoded.table, rowid: decoded.rowid, row: JSON.parse(text.join('')) as Record<string, unknown> };
    }
    return { table: decoded.table, rowid: decoded.rowid, row: parsed };
  }

  delete(key: string): RowChange | undefined {
    const decoded = decodeKey(this.prefix, key);
    if (decoded === undefined || decoded.chunk !== undefined) return undefined;
    return { table: decoded.table, rowid: decoded.rowid, row: undefined };
  }
}

/**
 * Checks that the prefix holds a journal of ours, or nothing (then marks it as one). A prefix
 * with other keys and no marker, or another format, is refused naming the flag.
 */
export async function claimPrefix(client: Etcd3, prefix: string): Promise<void> {
  const formatKey = `${prefix}format`;
  const format = await client.get(formatKey).string();
  if (format === JOURNAL_FORMAT) return;
  if (format !== null) throw new LockstepError('LOCKSTEP_E_CONFIG', `--etcd-prefix: ${prefix} holds a journal of format "${format}", not ${JOURNAL_FORMAT}`, { field: '--etcd-prefix' });
  const others = await client.getAll().prefix(prefix).count();
  // Another coordinator of the group, started at the same moment, may have just marked it.
  if (others > 0 && (await client.get(formatKey).string()) === JOURNAL_FORMAT) return;
  if (others > 0) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--etcd-prefix: ${prefix} already holds ${others} key(s) that are not a lockstep journal (no ${formatKey} key); choose an empty prefix`, { field: '--etcd-prefix' });
  }
  await client.if(formatKey, 'Create', '==', 0).then(client.put(formatKey).value(JOURNAL_FORMAT)).commit();
  const written = await client.get(formatKey).string();
  if (written !== JOURNAL_FORMAT) throw new LockstepError('LOCKSTEP_E_CONFIG', `--etcd-prefix: ${prefix} holds a journal of format "${written ?? ''}", not ${JOURNAL_FORMAT}`, { field: '--etcd-prefix' });
}

/** Loads every row under the prefix into `store` (a fresh in-memory journal), a page at a time at one revision; returns that revision. */
export async function loadJournal(client: Etcd3, prefix: string, store: RunStore, onOtherKey: (kv: IKeyValue) => void): Promise<number> {
  const decoder = new RowDecoder(prefix);
  const changes: RowChange[] = [];
  const end = prefixEnd(prefix);
  let from = prefix;
  let revision: number | undefined;
  for (;;) {
    const builder = client.getAll().inRange({ start: from, end }).limit(1000);
    if (revision !== undefined) builder.revision(revision);
    const page = await builder.exec();
    revision ??= Number(page.header.revision);
    for (const kv of page.kvs) {
      const key = kv.key.toString();
      const change = decoder.put(key, kv.value.toString());
      if (change !== undefined) changes.push(change);
      else if (decodeKey(prefix, key) === undefined) onOtherKey(kv);
    }
    if (!page.more || page.kvs.length === 0) break;
    from = `${(page.kvs[page.kvs.length - 1] as IKeyValue).key.toString()}\0`;
  }
  store.applyCopied(changes);
  return revision;
}

/**
 * A follower's copy: applies each change etcd streams under the prefix after `fromRevision`,
 * one watch response in one transaction. `onOtherKey` sees the keys that are not journal rows
 * (election candidates, the leadership marker); `revision()` is the last revision applied.
 */
export async function followJournal(
  client: Etcd3,
  prefix: string,
  fromRevision: number,
  store: RunStore,
  handlers: { onOtherKey: (kv: IKeyValue, deleted: boolean) => void; onError: (error: unknown) => void },
): Promise<{ revision(): number; stop(): Promise<void> }> {
  const decoder = new RowDecoder(prefix);
  let applied = fromRevision;
  const watcher: Watcher = await client.watch().prefix(prefix).startRevision(String(fromRevision + 1)).create();
  watcher.on('data', (response) => {
    try {
      const changes: RowChange[] = [];
      const others: Array<{ kv: IKeyValue; deleted: boolean }> = [];
      for (const event of response.events) {
        const key = event.kv.key.toString();
        const deleted = event.type === 'Delete';
        const change = deleted ? decoder.delete(key) : decoder.put(key, event.kv.value.toString());
        if (change !== undefined) changes.push(change);
        else if (decodeKey(prefix, key) === undefined) others.push({ kv: event.kv, deleted });
        applied = Math.max(applied, Number(event.kv.mod_revision));
      }
      if (changes.length > 0) store.applyCopied(changes);
      for (const other of others) handlers.onOtherKey(other.kv, other.deleted);
    } catch (error) {
      handlers.onError(error);
    }
  });
  watcher.on('error', (error) => handlers.onError(error));
  return { revision: () => applied, stop: () => watcher.cancel() };
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: string): string {
  const bytes = Buffer.from(prefix);
  for (let index = bytes.length - 1; index >= 0; index--) {
    if ((bytes[index] as number) < 0xff) {
      bytes[index] = (bytes[index] as number) + 1;
      return bytes.subarray(0, index + 1).toString();
    }
  }
  return '\0';
}
