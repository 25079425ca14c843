// Reads the status tables of Solaris Cluster 3.2+ (`clnode status`, `clresourcegroup status`,
// `clresource status`). Each prints a `=== Title ===` heading, maybe `--- Subtitle ---`, a
// header row, a row of dashes under each header, then one row per entry and node; the rows
// that continue an entry on another node leave the first column blank:
//
//   Group Name     Node Name        Suspended     Status
//   ----------     ---------        ---------     ------
//   app-rg1        phys-host-1      No            Online
//                  phys-host-2      No            Offline
//
// Columns are read by whitespace, never by position (a long name shifts the columns); only
// the last column (a status message) may hold blanks. Unknown state words are kept as printed.
import type { ScGroupStatus, ScNodeStatus, ScResourceStatus } from '../../../../shared/domain/solaris.js';
import { LockstepError } from '../../../../shared/errors.js';
import { truncateForMessage } from '../../../../shared/names.js';

const DASHES = /^-+$/;

interface Table {
  /** Rows of cells; a continuation row has "" as its first cell. */
  rows: string[][];
}

/**
 * Finds the table whose header row starts with `firstHeader` and has `columns` headers, and
 * splits its rows. Throws LOCKSTEP_E_PARSE when there is no such table.
 */
function readTable(output: string, tool: string, firstHeader: string, columns: number): Table {
  const lines = output.split(/\r?\n/);
  const headerWords = firstHeader.split(' ');
  let start = -1;
  for (let index = 0; index + 1 < lines.length; index += 1) {
    const words = (lines[index] as string).trim().split(/\s+/);
    if (!headerWords.every((word, at) => words[at] === word)) continue;
    const dashes = (lines[index + 1] as string).trim().split(/\s+/);
    if (dashes.length === columns && dashes.every((cell) => DASHES.test(cell))) {
      start = index + 2;
      break;
    }
  }
  if (start < 0) {
    throw new LockstepError(
      'LOCKSTEP_E_PARSE',
      `${tool} printed no "${firstHeader}" table, so the cluster's state is unknown; it printed: "${truncateForMessage(output.trim(), 200)}"`,
    );
  }
  const rows: string[][] = [];
  for (let index = start; index < lines.length; index += 1) {
    const line = (lines[index] as string).trimEnd();
    // Entries are separated by blank lines; the next heading ends the table.
    if (line === '') continue;
    if (/^\s*(===|---)/.test(line)) break;
    const continuation = /^\s/.test(line);
    const cells = splitCells(line.trim(), continuation ? columns - 1 : columns);
    rows.push(continuation ? ['', ...cells] : cells);
  }
  return { rows };
}

/** The first `count - 1` whitespace-separated words, then the rest of the line as one cell. */
function splitCells(line: string, count: number): string[] {
  const cells: string[] = [];
  let rest = line;
  while (cells.length < count - 1 && rest !== '') {
    const match = /^(\S+)\s*/.exec(rest) as RegExpExecArray;
    cells.push(match[1] as string);
    rest = rest.slice(match[0].length);
  }
  cells.push(rest);
  while (cells.length < count) cells.push('');
  return cells;
}

/** Groups rows under the entry named in their first cell. */
function byEntry(table: Table, tool: string): Array<{ name: string; rows: string[][] }> {
  const entries: Array<{ name: string; rows: string[][] }> = [];
  for (const row of table.rows) {
    const name = row[0] as string;
    if (name !== '') entries.push({ name, rows: [row] });
    else if (entries.length > 0) (entries[entries.length - 1] as { rows: string[][] }).rows.push(row);
    else throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed a continuation row before any entry: "${truncateForMessage(row.join(' '), 80)}"`);
  }
  return entries;
}

/** `clnode status`: each node and whether it is in the cluster (Online). */
export function parseClnodeStatus(output: string): ScNodeStatus[] {
  const table = readTable(output, 'clnode status', 'Node Name', 2);
  return table.rows
    .filter((row) => row[0] !== '')
    .map(([name, status]) => ({ name: name as string, statusText: status as string, online: (status as string).toLowerCase() === 'online' }));
}

/** `clresourcegroup status`: each group and its state on each node of its node list. */
export function parseClresourcegroupStatus(output: string): ScGroupStatus[] {
  const tool = 'clresourcegroup status';
  return byEntry(readTable(output, tool, 'Group Name', 4), tool).map(({ name, rows }) => ({
    name,
    nodes: rows.map(([, node, suspended, status]) => ({
      node: node as string,
      suspended: (suspended as string).toLowerCase() === 'yes',
      statusText: status as string,
    })),
  }));
}

/** `clresource status`: each resource and its state on each node. */
export function parseClresourceStatus(output: string): ScResourceStatus[] {
  const tool = 'clresource status';
  return byEntry(readTable(output, tool, 'Resource Name', 4), tool).map(({ name, rows }) => ({
    name,
    nodes: rows.map(([, node, state, message]) => ({ node: node as string, stateText: state as string, statusMessage: message as string })),
  }));
}
