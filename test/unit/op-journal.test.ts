import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { OpJournal, REBOOT_KIND } from '../../agent/op-journal.js';
import { isLockstepError } from '../../shared/errors.js';
import { makeTempDir } from '../support/temp-dir.js';

describe('operation journal (SPEC §3.2)', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let file: string;
  const context = { opId: 'run1/upgrade/server1/1', runId: 'run1', epoch: 3 };

  beforeEach(() => {
    temp = makeTempDir();
    file = join(temp.dir, 'journal.sqlite');
  });
  afterEach(() => temp.remove());

  it('records RUNNING, then the result; a known op_id is answered from the journal', () => {
    const journal = new OpJournal(file, 'boot-a');
    const first = journal.begin(context, 'package.upgrade', { path: '/srv/a.rpm' });
    expect(first.started).toBe(true);
    expect(first.operation.state).toBe('RUNNING');
    journal.finish(context.opId, { ok: true, commands: [], message: '' });
    const again = journal.begin(context, 'package.upgrade', { path: '/srv/a.rpm' });
    expect(again.started).toBe(false);
    expect(again.operation.state).toBe('SUCCEEDED');
    journal.close();
  });

  it('refuses an op_id reused for a different request', () => {
    const journal = new OpJournal(file, 'boot-a');
    journal.begin(context, 'package.upgrade', { path: '/srv/a.rpm' });
    expect(() => journal.begin(context, 'package.upgrade', { path: '/srv/b.rpm' })).toThrow(/already used for a different/);
    journal.close();
  });

  it('refuses an epoch lower than the highest seen for the run, and names the field', () => {
    const journal = new OpJournal(file, 'boot-a');
    journal.begin({ ...context, opId: 'x1', epoch: 5 }, 'hook.run', {});
    let caught: unknown;
    try {
      journal.begin({ ...context, opId: 'x2', epoch: 4 }, 'hook.run', {});
    } catch (error) {
      caught = error;
    }
    expect(isLockstepError(caught, 'LOCKSTEP_E_STALE_EPOCH')).toBe(true);
    expect((caught as Error).message).toMatch(/^op\.epoch: 4 is older than epoch 5/);
    // Another run's epochs are its own.
    expect(journal.begin({ opId: 'y1', runId: 'run2', epoch: 1 }, 'hook.run', {}).started).toBe(true);
    expect(journal.get('x2')).toBeUndefined();
    journal.close();
  });

  it('keeps refusing a stale epoch when the same epoch came again in between, and after a restart', () => {
    const journal = new OpJournal(file, 'boot-a');
    journal.begin({ ...context, opId: 'e1', epoch: 5 }, 'hook.run', {});
    journal.begin({ ...context, opId: 'e2', epoch: 5 }, 'hook.run', {});
    journal.begin({ ...context, opId: 'e3', epoch: 6 }, 'hook.run', {});
    expect(() => journal.begin({ ...context, opId: 'e4', epoch: 5 }, 'hook.run', {})).toThrow(/older than epoch 6/);
    journal.close();
    const restarted = new OpJournal(file, 'boot-a');
    expect(() => restarted.begin({ ...context, opId: 'e5', epoch: 5 }, 'hook.run', {})).toThrow(/older than epoch 6/);
    expect(restarted.begin({ ...context, opId: 'e6', epoch: 6 }, 'hook.run', {}).started).toBe(true);
    restarted.close();
  });

  it('turns RUNNING into INTERRUPTED at start-up, and a reboot from an earlier boot into SUCCEEDED', () => {
    const before = new OpJournal(file, 'boot-a');
    before.begin({ ...context, opId: 'upgrade' }, 'package.upgrade', {});
    before.begin({ ...context, opId: 'reboot' }, REBOOT_KIND, {});
    before.close();

    const after = new OpJournal(file, 'boot-b');
    const report = after.recoverAfterStart();
    expect(report).toEqual({ interrupted: ['upgrade'], rebootsCompleted: ['reboot'] });
    expect(after.get('upgrade')?.state).toBe('INTERRUPTED');
    expect(after.get('upgrade')?.result.message).toMatch(/effect is unknown/);
    expect(after.get('reboot')?.state).toBe('SUCCEEDED');
    after.close();
  });

  it('a reboot op found RUNNING under the same boot id was not carried out: INTERRUPTED', () => {
    const before = new OpJournal(file, 'boot-a');
    before.begin({ ...context, opId: 'reboot' }, REBOOT_KIND, {});
    before.close();
    const after = new OpJournal(file, 'boot-a');
    after.recoverAfterStart();
    expect(after.get('reboot')?.state).toBe('INTERRUPTED');
    after.close();
  });

  it('uses WAL and synchronous=FULL', () => {
    const journal = new OpJournal(file, 'boot-a');
    // Reopen read-only through the same library to read the persisted journal mode.
    journal.close();
    const reopened = new OpJournal(file, 'boot-a');
    expect((reopened as unknown as { db: { pragma(q: string, o: object): unknown } }).db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect((reopened as unknown as { db: { pragma(q: string, o: object): unknown } }).db.pragma('synchronous', { simple: true })).toBe(2);
    reopened.close();
  });
});
