// Retention (--retain, default 90d): the coordinator deletes finished runs unchanged for that
// long, with every row that belongs to them, and never an unfinished run's rows; the agent
// deletes finished journal rows that old, never a RUNNING one. At start and hourly.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveAgentConfig } from '../../agent/agent-config.js';
import { OpJournal } from '../../agent/op-journal.js';
import { resolveCoordinatorConfig } from '../../coordinator/coordinator-config.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import type { Plan } from '../../coordinator/plan/plan.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import { silentLogger } from '../../shared/logger.js';
import { scheduleRetention } from '../../shared/retention.js';
import { makeTempDir } from '../support/temp-dir.js';

const DAY = 86_400_000;
const temps: Array<ReturnType<typeof makeTempDir>> = [];
afterEach(() => {
  for (const temp of temps.splice(0)) temp.remove();
  vi.useRealTimers();
});

function journalFile(name: string): string {
  const temp = makeTempDir('lockstep-retention-');
  temps.push(temp);
  return join(temp.dir, name);
}

const PLAN = {
  cluster: 'test',
  procedure: 'custom',
  nodes: [{ name: 'node1', address: '127.0.0.1:20000' }],
  lead: 'node1',
  stages: [{ type: 'tasks', id: 'hook', lanes: { node1: [{ stepId: 'hook', kind: 'hook.run', params: { hook: 'true', timeoutMs: 60_000 }, description: 'hook true' }] } }],
  warnings: [],
} as unknown as Plan;

