// The etcd journal's pieces that need no etcd: which rows a transaction changed, how they become
// etcd operations within etcd's limits, and the --etcd settings' checks.
import { describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig } from '../../coordinator/coordinator-config.js';
import { ChangeCapture, RowApplier } from '../../coordinator/store/change-capture.js';
import { CHUNK_BYTES, journalOps, MAX_BYTES_PER_TXN, MAX_OPS_PER_TXN, rowKey, splitText, txnBatches } from '../../coordinator/ha/etcd-journal.js';
import { MIGRATIONS } from '../../coordinator/store/migrations.js';
import { RunStore, type Replication } from '../../coordinator/store/run-store.js';
import type { RowChange } from '../../coordinator/store/change-capture.js';
import { openMemoryDatabase } from '../../shared/sqlite.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import type { RunEvent } from '../../coordinator/engine/run-types.js';

function planFor(count: number, padding = 0): Plan {
  const nodes = Array.from({ length: count }, (_, index) => ({ name: `node${index + 1}`, address: `127.0.0.1:${20_000 + index}` }));
  const lanes = Object.fromEntries(
    nodes.map((node) => [node.name, [{ stepId: 'hook', kind: 'hook.run' as const, params: { hook: 'true', timeoutMs: 60_000 }, description: `hook true ${'é'.repeat(padding)}` }]]),
  );
  return { cluster: 'test', procedure: 'custom', nodes, lead: 'node1', stages: [{ type: 'tasks', id: 'hook', lanes }], warnings: [] } as unknown as Plan;
}

function newRun(store: RunStore, id: string, plan: Plan): void {
  store.createRun({ id, plan, planHash: 'hash', runbookPath: '/dev/null', runbookYaml: 'x: 1', tls: { ca: '', cert: '', key: '' }, autoApprove: true, requestedBy: 'test' });
}

/** A replication that keeps what it is handed, resolving when told. */
class HeldReplication implements Replication {
  readonly handed: RowChange[][] = [];
  private readonly waiting: Array<() => void> = [];
  leading = true;

