// Plain aligned columns for the CLI's lists (`runs`, `nodes`): readable, and easy to cut with awk.
import { terminalLines } from '../../shared/terminal-text.js';

/** Cells come from nodes and runbooks: each stays on its line, its control characters shown. */
export function renderTable(headers: readonly string[], received: ReadonlyArray<readonly string[]>): string {
  const rows = terminalLines(received);
  const widths = headers.map((header, i) => Math.max(header.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: readonly string[]): string => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}
