import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../coordinator/plan/plan.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import type { RunEvent } from '../../coordinator/engine/run-types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function storeFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-run-store-'));
  dirs.push(dir);
  return join(dir, 'coordinator.sqlite');
}

function planFor(count: number): Plan {
  const nodes = Array.from({ length: count }, (_, index) => ({ name: `node${index + 1}`, address: `127.0.0.1:${20_000 + index}` }));
  const lanes = Object.fromEntries(
    nodes.map((node) => [node.name, [{ stepId: 'hook', kind: 'hook.run' as const, params: { hook: 'true', timeoutMs: 60_000 }, description: 'hook true' }]]),
  );
  return { cluster: 'test', procedure: 'custom', nodes, lead: 'node1', stages: [{ type: 'tasks', id: 'hook', lanes }], warnings: [] } as unknown as Plan;
}

function createRun(store: RunStore, nodes: number): string {
  store.createRun({ id: 'run-1', plan: planFor(nodes), planHash: 'hash', runbookPath: '/dev/null', runbookYaml: '', tls: { ca: '', cert: '', key: '' }, autoApprove: true, requestedBy: 'test' });
  return 'run-1';
}

/** Counts the journal's committed write transactions, from SQLite's own change counter. */
function dataVersionProbe(file: string): () => number {
  const reader = new Database(file, { readonly: true });
  const first = reader.pragma('data_version', { simple: true }) as number;
  return () => (reader.pragma('data_version', { simple: true }) as number) - first;
}

describe('RunStore group commit', () => {
  it('commits the dispatches of one event-loop turn in one transaction, and results likewise', async () => {
    const file = storeFile();
    const store = new RunStore(file);
    const runId = createRun(store, 50);
    const commits = dataVersionProbe(file);
    const tasks = store.tasks(runId, 0);

    const dispatched = await Promise.all(tasks.map((task) => store.dispatch(task, 1, `${runId}/hook/${task.node}/1`, { bootIdBefore: 'b' })));
    expect(commits()).toBe(1);
    expect(dispatched.map((row) => row.state)).toEqual(tasks.map(() => 'dispatched'));
    expect(store.tasks(runId, 0).every((row) => row.state === 'dispatched' && row.context['bootIdBefore'] === 'b')).toBe(true);

    const finished = await Promise.all(dispatched.map((row) => store.finishTask(row, { ok: true, message: 'done', outputTail: '' })));
    expect(commits()).toBe(2);
    // The rows handed back are what the journal holds.
    expect(finished).toEqual(store.tasks(runId, 0));
    store.close();
  });

  it('publishes events only after the commit, in the order the writes were queued', async () => {
    const store = new RunStore(storeFile());
    const runId = createRun(store, 3);
    const seen: RunEvent[] = [];
    store.onEvent((event) => seen.push(event));
    const tasks = store.tasks(runId, 0);
    const pending = tasks.map((task) => store.dispatch(task, 1, `op-${task.node}`, {}));
    expect(seen).toEqual([]);
    await Promise.all(pending);
    expect(seen.map((event) => `${event.type} ${event.node}`)).toEqual(['step.dispatched node1', 'step.dispatched node2', 'step.dispatched node3']);
    expect(seen.map((event) => event.seq)).toEqual([...seen.map((event) => event.seq)].sort((a, b) => a - b));
    store.close();
  });

  it('rolls back and rejects only the write that fails; the rest of its group commits', async () => {
    const store = new RunStore(storeFile());
    const runId = createRun(store, 3);
    const [first, second, third] = store.tasks(runId, 0);
    if (first === undefined || second === undefined || third === undefined) throw new Error('three tasks expected');
    const wrongOp = { ...first, opId: 'not-the-dispatched-op', state: 'dispatched' as const };
    const results = await Promise.allSettled([store.dispatch(second, 1, 'op-2', {}), store.finishTask(wrongOp, { ok: true, message: '', outputTail: '' }), store.dispatch(third, 1, 'op-3', {})]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/is not dispatched as not-the-dispatched-op/);
    expect(store.tasks(runId, 0).map((row) => `${row.node} ${row.state}`)).toEqual(['node1 pending', 'node2 dispatched', 'node3 dispatched']);
    expect(store.events(runId, 0, 1000).filter((event) => event.type === 'step.succeeded')).toEqual([]);
    store.close();
  });

  it('close() commits what is still queued, so a resolved write is never lost', async () => {
    const file = storeFile();
    const store = new RunStore(file);
    const runId = createRun(store, 2);
    const queued = store.tasks(runId, 0).map((task) => store.dispatch(task, 1, `op-${task.node}`, {}));
    store.close();
    await expect(Promise.all(queued)).resolves.toHaveLength(2);
    const reopened = new RunStore(file);
    expect(reopened.tasks(runId, 0).map((row) => row.state)).toEqual(['dispatched', 'dispatched']);
    reopened.close();
  });
});

describe('RunStore.unfinishedTasks', () => {
  it('lists the stage tasks a barrier still waits for, failed ones included', async () => {
    const store = new RunStore(storeFile());
    const runId = createRun(store, 3);
    const [first, second] = await Promise.all(store.tasks(runId, 0).slice(0, 2).map((task) => store.dispatch(task, 1, `op-${task.node}`, {})));
    if (first === undefined || second === undefined) throw new Error('two dispatched tasks expected');
    await store.finishTask(first, { ok: true, message: '', outputTail: '' });
    await store.finishTask(second, { ok: false, message: 'exit 1', outputTail: '' });
    expect(store.unfinishedTasks(runId, 0).map((row) => `${row.node} ${row.state}`)).toEqual(['node2 failed', 'node3 pending']);
    store.close();
  });
});

describe('RunStore plans', () => {
  it('parses a run plan once and hands out the same frozen object', () => {
    const store = new RunStore(storeFile());
    const runId = createRun(store, 2);
    const first = store.getRun(runId).plan;
    expect(store.getRun(runId).plan).toBe(first);
    expect(Object.isFrozen(first.nodes[0])).toBe(true);
    expect(first).toEqual(planFor(2));
    store.close();
  });
});

describe('RunStore migrations', () => {
  it('moves the plan and runbook of runs created before version 3 out of the runs row, keeping them', async () => {
    const file = storeFile();
    const { openDatabase } = await import('../../shared/sqlite.js');
    const { MIGRATIONS } = await import('../../coordinator/store/migrations.js');
    const old = openDatabase(file, MIGRATIONS.slice(0, 2));
    old
      .prepare(
        `INSERT INTO runs (id, cluster, procedure, state, plan_json, plan_hash, runbook_path, runbook_yaml, tls_json, auto_approve, requested_by, stage_index, blocker_json, pause_requested, created_at_ms, updated_at_ms)
         VALUES ('run-old', 'test', 'custom', 'succeeded', ?, 'hash', '/etc/lockstep/old.yaml', 'cluster: test', '{"ca":"","cert":"","key":""}', 0, 'alice', 1, NULL, 0, 1, 2)`,
      )
      .run(JSON.stringify(planFor(2)));
    old.close();

    const store = new RunStore(file);
    const run = store.getRun('run-old');
    expect(run.plan).toEqual(planFor(2));
    expect(run.runbookYaml).toBe('cluster: test');
    expect(run.requestedBy).toBe('alice');
    store.close();
  });
});
