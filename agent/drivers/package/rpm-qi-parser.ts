// The human `rpm -qi` text, for display and for evidence operators paste from servers
// (SPEC §3.1: queries themselves use --queryformat). Two layouts exist:
//   rpm 4.18: one field a line, `Label<padding>: value`;
//   rpm 4.4 (RHEL 5, the seed manual's section 2.1): two columns, the left one
//   `Name        : %-27{NAME}  Relocations: …`, the right one Relocations, Vendor, Build Date,
//   Build Host, Source RPM, License.
// The manual's samples were also pasted with tabs, spell "relocateable", write "Install date"
// in lower case and put the description on the `Description` line; all of that parses.
import type { PackageInfo } from '../../../shared/domain/package.js';
import { LockstepError } from '../../../shared/errors.js';

/**
 * One package as `rpm -qi` shows it. `installed` is false for `package NAME is not installed`
 * and for a package file (`Install Date: (not installed)`); `arch` is empty in rpm 4.4's
 * layout, which has no Architecture line.
 */
export interface RpmQiRecord extends Omit<PackageInfo, 'installTime'> {
  /** As printed (a local time, often without a zone); empty when not installed. */
  installDate: string;
  buildDate: string;
  buildHost: string;
  group: string;
  size: string;
  license: string;
  signature: string;
  sourceRpm: string;
  /** As printed: "(not relocatable)", or the manual's "(not relocateable)". */
  relocations: string;
  vendor: string;
  packager: string;
  url: string;
  bugUrl: string;
  distTag: string;
  description: string;
  /** Labels this parser does not know, keyed as printed. */
  otherFields: Record<string, string>;
}

type TextField = Exclude<keyof RpmQiRecord, 'installed' | 'otherFields'>;

/** Labels in lower case with single spaces, as `normaliseLabel` makes them. */
const FIELD_BY_LABEL: Readonly<Record<string, TextField>> = {
  name: 'name',
  epoch: 'epoch',
  version: 'version',
  release: 'release',
  architecture: 'arch',
  'install date': 'installDate',
  'build date': 'buildDate',
  'build host': 'buildHost',
  group: 'group',
  size: 'size',
  license: 'license',
  signature: 'signature',
  'source rpm': 'sourceRpm',
  relocations: 'relocations',
  vendor: 'vendor',
  packager: 'packager',
  url: 'url',
  'bug url': 'bugUrl',
  disttag: 'distTag',
  summary: 'summary',
  description: 'description',
};

/** The left-column labels of rpm 4.4's two-column lines. */
const LEFT_OF_TWO_COLUMNS = new Set(['name', 'version', 'release', 'install date', 'group', 'size']);
/**
 * A right-column field, after the left value's padding (spaces, or the manual's tabs). The
 * padding is a lookbehind, not `[ \t]+`: a leading `+` retried at every blank of a long run
 * is quadratic (the parser fuzz found 300 ms for 14 KB), and so was the lazy label this file
 * used to match with one expression; labels are now cut at the first colon instead.
 */
const RIGHT_COLUMN = /(?<=[ \t])(Relocations|Vendor|Build Date|Build Host|Source RPM|License)[ \t]*:[ \t]*(.*)$/i;
const LABEL = /^[A-Za-z][A-Za-z ]*$/;
const RECORD_START = /^Name[ \t]*:/;
const NOT_INSTALLED = /^package (\S+) is not installed$/;
const NOT_INSTALLED_DATE = '(not installed)';

/** Parses the text of `rpm -qi NAME` (or `-qip FILE`) for exactly one package. */
export function parseRpmQi(text: string): RpmQiRecord {
  const records = parseRpmQiRecords(text);
  const [record] = records;
  if (record === undefined) throw parseError('no "Name :" line and no "package … is not installed" line');
  if (records.length > 1) throw parseError(`expected one package, found ${records.map((r) => r.name).join(', ')}`);
  return record;
}

/**
 * Parses `rpm -qi` text for any number of packages (`rpm -qi a b`). Lines before the first
 * record (a pasted prompt, warnings) and unlabelled lines are ignored; a record without a
 * Name, Version or Release throws LOCKSTEP_E_PARSE.
 */
export function parseRpmQiRecords(text: string): RpmQiRecord[] {
  const records: RpmQiRecord[] = [];
  let current: RecordBuilder | undefined;
  const flush = (): void => {
    if (current) records.push(current.finish());
    current = undefined;
  };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trimEnd();
    const missing = NOT_INSTALLED.exec(line.trim());
    if (missing) {
      flush();
      records.push(emptyRecord(missing[1] ?? ''));
    } else {
      if (RECORD_START.test(line)) {
        flush();
        current = new RecordBuilder();
      }
      current?.add(line);
    }
  }
  flush();
  return records;
}

/** The package as lockstep reasons about it; the install time needs the printing node's UTC offset. */
export function rpmQiToPackageInfo(record: RpmQiRecord, options: { utcOffsetMinutes?: number } = {}): PackageInfo {
  const installTime = record.installed ? parseRpmDate(record.installDate, options.utcOffsetMinutes) : undefined;
  return {
    installed: record.installed,
    name: record.name,
    epoch: record.epoch,
    version: record.version,
    release: record.release,
    arch: record.arch,
    summary: record.summary,
    installTime: installTime ?? 0,
  };
}

class RecordBuilder {
  private readonly record = emptyRecord('');
  /** Set once the `Description :` line is read: every later line belongs to it. */
  private description: string[] | undefined;

