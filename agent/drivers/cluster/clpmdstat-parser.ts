// Reads `clpmdstat --mirror MD` and `clpmdstat -l` (CLUSTERPRO X Replicator). The seed
// manual's samples are the reference (CPRO-XL050-06 3.1.3.2 and 3.1.3.5):
//
//   Mirror Status: Abnormal
//   md1                server2                server1
//   -----
//   Mirror Color       RED                    GREEN
//   Lastupdate Time   --                    2008/10/22 10:12:51
//
// Column spacing differs from line to line there, so rows are read by whitespace, never by
// column; a date and its time are two tokens but one value.
import type { MirrorOverall, MirrorServerStatus, MirrorStatus } from '../../../shared/domain/cluster.js';
import { LockstepError } from '../../../shared/errors.js';
import { truncateForMessage } from '../../../shared/names.js';

type RowField = Exclude<keyof MirrorServerStatus, 'server'>;

const ROWS: readonly { label: string; field: RowField }[] = [
  { label: 'Mirror Color', field: 'color' },
  { label: 'Lastupdate Time', field: 'lastUpdate' },
  { label: 'Break Time', field: 'breakTime' },
  { label: 'Disk Error', field: 'diskError' },
  { label: 'Difference Percent', field: 'differencePercent' },
];

// The value is taken whole (dotAll: `.` also takes a stray \r) and trimmed in code. A lazy
// value before `\s*$`, or one that could stop short of the end, is retried at every blank of
// a long run: quadratic, 300 ms for 10 KB (found by the parser fuzz).
const ROW_PATTERNS = ROWS.map(({ label, field }) => ({
  field,
  pattern: new RegExp(`^\\s*${label.split(' ').join('\\s+')}(?:\\s+(.*))?$`, 'is'),
}));

const MIRROR_STATUS = /^\s*Mirror\s+Status\s*:(.*)$/is;
const DATE = /^\d{4}[/-]\d{1,2}[/-]\d{1,2}$/;
const TIME = /^\d{1,2}:\d{2}(?::\d{2})?$/;
const LISTED_MIRROR = /^\s*<([^<>\s]+)>\s*$/;

const OVERALL: ReadonlyMap<string, MirrorOverall> = new Map([
  ['normal', 'normal'],
  ['abnormal', 'abnormal'],
  ['no construction', 'no-construction'],
]);

/**
 * One mirror disk resource. The header row is the line that starts with the mirror's name;
 * its other columns are the servers. Values are kept as printed (`--` means none; colours are
 * upper-cased); a row the tool did not print (the Normal samples show only `Mirror Color`)
 * leaves ''. Throws LOCKSTEP_E_PARSE when there is no `Mirror Status:` line.
 */
export function parseClpmdstatMirror(output: string, mirror: string): MirrorStatus {
  const lines = output.split(/\r?\n/);
  const statusAt = lines.findIndex((line) => MIRROR_STATUS.test(line));
  if (statusAt < 0) {
    throw new LockstepError(
      'LOCKSTEP_E_PARSE',
      `clpmdstat printed no "Mirror Status:" line for mirror ${mirror}; it printed: "${truncateForMessage(output.trim(), 200)}"`,
    );
  }
  const overallText = collapseSpaces((MIRROR_STATUS.exec(lines[statusAt] ?? '')?.[1] ?? '').trim());
  const headerAt = lines.findIndex((line, index) => index > statusAt && tokens(line)[0] === mirror);
  const servers = headerAt < 0 ? [] : tokens(lines[headerAt] ?? '').slice(1);
  const rows = readRows(lines.slice(headerAt + 1));
  return {
    name: mirror,
    overall: OVERALL.get(overallText.toLowerCase()) ?? 'other',
    overallText,
    servers: servers.map((server, column) => {
      const cell = (field: RowField): string => rows.get(field)?.[column] ?? '';
      return {
        server,
        color: cell('color').toUpperCase(),
        lastUpdate: cell('lastUpdate'),
        breakTime: cell('breakTime'),
        diskError: cell('diskError'),
        differencePercent: cell('differencePercent'),
      };
    }),
  };
}

/** The mirror disk resources `clpmdstat -l` lists as `<md1>` lines; other lines are ignored. */
export function parseClpmdstatList(output: string): string[] {
  const names = output.split(/\r?\n/).flatMap((line) => LISTED_MIRROR.exec(line)?.[1] ?? []);
  return [...new Set(names)];
}

/** The known rows, each as one value per server column. Unknown lines are skipped. */
function readRows(lines: readonly string[]): Map<RowField, string[]> {
  const rows = new Map<RowField, string[]>();
  for (const line of lines) {
    for (const { field, pattern } of ROW_PATTERNS) {
      const match = pattern.exec(line);
      if (match !== null) rows.set(field, joinDateTimes(tokens(match[1] ?? '')));
    }
  }
  return rows;
}

/** `2008/10/22` followed by `10:12:51` is one value: the manual's Lastupdate and Break Time. */
function joinDateTimes(words: readonly string[]): string[] {
  const values: string[] = [];
  for (const word of words) {
    const previous = values.at(-1);
    if (previous !== undefined && DATE.test(previous) && TIME.test(word)) values[values.length - 1] = `${previous} ${word}`;
    else values.push(word);
  }
  return values;
}

function tokens(line: string): string[] {
  return line.trim().split(/\s+/).filter((word) => word !== '');
}

function collapseSpaces(text: string): string {
  return text.replace(/\s+/g, ' ');
}
