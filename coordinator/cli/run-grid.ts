// The node × step grid of SPEC §10, as `status`, `watch` and `apply --wait` show it: one row
// per step, one column per node, then what the run is waiting for. Pure: RunView in, text out.
import type { Blocker, RunView, StepState, StepView } from '../../shared/domain/run.js';
import { CELL_WORDS, COORDINATOR_WORDS, remedyCommand } from '../http/browser/step-words.js';
import { windowSummary } from './window-summary.js';
import { terminalLines, terminalText } from '../../shared/terminal-text.js';

export interface GridOptions {
  /** Cut every line to this many columns (a terminal's width), so a redraw knows its height. */
  width?: number;
  /** ANSI colours for a terminal. */
  color?: boolean;
  /** The instant "in 3d 14h" and "4m left" are counted from; default: now. */
  nowMs?: number;
}

const CELL_COLORS: Partial<Record<StepState, string>> = { dispatched: '33', succeeded: '32', failed: '1;31', waiting: '35' };

const STEP_HEADER = 'STEP';
const KIND_HEADER = 'KIND';
const GAP = '  ';

interface Row {
  id: string;
  kind: string;
  /** node → its step; "" for a coordinator step (barrier, gate, notice), which spans the columns. */
  cells: Map<string, StepView>;
}

export function renderRunGrid(received: RunView, options: GridOptions = {}): string {
  const run = terminalSafeRun(received);
  const lines = [headerLine(run), '', ...gridLines(run, options.color ?? false), ...footerLines(run, options.nowMs ?? Date.now())];
  const width = options.width;
  return `${(width === undefined ? lines : lines.map((line) => cut(line, width))).join('\n')}\n`;
}

/**
 * Ids, names and messages come from runbooks, nodes and commands: each stays on its line, its
 * control characters shown, not obeyed; the blocker's output keeps its lines (each is prefixed).
 */
function terminalSafeRun(run: RunView): RunView {
  const safe = terminalLines(run);
  return run.blocker === undefined ? safe : { ...safe, blocker: { ...terminalLines(run.blocker), outputTail: terminalText(run.blocker.outputTail) } };
}

function headerLine(run: RunView): string {
  const parts = [`run ${run.id}`, run.cluster, run.procedure, run.state.toUpperCase()].filter((part) => part !== '');
  return `${parts.join('  ')}  (updated ${new Date(run.updatedAtMs).toISOString()})`;
}

function gridLines(run: RunView, color: boolean): string[] {
  const rows = rowsOf(run.steps);
  const nodes = nodesOf(run.steps);
  const idWidth = Math.max(STEP_HEADER.length, ...rows.map((row) => row.id.length));
  const kindWidth = Math.max(KIND_HEADER.length, ...rows.map((row) => row.kind.length));
  const widths = nodes.map((node) => Math.max(node.length, ...rows.map((row) => cellText(row.cells.get(node)).length)));
  const lead = (id: string, kind: string): string => `${id.padEnd(idWidth)}${GAP}${kind.padEnd(kindWidth)}${GAP}`;
  const header = `${lead(STEP_HEADER, KIND_HEADER)}${nodes.map((node, i) => node.padEnd(widths[i] ?? 0)).join(GAP)}`.trimEnd();
  return [
    header,
    ...rows.map((row) => {
      const coordinatorStep = row.cells.get('');
      const cells = coordinatorStep
        ? paint(coordinatorText(coordinatorStep), coordinatorStep.state, color)
        : nodes.map((node, i) => paintCell(row.cells.get(node), widths[i] ?? 0, color)).join(GAP);
      return `${lead(row.id, row.kind)}${cells}`.trimEnd();
    }),
  ];
}

/** Steps in plan order (first appearance), each with its state on every node. */
function rowsOf(steps: StepView[]): Row[] {
  const rows = new Map<string, Row>();
  for (const step of steps) {
    const row = rows.get(step.id) ?? { id: step.id, kind: step.kind, cells: new Map<string, StepView>() };
    row.cells.set(step.node, step);
    rows.set(step.id, row);
  }
  return [...rows.values()];
}

function nodesOf(steps: StepView[]): string[] {
  return [...new Set(steps.map((step) => step.node).filter((node) => node !== ''))];
}

function cellText(step: StepView | undefined): string {
  if (step === undefined) return '';
  const word = CELL_WORDS[step.state];
  return step.attempt > 1 ? `${word}#${step.attempt}` : word;
}

function paintCell(step: StepView | undefined, width: number, color: boolean): string {
  const text = cellText(step).padEnd(width);
  return step === undefined ? text : paint(text, step.state, color);
}

/** A barrier, gate or notice spans the node columns: its state, and while it waits, why. */
function coordinatorText(step: StepView): string {
  const word = `── ${COORDINATOR_WORDS[step.state]} ──`;
  return step.state === 'waiting' && step.message !== '' ? `${word} ${step.message}` : word;
}

function paint(text: string, state: StepState, color: boolean): string {
  const code = CELL_COLORS[state];
  return color && code !== undefined ? `\u001b[${code}m${text}\u001b[0m` : text;
}

function footerLines(run: RunView, nowMs: number): string[] {
  const lines: string[] = [];
  if (run.blocker) lines.push('', ...blockerLines(run.id, run.blocker));
  if (run.pendingGates.length > 0) lines.push('', 'waiting for approval:', ...run.pendingGates.map((gate) => `  lockstep approve ${run.id} ${gate}`));
  const window = windowSummary(run, nowMs);
  if (window !== undefined) lines.push('', window);
  return lines;
}

function blockerLines(runId: string, blocker: Blocker): string[] {
  const where = [blocker.stepId && `step ${blocker.stepId}`, blocker.node && `on ${blocker.node}`].filter(Boolean).join(' ');
  const tail = blocker.outputTail.trimEnd();
  return [
    `BLOCKED${where ? ` at ${where}` : ''}: ${blocker.message}`,
    ...(tail === '' ? [] : tail.split('\n').slice(-8).map((line) => `  | ${line}`)),
    ...(blocker.remedies.length === 0 ? [] : ['what you can do:', ...blocker.remedies.map((remedy) => `  ${remedyCommand(runId, blocker, remedy)}`)]),
  ];
}

const ESCAPE = '\u001b[';

/** Cuts a line to `width` visible columns; colour codes do not count, and a cut line resets them. */
function cut(line: string, width: number): string {
  const parts = splitColors(line);
  if (parts.reduce((sum, part) => sum + (part.color ? 0 : part.text.length), 0) <= width) return line;
  let out = '';
  let room = width - 1;
  for (const part of parts) {
    const kept = part.color ? part.text : part.text.slice(0, Math.max(room, 0));
    room -= part.color ? 0 : kept.length;
    out += kept;
  }
  return `${out}…${line.includes(ESCAPE) ? `${ESCAPE}0m` : ''}`;
}

/** Text and SGR colour codes (ESC [ … m), in order. */
function splitColors(line: string): Array<{ color: boolean; text: string }> {
  const parts: Array<{ color: boolean; text: string }> = [];
  let at = 0;
  while (at < line.length) {
    const start = line.indexOf(ESCAPE, at);
    if (start === -1) break;
    const end = line.indexOf('m', start);
    if (end === -1) break;
    if (start > at) parts.push({ color: false, text: line.slice(at, start) });
    parts.push({ color: true, text: line.slice(start, end + 1) });
    at = end + 1;
  }
  if (at < line.length) parts.push({ color: false, text: line.slice(at) });
  return parts;
}