  add(line: string): void {
    if (this.description) {
      this.description.push(line);
      return;
    }
    const labelled = splitLabel(line);
    if (!labelled) return;
    const { label } = labelled;
    let value = labelled.value.trim();
    const key = normaliseLabel(label);
    if (key === 'description') {
      this.description = value === '' ? [] : [value];
      return;
    }
    const right = LEFT_OF_TWO_COLUMNS.has(key) ? RIGHT_COLUMN.exec(value) : null;
    if (right) {
      this.set(right[1] ?? '', (right[2] ?? '').trim());
      value = value.slice(0, right.index).trim();
    }
    this.set(label, value);
  }

  finish(): RpmQiRecord {
    const record = this.record;
    for (const field of ['name', 'version', 'release'] as const) {
      if (record[field] === '') throw parseError(`${record.name || 'a package'} has no ${field} line`);
    }
    record.description = trimBlankLines(this.description ?? []).join('\n');
    record.installed = record.installDate !== '' && record.installDate !== NOT_INSTALLED_DATE;
    if (!record.installed) record.installDate = '';
    return record;
  }

  private set(label: string, value: string): void {
    const field = FIELD_BY_LABEL[normaliseLabel(label)];
    if (field) this.record[field] = value;
    else this.record.otherFields[label] = value;
  }
}

/** `Label<spaces or tabs>: value`, the label letters and single spaces; undefined otherwise. */
function splitLabel(line: string): { label: string; value: string } | undefined {
  const colon = line.indexOf(':');
  if (colon < 0) return undefined;
  let end = colon;
  while (end > 0 && (line[end - 1] === ' ' || line[end - 1] === '\t')) end--;
  const label = line.slice(0, end);
  return LABEL.test(label) ? { label, value: line.slice(colon + 1) } : undefined;
}

function emptyRecord(name: string): RpmQiRecord {
  return {
    installed: false,
    name,
    epoch: '',
    version: '',
    release: '',
    arch: '',
    installDate: '',
    buildDate: '',
    buildHost: '',
    group: '',
    size: '',
    license: '',
    signature: '',
    sourceRpm: '',
    relocations: '',
    vendor: '',
    packager: '',
    url: '',
    bugUrl: '',
    distTag: '',
    summary: '',
    description: '',
    otherFields: {},
  };
}

function normaliseLabel(label: string): string {
  return label.toLowerCase().replace(/\s+/g, ' ');
}

function trimBlankLines(lines: string[]): string[] {
  let start = 0;
  let end = lines.length;
  while (start < end && lines[start] === '') start++;
  while (end > start && lines[end - 1] === '') end--;
  return lines.slice(start, end);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** Zones seen in rpm dates; another abbreviation makes the date unknown rather than wrong. */
const ZONE_OFFSET_MINUTES: Readonly<Record<string, number>> = { UTC: 0, GMT: 0, JST: 9 * 60 };
/** `%c` in the C locale: "Tue Oct 21 11:24:30 2008" (the manual's pastes collapse "Apr  3"). */
const C_LOCALE_DATE = /^[A-Z][a-z]{2}\s+([A-Z][a-z]{2})\s+(\d{1,2})\s+(\d{1,2}):(\d{2}):(\d{2})\s+(\d{4})(?:\s+([A-Z]{2,5}))?$/;
/** `%c` in en_US, the manual's IA64 and PPC64 samples: "Thu 03 Apr 2008 08:09:55 PM JST". */
const EN_US_DATE = /^[A-Z][a-z]{2}\s+(\d{1,2})\s+([A-Z][a-z]{2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\s+([AP]M))?(?:\s+([A-Z]{2,5}))?$/;

/**
 * Seconds since the Unix epoch for a date as `rpm -qi` prints it, or undefined when the text
 * is not such a date. A date without a zone is the node's local time: `utcOffsetMinutes`
 * (default 0, UTC) says what that was.
 */
export function parseRpmDate(text: string, utcOffsetMinutes = 0): number | undefined {
  const c = C_LOCALE_DATE.exec(text.trim());
  if (c) {
    const [, month = '', day = '', hour = '', minute = '', second = '', year = '', zone] = c;
    return toEpochSeconds({ year, month, day, hour, minute, second, zone, utcOffsetMinutes });
  }
  const us = EN_US_DATE.exec(text.trim());
  if (!us) return undefined;
  const [, day = '', month = '', year = '', hour12 = '', minute = '', second = '', meridiem, zone] = us;
  const hour = meridiem ? (Number(hour12) % 12) + (meridiem === 'PM' ? 12 : 0) : Number(hour12);
  return toEpochSeconds({ year, month, day, hour: String(hour), minute, second, zone, utcOffsetMinutes });
}

interface DateParts {
  year: string;
  month: string;
  day: string;
  hour: string;
  minute: string;
  second: string;
  zone: string | undefined;
  utcOffsetMinutes: number;
}

function toEpochSeconds(parts: DateParts): number | undefined {
  const month = MONTHS.indexOf(parts.month);
  const offset = parts.zone === undefined ? parts.utcOffsetMinutes : ZONE_OFFSET_MINUTES[parts.zone];
  if (month < 0 || offset === undefined) return undefined;
  const utcMs = Date.UTC(Number(parts.year), month, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return utcMs / 1000 - offset * 60;
}

function parseError(what: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_PARSE', `unexpected rpm -qi output: ${what}`);
}