  replicate(changes: RowChange[]): Promise<void> {
    this.handed.push(changes);
    return new Promise((resolve) => this.waiting.push(resolve));
  }
  stillLeading(): void {
    if (!this.leading) throw new Error('deposed');
  }
  release(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

describe('change capture', () => {
  it('hands over each committed transaction’s rows, a run’s row after its tasks and documents, and nothing of a write that rolled back', () => {
    const store = new RunStore(openMemoryDatabase(MIGRATIONS));
    const replication = new HeldReplication();
    store.replicateTo(replication);
    newRun(store, 'run-1', planFor(3));
    const created = replication.handed[0] ?? [];
    expect(created.map((change) => change.table)).toEqual(['run_documents', 'tasks', 'tasks', 'tasks', 'events', 'runs']);
    expect(created.at(-1)?.row).toMatchObject({ id: 'run-1', state: 'running' });
    // A write that throws inside its transaction leaves no change behind.
    expect(() => store.passStage('run-1', 5, undefined)).toThrow(/not at stage 5/);
    store.recordEvent('run-1', { type: 'note', stepId: '', node: '', message: 'after' });
    expect(replication.handed[1]?.map((change) => change.table)).toEqual(['events']);
  });

  it('publishes events and resolves dispatches only once the copy holds them, and not at all once leadership may have lapsed', async () => {
    const store = new RunStore(openMemoryDatabase(MIGRATIONS));
    const replication = new HeldReplication();
    store.replicateTo(replication);
    const seen: RunEvent[] = [];
    store.onEvent((event) => seen.push(event));
    newRun(store, 'run-1', planFor(2));
    expect(seen).toEqual([]);
    replication.release();
    await store.settled();
    expect(seen.map((event) => event.type)).toEqual(['run.created']);

    const [first, second] = store.tasks('run-1', 0);
    let resolved = false;
    const dispatched = store.dispatch(first!, 1, 'op-1', {}).then(() => (resolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(replication.handed.at(-1)?.map((change) => change.table)).toEqual(['tasks', 'events', 'runs']);
    expect(resolved).toBe(false);
    replication.release();
    await dispatched;
    expect(resolved).toBe(true);

    const refused = store.dispatch(second!, 1, 'op-2', {});
    await new Promise((resolve) => setImmediate(resolve));
    replication.leading = false;
    replication.release();
    await expect(refused).rejects.toThrow('deposed');
  });

  it('a follower’s copy takes rows with their rowids, publishes their events, and the next writer’s rowids follow on', () => {
    const leader = new RunStore(openMemoryDatabase(MIGRATIONS));
    const handed: RowChange[][] = [];
    leader.replicateTo({ replicate: (changes) => (handed.push(changes), Promise.resolve()), stillLeading: () => undefined });
    newRun(leader, 'run-1', planFor(2));
    leader.recordEvent('run-1', { type: 'note', stepId: '', node: '', message: 'one' });

    const follower = new RunStore(openMemoryDatabase(MIGRATIONS));
    const seen: RunEvent[] = [];
    follower.onEvent((event) => seen.push(event));
    for (const changes of handed) follower.applyCopied(changes);
    expect(seen.map((event) => [event.seq, event.type])).toEqual(leader.events('run-1', 0, 100).map((event) => [event.seq, event.type]));
    expect(follower.getRun('run-1')).toEqual(leader.getRun('run-1'));
    expect(follower.tasks('run-1')).toEqual(leader.tasks('run-1'));
    // Promoted, the follower's next event continues the leader's sequence.
    follower.replicateTo({ replicate: () => Promise.resolve(), stillLeading: () => undefined });
    follower.recordEvent('run-1', { type: 'note', stepId: '', node: '', message: 'two' });
    const events = follower.events('run-1', 0, 100);
    expect(events.at(-1)?.seq).toBe((leader.events('run-1', 0, 100).at(-1)?.seq ?? 0) + 1);
  });

  it('a new leader deletes what an unfinished run creation left: tasks and documents without their run', () => {
    const leader = new RunStore(openMemoryDatabase(MIGRATIONS));
    const handed: RowChange[][] = [];
    leader.replicateTo({ replicate: (changes) => (handed.push(changes), Promise.resolve()), stillLeading: () => undefined });
    newRun(leader, 'run-1', planFor(2));
    newRun(leader, 'run-2', planFor(3));
    // The copy got everything of run-1, and run-2 without its last write: the run's row.
    const copy = new RunStore(openMemoryDatabase(MIGRATIONS));
    for (const changes of handed) copy.applyCopied(changes.filter((change) => !(change.table === 'runs' && change.row?.id === 'run-2')));
    const cleaned: RowChange[][] = [];
    copy.replicateTo({ replicate: (changes) => (cleaned.push(changes), Promise.resolve()), stillLeading: () => undefined });
    expect(copy.deleteOrphans()).toBe(3 + 1 + 1);
    expect(copy.tasks('run-2')).toEqual([]);
    expect(copy.tasks('run-1')).toHaveLength(2);
    expect(cleaned.flat().every((change) => change.row === undefined)).toBe(true);
    expect(cleaned.flat()).toHaveLength(5);
  });

  it('a deleted row is copied as a deletion', () => {
    const db = openMemoryDatabase(MIGRATIONS);
    const capture = new ChangeCapture(db);
    db.prepare(`INSERT INTO plan_records (hash, record_json, at_ms) VALUES ('h', '{}', 1)`).run();
    const [inserted] = capture.drain();
    db.prepare(`DELETE FROM plan_records WHERE hash = 'h'`).run();
    expect(capture.drain()).toEqual([{ table: 'plan_records', rowid: inserted?.rowid, row: undefined }]);
    const copy = openMemoryDatabase(MIGRATIONS);
    const applier = new RowApplier(copy);
    applier.apply(inserted!);
    expect(copy.prepare('SELECT COUNT(*) AS n FROM plan_records').get()).toEqual({ n: 1 });
    applier.apply({ table: 'plan_records', rowid: inserted!.rowid, row: undefined });
    expect(copy.prepare('SELECT COUNT(*) AS n FROM plan_records').get()).toEqual({ n: 0 });
  });
});

describe('journal operations', () => {
  it('writes a row too large for one etcd value as chunks before the row that names them, within etcd’s limits', () => {
    const row = { run_id: 'run-1', plan_json: JSON.stringify(planFor(1000, 200)), runbook_yaml: '' };
    expect(Buffer.byteLength(JSON.stringify(row))).toBeGreaterThan(2 * CHUNK_BYTES);
    const ops = journalOps('/p/', [{ table: 'run_documents', rowid: 7, row }]);
    const header = ops.at(-1);
    expect(header).toMatchObject({ type: 'put', key: rowKey('/p/', 'run_documents', 7) });
    const named = JSON.parse(header?.type === 'put' ? header.value : '{}') as { $chunks: number; $digest: string };
    const chunks = ops.slice(0, -1);
    expect(chunks).toHaveLength(named.$chunks);
    for (const chunk of chunks) expect(chunk.type === 'put' && Buffer.byteLength(chunk.value)).toBeLessThanOrEqual(CHUNK_BYTES);
    expect(chunks.map((chunk) => (chunk.type === 'put' ? chunk.value : '')).join('')).toBe(JSON.stringify(row));
    for (const batch of txnBatches(ops)) {
      expect(batch.length).toBeLessThanOrEqual(MAX_OPS_PER_TXN);
      expect(batch.reduce((bytes, op) => bytes + op.key.length + (op.type === 'put' ? Buffer.byteLength(op.value) : 0), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_TXN);
    }
    expect(txnBatches(ops).flat()).toEqual(ops);
  });

  it('cuts many small rows into transactions of at most the op limit, in order', () => {
    const changes: RowChange[] = Array.from({ length: 250 }, (_, index) => ({ table: 'events', rowid: index + 1, row: { seq: index + 1 } }));
    const batches = txnBatches(journalOps('/p/', changes));
    expect(batches.map((batch) => batch.length)).toEqual([MAX_OPS_PER_TXN, MAX_OPS_PER_TXN, 250 - 2 * MAX_OPS_PER_TXN]);
    expect(batches.flat().map((op) => op.key)).toEqual(changes.map((change) => rowKey('/p/', 'events', change.rowid)));
  });

  it('never cuts a surrogate pair', () => {
    const text = 'a😀'.repeat(1000);
    for (const units of [2, 3, 7, 64]) {
      const pieces = splitText(text, units);
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) expect(Buffer.from(piece).toString()).toBe(piece);
    }
  });
});

describe('--etcd settings', () => {
  const base = { listen: '127.0.0.1:7450', insecure: true } as const;
  const refused: Array<[Record<string, unknown>, RegExp]> = [
    [{ etcd: 'h1:2379' }, /--etcd: "h1:2379" is not an etcd client URL/],
    [{ etcd: 'http://h1:2379,https://h2:2379', 'etcd-tls-ca': '/ca.pem' }, /--etcd: mixes http/],
    [{ etcd: 'https://h1:2379' }, /--etcd-tls-ca: the --etcd endpoints are https/],
    [{ etcd: 'http://h1:2379', 'etcd-tls-ca': '/ca.pem' }, /--etcd-tls-ca: TLS files given but the --etcd endpoints are http/],
    [{ etcd: 'https://h1:2379', 'etcd-tls-ca': '/ca.pem', 'etcd-tls-cert': '/c.pem' }, /--etcd-tls-cert: give both/],
    [{ etcd: 'http://h1:2379', 'etcd-prefix': 'lockstep' }, /--etcd-prefix: "lockstep" must start and end with "\/"/],
    [{ etcd: 'http://h1:2379', 'etcd-lease-ttl': '1s' }, /--etcd-lease-ttl: "1s" must be whole seconds, at least 2s/],
    [{ etcd: 'http://h1:2379', 'etcd-lease-ttl': '2500ms' }, /--etcd-lease-ttl/],
    [{ 'etcd-prefix': '/x/' }, /--etcd-prefix: applies with --etcd only/],
    [{ etcd: 'http://h1:2379', listen: undefined, insecure: undefined }, /--advertise: with --etcd, followers must name the leader/],
    [{ etcd: 'http://h1:2379', listen: '0.0.0.0:7450', insecure: undefined, 'tls-ca': '/a', 'tls-cert': '/b', 'tls-key': '/c' }, /--advertise: 0.0.0.0:7450 is a wildcard/],
  ];
  it.each(refused)('refuses %j naming the flag', (flags, message) => {
    expect(() => resolveCoordinatorConfig(undefined, { ...base, ...flags } as never)).toThrow(message);
  });

  it('takes a list of endpoints with the defaults: prefix /lockstep/, TTL 5 s, advertised as --listen', () => {
    expect(resolveCoordinatorConfig(undefined, { ...base, etcd: 'http://h1:2379, http://h2:2379,http://h3:2379' }).etcd).toEqual({
      endpoints: ['http://h1:2379', 'http://h2:2379', 'http://h3:2379'],
      prefix: '/lockstep/',
      leaseTtlSeconds: 5,
      advertise: '127.0.0.1:7450',
    });
    expect(resolveCoordinatorConfig(undefined, { ...base, etcd: 'https://h1:2379', 'etcd-tls-ca': '/ca.pem', 'etcd-prefix': '/lockstep/site-a/', 'etcd-lease-ttl': '10s', advertise: 'coord1:7450' }).etcd).toEqual({
      endpoints: ['https://h1:2379'],
      prefix: '/lockstep/site-a/',
      tls: { ca: '/ca.pem' },
      leaseTtlSeconds: 10,
      advertise: 'coord1:7450',
    });
  });
});
