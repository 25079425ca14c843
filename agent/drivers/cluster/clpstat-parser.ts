// Reads `clpstat` (CLUSTERPRO X / EXPRESSCLUSTER X). The layout (REFERENCE.md) is a few
// `<section>` headings, each holding entries `name .......: State` whose details (heartbeats,
// `current : server1`, resources) are indented deeper. Only the layout is relied on: spacing,
// tabs, dot leaders, extra lines, unknown sections and unknown state words are all tolerated,
// because the full list of state words is unverified.
import type {
  ClusterGroup,
  ClusterMonitor,
  ClusterServer,
  ClusterStatus,
  GroupState,
  ServerState,
} from '../../../shared/domain/cluster.js';
import { LockstepError } from '../../../shared/errors.js';
import { truncateForMessage } from '../../../shared/names.js';

/** One `name : value` line. `column` is where the name starts, so details sort under their entry. */
interface Field {
  column: number;
  /** Marked with `*`: the server clpstat ran on. */
  local: boolean;
  name: string;
  value: string;
}

interface Entry extends Field {
  details: Field[];
}

const SECTION = /^\s*<\s*([A-Za-z]+)\s*>\s*$/;
const TAB_STOP = 8;

const SERVER_STATES: ReadonlyMap<string, ServerState> = new Map([
  ['online', 'online'],
  ['offline', 'offline'],
  ['suspend', 'suspended'],
  ['suspended', 'suspended'],
  ['caution', 'caution'],
  ['error', 'error'],
]);

const GROUP_STATES: ReadonlyMap<string, GroupState> = new Map([
  ['online', 'online'],
  ['offline', 'offline'],
  ['online pending', 'online-pending'],
  ['offline pending', 'offline-pending'],
  ['error', 'error'],
]);

/** Throws LOCKSTEP_E_PARSE only when there is no `<server>` section at all. */
export function parseClpstat(output: string): ClusterStatus {
  const { preamble, sections } = readSections(output);
  const serverFields = sections.get('server');
  if (serverFields === undefined) {
    throw new LockstepError(
      'LOCKSTEP_E_PARSE',
      `clpstat printed no <server> section, so the cluster's state is unknown; it printed: "${truncateForMessage(output.trim(), 200)}"`,
    );
  }
  const servers = toEntries(serverFields).map(toServer);
  return {
    clusterName: preamble.find((field) => field.name.toLowerCase() === 'cluster')?.value.trim() ?? '',
    servers,
    groups: toEntries(sections.get('group') ?? []).map(toGroup),
    monitors: toEntries(sections.get('monitor') ?? []).map(toMonitor),
    // REFERENCE.md: a stopped cluster prints every server Offline.
    stopped: servers.length > 0 && servers.every((server) => server.state === 'offline'),
  };
}

/** The field lines before the first heading, and those under each heading (lower-cased). */
function readSections(output: string): { preamble: Field[]; sections: Map<string, Field[]> } {
  const preamble: Field[] = [];
  const sections = new Map<string, Field[]>();
  let current = preamble;
  for (const raw of output.split(/\r?\n/)) {
    const line = expandTabs(raw);
    const heading = SECTION.exec(line)?.[1]?.toLowerCase();
    if (heading !== undefined) {
      current = sections.get(heading) ?? [];
      sections.set(heading, current);
      continue;
    }
    const field = parseField(line);
    if (field !== undefined) current.push(field);
  }
  return { preamble, sections };
}

/**
 * indent, optional `*`, name, optional dot leader (` .....`), `:`, value. Read with string
 * operations, not one regular expression: the expression this replaces backtracked
 * quadratically on a long run of spaces (15 s for one 80 KB line, found by the parser fuzz),
 * and clpstat output up to the executor's 1 MiB cap would have stalled the agent.
 */
function parseField(line: string): Field | undefined {
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  const head = line.slice(0, colon);
  const unindented = head.trimStart();
  const local = unindented.startsWith('*');
  const named = local ? unindented.slice(1).trimStart() : unindented;
  if (named === '' || named.startsWith('*')) return undefined;
  return { column: head.length - named.length, local, name: withoutDotLeader(named.trimEnd()), value: line.slice(colon + 1).trim() };
}

/** `server1 .........` → `server1`; dots are a leader only after a space (`a.b...` is a name). */
function withoutDotLeader(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '.') end--;
  if (end === text.length || end === 0 || text[end - 1]?.trim() !== '') return text;
  return text.slice(0, end).trimEnd();
}

/** Entries are the least indented fields of a section; deeper fields are details of the entry above. */
function toEntries(fields: readonly Field[]): Entry[] {
  // A loop, not Math.min(...columns): spreading a huge output's fields overflows the stack.
  const entryColumn = fields.reduce((least, field) => Math.min(least, field.column), Infinity);
  const entries: Entry[] = [];
  for (const field of fields) {
    if (field.column === entryColumn) entries.push({ ...field, details: [] });
    else entries.at(-1)?.details.push(field);
  }
  return entries;
}

function toServer(entry: Entry): ClusterServer {
  const stateText = stateWord(entry.value);
  return { name: entry.name, state: SERVER_STATES.get(stateKey(stateText)) ?? 'other', stateText, local: entry.local };
}

function toGroup(entry: Entry): ClusterGroup {
  const stateText = stateWord(entry.value);
  const current = stateWord(entry.details.find((detail) => detail.name.toLowerCase() === 'current')?.value ?? '');
  return {
    name: entry.name,
    state: GROUP_STATES.get(stateKey(stateText)) ?? 'other',
    stateText,
    currentServer: current === '' || current.toLowerCase() === 'none' ? null : current,
    resources: entry.details.filter((detail) => detail.name.toLowerCase() !== 'current').map((detail) => detail.name),
  };
}

function toMonitor(entry: Entry): ClusterMonitor {
  return { name: entry.name, stateText: stateWord(entry.value) };
}

/** The state is the first column: heartbeat lines add a description after a wide gap. */
function stateWord(value: string): string {
  return value.trim().split(/\s{2,}/)[0] ?? '';
}

/** `Online Pending`, `online-pending` and `ONLINE  PENDING` are one state. */
function stateKey(stateText: string): string {
  return stateText.toLowerCase().replace(/[\s_-]+/g, ' ').trim();
}

/** Columns decide what is a detail, so tabs count to the next tab stop, as a terminal shows them. */
function expandTabs(line: string): string {
  let expanded = '';
  for (const char of line) expanded += char === '\t' ? ' '.repeat(TAB_STOP - (expanded.length % TAB_STOP)) : char;
  return expanded;
}
