// The journal's interface (RunStore) against both backends (issue 15): SQLite on disk, and the
// etcd journal of an HA coordinator on a real etcd (Debian's). Each test writes through one
// store and reads back through a store opened afresh — the same file, or a new copy loaded from
// etcd as a newly elected leader loads it — so what a restart or a takeover finds is checked.
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimPrefix, DeposedError, FencedJournalWriter, followJournal, loadJournal } from '../../coordinator/ha/etcd-journal.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { MIGRATIONS } from '../../coordinator/store/migrations.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import type { RunEvent } from '../../shared/domain/run.js';
import { silentLogger } from '../../shared/logger.js';
import { openMemoryDatabase } from '../../shared/sqlite.js';
import { haveEtcd, startEtcdCluster, type EtcdCluster } from '../support/etcd-cluster.js';
import { makeTempDir } from '../support/temp-dir.js';
import { waitFor } from '../support/processes.js';

const withEtcd = haveEtcd();
let temp: ReturnType<typeof makeTempDir>;
let etcd: EtcdCluster | undefined;
let client: Etcd3 | undefined;
let prefixes = 0;

beforeAll(async () => {
  temp = makeTempDir('lockstep-store-backends-');
  if (!withEtcd) return;
  etcd = await startEtcdCluster({ dir: temp.dir, members: 1 });
  client = new Etcd3({ hosts: etcd.endpoints });
}, 60_000);

afterAll(async () => {
  client?.close();
  await etcd?.stop();
  temp.remove();
});

interface Backend {
  /** The store a test writes through. */
  store: RunStore;
  /** Waits until everything written is durable, then opens the journal afresh (a restart, a takeover). */
  reopen(): Promise<RunStore>;
}

/** A fence that always holds, on a key the test owns: the leader's side without an election. */
async function heldFence(etcdClient: Etcd3, prefix: string): Promise<{ key: string; createRevision: number; holds: () => boolean }> {
  const key = `${prefix}election/test`;
  const put = await etcdClient.put(key).value('{}').exec();
  return { key, createRevision: Number(put.header.revision), holds: () => true };
}

const backends: Record<string, () => Promise<Backend>> = {
  sqlite: async () => {
    prefixes += 1;
    const file = join(temp.dir, `journal-${prefixes}.sqlite`);
    const store = new RunStore(file);
    return {
      store,
      reopen: async () => {
        await store.settled();
        store.close();
        return new RunStore(file);
      },
    };
  },
  etcd: async () => {
    prefixes += 1;
    const etcdClient = client as Etcd3;
    const prefix = `/store-test-${prefixes}/`;
    const store = new RunStore(openMemoryDatabase(MIGRATIONS));
    store.replicateTo(new FencedJournalWriter(etcdClient, prefix, await heldFence(etcdClient, prefix), silentLogger(), () => undefined));
    return {
      store,
      reopen: async () => {
        await store.settled();
        const copy = new RunStore(openMemoryDatabase(MIGRATIONS));
        await loadJournal(etcdClient, prefix, copy, () => undefined);
        return copy;
      },
    };
  },
};

function planFor(count: number, padding = 0): Plan {
  const nodes = Array.from({ length: count }, (_, index) => ({ name: `node${String(index + 1).padStart(4, '0')}`, address: `127.0.0.1:${20_000 + index}` }));
  const lane = (stepId: string) => [{ stepId, kind: 'hook.run' as const, params: { hook: 'true', timeoutMs: 60_000 }, description: `hook true ${'x'.repeat(padding)}` }];
  return {
    cluster: 'test',
    procedure: 'custom',
    nodes,
    lead: nodes[0]?.name,
    stages: [
      { type: 'tasks', id: 'first', lanes: Object.fromEntries(nodes.map((node) => [node.name, lane('first')])) },
      { type: 'gate', id: 'gate', message: 'go on?' },
      { type: 'tasks', id: 'second', lanes: Object.fromEntries(nodes.map((node) => [node.name, lane('second')])) },
    ],
    warnings: [],
  } as unknown as Plan;
}

function newRun(store: RunStore, id: string, plan: Plan): void {
  store.createRun({ id, plan, planHash: `hash-${id}`, runbookPath: '/runbooks/x.yaml', runbookYaml: 'cluster: test', tls: { ca: 'ca', cert: 'cert', key: 'key' }, autoApprove: false, requestedBy: 'alice' });
}

