// A coordinator journal holding one run with a long history, written in one transaction
// (one event at a time through RunStore would be one fsync each): for watchers and retention.
import Database from 'better-sqlite3';
import type { Plan } from '../../coordinator/plan/plan.js';
import { RunStore } from '../../coordinator/store/run-store.js';

const PLAN = { cluster: 'test', procedure: 'custom', nodes: [], lead: '', stages: [], warnings: [] } as unknown as Plan;

export interface LongHistory {
  runId: string;
  /** `count` notes after run.created, then, for a finished run, run.succeeded. */
  count: number;
  messageBytes?: number;
  finished?: boolean;
  /** The journal's clock while the run is written (epoch ms). */
  now?: () => number;
}

/** Adds the run to the journal in `file` (created if absent); returns how many events it has. */
export function writeLongHistory(file: string, history: LongHistory): number {
  const store = new RunStore(file, history.now);
  store.createRun({ id: history.runId, plan: PLAN, planHash: 'hash', runbookPath: '/dev/null', runbookYaml: '', tls: { ca: '', cert: '', key: '' }, autoApprove: true, requestedBy: 'test' });
  const db = new Database(file);
  const insert = db.prepare(`INSERT INTO events (run_id, at_ms, type, step_id, node, message, run_state) VALUES (?, 0, 'step.note', '', '', ?, 'running')`);
  db.transaction(() => {
    for (let index = 0; index < history.count; index++) insert.run(history.runId, `${index}`.padEnd(history.messageBytes ?? 16, '.'));
  })();
  db.close();
  if (history.finished) store.setState(history.runId, 'succeeded', { type: 'run.succeeded', stepId: '', node: '', message: 'done' });
  store.close();
  return history.count + 1 + (history.finished ? 1 : 0);
}