/** Rows per table that belong to `runId`. */
function rowsOf(file: string, runId: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const count = (table: string, column: string): number => (db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`).get(runId) as { n: number }).n;
    return { runs: count('runs', 'id'), tasks: count('tasks', 'run_id'), approvals: count('approvals', 'run_id'), events: count('events', 'run_id'), run_documents: count('run_documents', 'run_id') };
  } finally {
    db.close();
  }
}

/** old-done: finished 100 days ago; old-open: created 100 days ago and still blocked; new-done: finished yesterday. */
function journalWithRuns(file: string): void {
  let clock = 0;
  const store = new RunStore(file, () => clock);
  const create = (id: string): void => {
    store.createRun({ id, plan: PLAN, planHash: 'hash', runbookPath: '/dev/null', runbookYaml: '', tls: { ca: '', cert: '', key: '' }, autoApprove: false, requestedBy: 'test' });
  };
  create('old-done');
  store.approve('old-done', 'hook', 'alice', 'ok');
  store.setState('old-done', 'succeeded', { type: 'run.succeeded', stepId: '', node: '', message: '' });
  create('old-open');
  store.setState('old-open', 'blocked', { type: 'run.blocked', stepId: '', node: '', message: '' });
  clock = 99 * DAY;
  create('new-done');
  store.setState('new-done', 'failed', { type: 'run.failed', stepId: '', node: '', message: '' });
  store.close();
}

describe('coordinator retention', () => {
  it('deletes a finished run older than the cutoff with all its rows, and keeps unfinished and recent runs whole', () => {
    const file = journalFile('runs.sqlite');
    journalWithRuns(file);
    const before = { open: rowsOf(file, 'old-open'), recent: rowsOf(file, 'new-done') };
    expect(rowsOf(file, 'old-done')).toEqual({ runs: 1, tasks: 1, approvals: 1, events: 3, run_documents: 1 });

    const store = new RunStore(file);
    expect(store.deleteFinishedRunsBefore(10 * DAY)).toBe(1);
    expect(() => store.getRun('old-done')).toThrow(/no run "old-done"/);
    expect(store.listRuns(10).map((run) => run.id).sort()).toEqual(['new-done', 'old-open']);
    store.close();
    expect(rowsOf(file, 'old-done')).toEqual({ runs: 0, tasks: 0, approvals: 0, events: 0, run_documents: 0 });
    expect(rowsOf(file, 'old-open')).toEqual(before.open);
    expect(rowsOf(file, 'new-done')).toEqual(before.recent);
  });

  it('runs when the engine starts, with the cutoff --retain before now', async () => {
    const file = journalFile('runs.sqlite');
    journalWithRuns(file);
    // Remove the unfinished run: the engine would resume it and dial its node.
    const db = new Database(file);
    for (const table of ['events', 'tasks', 'approvals', 'run_documents']) db.prepare(`DELETE FROM ${table} WHERE run_id = 'old-open'`).run();
    db.prepare(`DELETE FROM runs WHERE id = 'old-open'`).run();
    db.close();
    const engine = await createEngine({ dbFile: file, credentialsDirs: [], logger: silentLogger(), now: () => 100 * DAY, retainMs: 90 * DAY });
    expect(engine.listRuns(10).map((run) => run.id)).toEqual(['new-done']);
    await engine.close();
  });

  it('--retain reads a duration, 90d by default, and refuses anything else naming the setting', () => {
    expect(resolveCoordinatorConfig(undefined, {}).retainMs).toBe(90 * DAY);
    expect(resolveCoordinatorConfig(undefined, { retain: '12h' }).retainMs).toBe(12 * 3_600_000);
    expect(() => resolveCoordinatorConfig(undefined, { retain: 'soon' })).toThrow(/--retain/);
    expect(() => resolveCoordinatorConfig(undefined, { retain: '0d' })).toThrow(/--retain/);
  });
});

describe('agent journal retention', () => {
  it('deletes finished operations that ended before the cutoff, never a RUNNING one', () => {
    let clock = 0;
    const journal = new OpJournal(journalFile('journal.sqlite'), 'boot-a', () => clock);
    const begin = (opId: string): void => void journal.begin({ opId, runId: 'run1', epoch: 1 }, 'hook.run', {});
    begin('old-ok');
    journal.finish('old-ok', { ok: true, commands: [], message: '' });
    begin('old-failed');
    journal.finish('old-failed', { ok: false, commands: [], message: 'no' });
    begin('old-running');
    clock = 99 * DAY;
    begin('new-ok');
    journal.finish('new-ok', { ok: true, commands: [], message: '' });

    expect(journal.deleteFinishedBefore(10 * DAY)).toBe(2);
    expect(journal.get('old-ok')).toBeUndefined();
    expect(journal.get('old-failed')).toBeUndefined();
    expect(journal.get('old-running')?.state).toBe('RUNNING');
    expect(journal.get('new-ok')?.state).toBe('SUCCEEDED');
    journal.close();
  });

  it('the agent’s --retain is a duration too, 90d by default', async () => {
    expect((await resolveAgentConfig(undefined, { insecure: true })).retainMs).toBe(90 * DAY);
    expect((await resolveAgentConfig(undefined, { insecure: true, retain: '7d' })).retainMs).toBe(7 * DAY);
    await expect(resolveAgentConfig(undefined, { insecure: true, retain: 'weekly' })).rejects.toThrow(/retain/);
  });
});

describe('the retention schedule', () => {
  it('prunes at once and then every hour until stopped, and survives a failing prune', () => {
    vi.useFakeTimers();
    const cutoffs: number[] = [];
    const errors: unknown[] = [];
    const logger = { info: () => undefined, error: (fields: unknown) => errors.push(fields) } as unknown as Parameters<typeof scheduleRetention>[2];
    let clock = 100 * DAY;
    const stop = scheduleRetention(
      90 * DAY,
      (cutoffMs) => {
        cutoffs.push(cutoffMs);
        if (cutoffs.length === 2) throw new Error('disk full');
        return 0;
      },
      logger,
      () => clock,
    );
    expect(cutoffs).toEqual([10 * DAY]);
    clock += 3_600_000;
    vi.advanceTimersByTime(3_600_000);
    clock += 3_600_000;
    vi.advanceTimersByTime(3_600_000);
    expect(cutoffs).toEqual([10 * DAY, 10 * DAY + 3_600_000, 10 * DAY + 7_200_000]);
    expect(errors).toHaveLength(1);
    stop();
    vi.advanceTimersByTime(10 * 3_600_000);
    expect(cutoffs).toHaveLength(3);
  });
});
