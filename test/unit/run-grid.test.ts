// The node × step grid (SPEC §10) that `status`, `watch` and `apply --wait` show.
import { describe, expect, it } from 'vitest';
import { renderRunGrid } from '../../coordinator/cli/run-grid.js';
import type { RunView, StepState, StepView } from '../../shared/domain/run.js';

const step = (id: string, kind: string, node: string, state: StepState, extra: Partial<StepView> = {}): StepView => ({
  id,
  kind,
  node,
  state,
  attempt: state === 'pending' ? 0 : 1,
  opId: '',
  message: '',
  outputTail: '',
  startedAtMs: 0,
  finishedAtMs: 0,
  ...extra,
});

const base: RunView = {
  id: 'r-42',
  cluster: 'prod-db',
  procedure: 'custom',
  state: 'running',
  planHash: 'h',
  steps: [
    step('no-autostart', 'service.disable', 'server1', 'succeeded'),
    step('no-autostart', 'service.disable', 'server2', 'succeeded'),
    step('all-disabled', 'barrier', '', 'succeeded'),
    step('upgrade', 'package.upgrade', 'server2', 'dispatched'),
    step('upgrade', 'package.upgrade', 'server1', 'pending'),
  ],
  createdAtMs: Date.UTC(2024, 0, 6, 1, 0, 0),
  updatedAtMs: Date.UTC(2024, 0, 6, 1, 5, 0),
  pendingGates: [],
};

describe('the run grid', () => {
  it('has one row per step, one column per node, coordinator steps spanning the columns', () => {
    expect(renderRunGrid(base)).toBe(
      [
        'run r-42  prod-db  custom  RUNNING  (updated 2024-01-06T01:05:00.000Z)',
        '',
        'STEP          KIND             server1  server2',
        'no-autostart  service.disable  ok       ok',
        'all-disabled  barrier          ── passed ──',
        'upgrade       package.upgrade  ·        running',
        '',
      ].join('\n'),
    );
  });

  it('says what blocks the run, what the node printed and what the operator can type', () => {
    const blocked: RunView = {
      ...base,
      state: 'blocked',
      steps: [step('upgrade', 'package.upgrade', 'server2', 'failed', { attempt: 2 })],
      blocker: { stepId: 'upgrade', node: 'server2', message: 'rpm -U exited 1', outputTail: 'error: Failed dependencies:\n\tlibfoo is needed\n', remedies: ['retry', 'cancel', 'rollback'] },
    };
    const text = renderRunGrid(blocked);
    expect(text).toContain('upgrade  package.upgrade  FAILED#2');
    expect(text).toContain('BLOCKED at step upgrade on server2: rpm -U exited 1');
    expect(text).toContain('  | \tlibfoo is needed');
    expect(text).toContain('  lockstep retry r-42 --node server2\n  lockstep cancel r-42\n  lockstep rollback r-42\n');
  });

  it('lists the gates waiting for approval as the commands that approve them', () => {
    const waiting: RunView = {
      ...base,
      state: 'awaiting-approval',
      steps: [step('kernel', 'gate', '', 'waiting', { message: 'kernel updated on every server?' })],
      pendingGates: ['kernel'],
    };
    const text = renderRunGrid(waiting);
    expect(text).toContain('kernel  gate  ── waiting ── kernel updated on every server?');
    expect(text).toContain('waiting for approval:\n  lockstep approve r-42 kernel\n');
  });

  it('says when the next maintenance window opens, in its zone, and in how long', () => {
    const waiting: RunView = { ...base, state: 'waiting-window', nextWindowAtMs: Date.UTC(2026, 11, 4, 16), windowTimezone: 'Asia/Tokyo' };
    expect(renderRunGrid(waiting, { nowMs: Date.UTC(2026, 11, 1, 2) })).toContain('waiting for the window that opens Sat 2026-12-05 01:00 JST (in 3d 14h)');
  });

  it('says how long the current window has left', () => {
    const running: RunView = { ...base, state: 'running', windowClosesAtMs: Date.UTC(2026, 11, 4, 20), nextWindowAtMs: Date.UTC(2026, 11, 11, 16), windowTimezone: 'Asia/Tokyo' };
    expect(renderRunGrid(running, { nowMs: Date.UTC(2026, 11, 4, 19, 55, 55) })).toContain('in a window until Sat 2026-12-05 05:00 JST (4m 5s left)');
  });

  it('cuts lines to the terminal width, colour codes not counted', () => {
    const lines = renderRunGrid(base, { width: 30, color: true }).split('\n');
    const visible = (line: string): string => line.split('\u001b[').map((part, i) => (i === 0 ? part : part.slice(part.indexOf('m') + 1))).join('');
    for (const line of lines) expect(visible(line).length).toBeLessThanOrEqual(30);
    expect(lines[0]).toMatch(/…$/);
    expect(lines.find((line) => line.startsWith('no-autostart'))).toContain('\u001b[32m');
  });
});