/** Everything a reader of the journal can see, for comparing two stores. */
function snapshot(store: RunStore): unknown {
  const runs = store.listRuns(1000);
  return {
    runs,
    tasks: runs.map((run) => store.tasks(run.id)),
    events: runs.map((run) => store.events(run.id, 0, 100_000)),
    approvals: runs.map((run) => store.approvals(run.id)),
    actions: store.operatorActions({ runId: '', sinceMs: 0, limit: 1000 }),
    audit: store.auditEntries(1000),
  };
}

describe.each(Object.keys(backends).filter((name) => name === 'sqlite' || withEtcd))('RunStore on %s', (name) => {
  const open = backends[name] as () => Promise<Backend>;

  it('keeps a run through its life: dispatches, results, a barrier, a gate approved, operator actions, audit, a plan record', async () => {
    const { store, reopen } = await open();
    newRun(store, 'run-1', planFor(3));
    const first = store.tasks('run-1', 0);
    const dispatched = await Promise.all(first.map((task) => store.dispatch(task, 1, `run-1/first/${task.node}/1`, { bootIdBefore: 'b1' })));
    await Promise.all(dispatched.map((task, index) => store.finishTask(task, { ok: index !== 1, message: index === 1 ? 'exit 1' : 'done', outputTail: 'out' })));
    expect(store.unfinishedTasks('run-1', 0).map((task) => task.node)).toEqual([first[1]?.node]);
    expect(store.resetFailed('run-1', first[1]?.node)).toBe(1);
    const retried = await store.dispatch(store.unfinishedTasks('run-1', 0)[0]!, 2, `run-1/first/${first[1]?.node}/2`, {});
    await store.finishTask(retried, { ok: true, message: 'done', outputTail: '' });
    store.passStage('run-1', 0, { type: 'barrier.passed', stepId: 'first', node: '', message: 'every node' });
    store.setState('run-1', 'awaiting-approval', { type: 'gate.waiting', stepId: 'gate', node: '', message: 'go on?' });
    store.recordOperatorAction({ runId: 'run-1', action: 'approve', operator: 'bob', authenticated: true, transport: 'tls', address: '10.0.0.2', comment: 'ok', detail: 'gate gate' }, { stepId: 'gate', node: '' });
    store.approve('run-1', 'gate', 'bob', 'ok');
    store.setState('run-1', 'running', { type: 'gate.passed', stepId: 'gate', node: '', message: '' });
    store.setPauseRequested('run-1', true);
    store.recordAudit({ caller: 'bob', transport: 'tls', rpc: 'Approve', role: 'approver', allowed: true, detail: '' });
    store.savePlanRecord({ hash: 'hash-run-1', runbookPath: '/runbooks/x.yaml' } as never);
    const before = snapshot(store);
    const reopened = await reopen();
    expect(snapshot(reopened)).toEqual(before);
    expect(reopened.getRun('run-1')).toMatchObject({ stageIndex: 1, state: 'running', pauseRequested: true, requestedBy: 'alice', tls: { ca: 'ca', cert: 'cert', key: 'key' } });
    expect(reopened.planRecord('hash-run-1')).toEqual({ hash: 'hash-run-1', runbookPath: '/runbooks/x.yaml' });
    // The next event continues the sequence the first store left.
    const last = reopened.events('run-1', 0, 1000).at(-1)?.seq ?? 0;
    reopened.recordEvent('run-1', { type: 'note', stepId: '', node: '', message: 'after' });
    expect(reopened.events('run-1', last + 1, 10).map((event) => event.seq)).toEqual([last + 1]);
  }, 60_000);

  it('holds a thousand-node run (a plan larger than one etcd value) and a thousand dispatches of one turn', async () => {
    const { store, reopen } = await open();
    const plan = planFor(1000, 300);
    expect(JSON.stringify(plan).length).toBeGreaterThan(512 * 1024);
    newRun(store, 'run-big', plan);
    const tasks = store.tasks('run-big', 0);
    await Promise.all(tasks.map((task) => store.dispatch(task, 1, `op-${task.node}`, {})));
    const reopened = await reopen();
    expect(reopened.getRun('run-big').plan).toEqual(plan);
    expect(reopened.tasks('run-big', 0).every((task) => task.state === 'dispatched')).toBe(true);
    expect(reopened.tasks('run-big')).toHaveLength(2000);
  }, 120_000);

  it('forgets what retention deletes', async () => {
    const { store, reopen } = await open();
    newRun(store, 'run-old', planFor(2));
    newRun(store, 'run-live', planFor(2));
    store.setState('run-old', 'succeeded', { type: 'run.succeeded', stepId: '', node: '', message: '' });
    expect(store.deleteFinishedRunsBefore(Date.now() + 1_000)).toBe(1);
    const reopened = await reopen();
    expect(reopened.listRuns(10).map((run) => run.id)).toEqual(['run-live']);
    expect(reopened.tasks('run-old')).toEqual([]);
    expect(reopened.events('run-old', 0, 10)).toEqual([]);
  }, 60_000);
});

