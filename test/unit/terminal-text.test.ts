// docs/security.md, "What a node can make the operator's terminal do": a hook's output with
// ESC [2J, OSC 0 (title) and OSC 52 (clipboard) and a fake success line, through every
// renderer of the CLI, arrives as visible text, never as terminal commands.
import { describe, expect, it } from 'vitest';
import { renderNodeList } from '../../coordinator/cli/nodes-command.js';
import { renderPlannedSteps } from '../../coordinator/cli/plan-listing.js';
import { renderRunGrid } from '../../coordinator/cli/run-grid.js';
import { renderRunList } from '../../coordinator/cli/runs-command.js';
import type { RunView } from '../../shared/domain/run.js';
import { terminalJson, terminalLine, terminalText } from '../../shared/terminal-text.js';
import { expectInert, HOSTILE, rawControls } from '../support/hostile-text.js';

/** The CLI's own colours (SGR), which a colour grid is allowed. */
const OWN_COLOURS = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

const run: RunView = {
  id: 'r-1',
  cluster: 'prod',
  procedure: 'custom',
  state: 'blocked',
  planHash: 'h',
  steps: [
    { id: 'check', kind: 'hook.run', node: 'server1', state: 'failed', attempt: 1, opId: 'o', message: HOSTILE, outputTail: HOSTILE, startedAtMs: 0, finishedAtMs: 0 },
    { id: 'hold', kind: 'barrier', node: '', state: 'waiting', attempt: 0, opId: '', message: HOSTILE, outputTail: '', startedAtMs: 0, finishedAtMs: 0 },
  ],
  blocker: { stepId: 'check', node: 'server1', message: `hook exited 1: ${HOSTILE}`, outputTail: `first line\n${HOSTILE}\nlast line`, remedies: ['retry'] },
  createdAtMs: 0,
  updatedAtMs: 0,
  pendingGates: [],
};

describe('terminal text', () => {
  it('shows every control character but newline and tab as \\xHH', () => {
    expect(terminalText('a\u001b[2Jb\tc\nd\re\u0007\u009b\u007f')).toBe('a\\x1b[2Jb\tc\nd\\x0de\\x07\\x9b\\x7f');
    expect(terminalLine('one\ntwo\tthree')).toBe('one\\x0atwo\tthree');
  });

  it('keeps JSON the same value, with DEL and C1 escaped as JSON escapes', () => {
    const value = { message: HOSTILE };
    const json = terminalJson(JSON.stringify(value));
    expect(rawControls(json)).toEqual([]);
    expect(JSON.parse(json)).toEqual(value);
  });

  it('the grid shows the blocker’s output line by line, escaped, each line marked as output', () => {
    const text = renderRunGrid(run);
    expectInert(text);
    expect(text).toContain('  | first line\n');
    expect(text).toContain('\\x0d\\x1b[1A\\x1b[2Krun r-1 SUCCEEDED\\x9b2J\\x7f');
    expect(text).toContain('  | last line\n');
  });

  it('a coloured grid for a terminal carries only its own colours', () => {
    const text = renderRunGrid(run, { color: true, width: 400 });
    expectInert(text.replace(OWN_COLOURS, ''));
  });

  it('the runs and nodes tables and the plan listing escape what runbooks and nodes said', () => {
    expectInert(renderRunList([{ ...run, cluster: HOSTILE, procedure: HOSTILE }]));
    expectInert(
      renderNodeList([{ name: 'server1', address: '10.0.0.1:7451', reachable: false, hostname: HOSTILE, platform: HOSTILE, bootId: '', agentVersion: HOSTILE, error: HOSTILE }]),
    );
    expectInert(renderPlannedSteps('h', [{ id: 'check', kind: 'hook.run', nodes: ['server1'], description: HOSTILE, stage: 's1' }], [HOSTILE]));
  });
});