describe.skipIf(!withEtcd)('the etcd journal', () => {
  it('two coordinators claiming an empty prefix at the same moment both take it; a prefix with other keys is refused', async () => {
    const etcdClient = client as Etcd3;
    for (let attempt = 0; attempt < 10; attempt++) {
      await expect(Promise.all([claimPrefix(etcdClient, `/claim-${attempt}/`), claimPrefix(etcdClient, `/claim-${attempt}/`)])).resolves.toBeDefined();
    }
    await etcdClient.put('/claim-foreign/app').value('x');
    await expect(claimPrefix(etcdClient, '/claim-foreign/')).rejects.toThrow(/--etcd-prefix: \/claim-foreign\/ already holds 1 key\(s\) that are not a lockstep journal/);
  }, 60_000);

  it('refuses every write once the leadership key is not the leader’s any more, and says so once', async () => {
    const etcdClient = client as Etcd3;
    const prefix = '/fence-test/';
    const fence = await heldFence(etcdClient, prefix);
    const deposed: DeposedError[] = [];
    const store = new RunStore(openMemoryDatabase(MIGRATIONS));
    store.replicateTo(new FencedJournalWriter(etcdClient, prefix, fence, silentLogger(), (error) => deposed.push(error)));
    newRun(store, 'run-1', planFor(2));
    await store.settled();
    const held = await etcdClient.getAll().prefix(`${prefix}rows/`).count();
    // Another coordinator's campaign: the key goes (lease expired) and comes back with a new create revision.
    await etcdClient.delete().key(fence.key);
    await etcdClient.put(fence.key).value('{}');
    const [task] = store.tasks('run-1', 0);
    await expect(store.dispatch(task!, 1, 'op-1', {})).rejects.toThrow(DeposedError);
    store.recordEvent('run-1', { type: 'note', stepId: '', node: '', message: 'refused too' });
    await store.settled();
    expect(deposed).toHaveLength(1);
    expect(deposed[0]?.message).toMatch(/etcd refused a write conditioned on leadership key \/fence-test\/election\/test/);
    expect(await etcdClient.getAll().prefix(`${prefix}rows/`).count()).toBe(held);
  }, 60_000);

  it('a follower’s copy takes the leader’s changes as etcd streams them, and its watchers see the events in order', async () => {
    const etcdClient = client as Etcd3;
    const prefix = '/follow-test/';
    const leader = new RunStore(openMemoryDatabase(MIGRATIONS));
    leader.replicateTo(new FencedJournalWriter(etcdClient, prefix, await heldFence(etcdClient, prefix), silentLogger(), () => undefined));
    newRun(leader, 'run-1', planFor(2));
    await leader.settled();

    const follower = new RunStore(openMemoryDatabase(MIGRATIONS));
    const revision = await loadJournal(etcdClient, prefix, follower, () => undefined);
    const seen: RunEvent[] = [];
    follower.onEvent((event) => seen.push(event));
    const copy = await followJournal(etcdClient, prefix, revision, follower, { onOtherKey: () => undefined, onError: (error) => seen.push({ type: `error ${String(error)}` } as RunEvent) });
    try {
      for (const task of leader.tasks('run-1', 0)) await leader.finishTask(await leader.dispatch(task, 1, `op-${task.node}`, {}), { ok: true, message: 'done', outputTail: '' });
      leader.passStage('run-1', 0, { type: 'barrier.passed', stepId: 'first', node: '', message: '' });
      await leader.settled();
      const expected = leader.events('run-1', 0, 1000).filter((event) => event.type !== 'run.created');
      await waitFor('the follower to see every event', () => (seen.length >= expected.length ? true : undefined), 10_000, 20);
      expect(seen).toEqual(expected);
      expect(follower.getRun('run-1')).toEqual(leader.getRun('run-1'));
      expect(follower.tasks('run-1')).toEqual(leader.tasks('run-1'));
    } finally {
      await copy.stop();
    }
  }, 60_000);
});
