// Reads the property listings of Solaris Cluster 3.2+ (`clresource show`, `clresourcetype
// show`): a `=== Title ===` heading, then entries that start at column 0 with
// `Resource:   NAME` (or `Resource Type:   NAME`), each followed by indented `Property:  value`
// lines. Per-node properties are printed `Enabled{phys-host-1}:  True`. A value may be empty.
import type { ScResourceProperties, ScResourceType } from '../../../../shared/domain/solaris.js';
import { LockstepError } from '../../../../shared/errors.js';
import { truncateForMessage } from '../../../../shared/names.js';

interface Entry {
  name: string;
  /** Property name (with its `{node}` suffix, as printed) → value. */
  properties: Map<string, string>;
}

// A property name, an optional {node}, a colon, the value. Names and nodes hold no blanks or
// colons; `[^\S\n]*` and a possessive-like split keep this linear on long runs of blanks.
const PROPERTY = /^([A-Za-z_][A-Za-z0-9_ ]*?(?:\{[^{}\s]*\})?):(.*)$/s;

function readEntries(output: string, tool: string, entryKey: string): Entry[] {
  const entries: Entry[] = [];
  let sawHeading = false;
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.trim() === '') continue;
    if (/^\s*===.*===$/.test(line)) {
      sawHeading = true;
      continue;
    }
    const indented = /^\s/.test(line);
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const match = PROPERTY.exec(line.trim());
    if (match === null) continue;
    const key = (match[1] as string).trim();
    const value = (match[2] as string).trim();
    if (!indented && key === entryKey) {
      if (value === '') throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed "${entryKey}:" with no name`);
      entries.push({ name: value, properties: new Map() });
    } else if (indented && entries.length > 0) {
      (entries[entries.length - 1] as Entry).properties.set(key, value);
    }
  }
  if (!sawHeading && entries.length === 0) {
    throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed no "${entryKey}:" entries; it printed: "${truncateForMessage(output.trim(), 200)}"`);
  }
  return entries;
}

function bool(value: string, tool: string, what: string): boolean {
  const word = value.toLowerCase();
  if (word === 'true') return true;
  if (word === 'false') return false;
  throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed ${what}: "${truncateForMessage(value, 40)}", expected True or False`);
}

/** Reads `Enabled` / `Enabled{node}` style properties into node → boolean ("" for cluster-wide). */
function perNode(entry: Entry, property: string, tool: string): Record<string, boolean> {
  const result: Record<string, boolean> = {};
  for (const [key, value] of entry.properties) {
    if (key === property) result[''] = bool(value, tool, `${entry.name} ${key}`);
    else if (key.startsWith(`${property}{`) && key.endsWith('}')) result[key.slice(property.length + 1, -1)] = bool(value, tool, `${entry.name} ${key}`);
  }
  return result;
}

function required(entry: Entry, property: string, tool: string): string {
  const value = entry.properties.get(property);
  if (value === undefined) throw new LockstepError('LOCKSTEP_E_PARSE', `${tool} printed no ${property} for ${entry.name}`);
  return value;
}

/** `clresource show -v [R…]`: each resource's type, Type_version, group, Enabled and Monitored. */
export function parseClresourceShow(output: string): ScResourceProperties[] {
  const tool = 'clresource show';
  return readEntries(output, tool, 'Resource').map((entry) => ({
    name: entry.name,
    type: required(entry, 'Type', tool),
    typeVersion: required(entry, 'Type_version', tool),
    group: required(entry, 'Group', tool),
    dependsOn: (entry.properties.get('Resource_dependencies') ?? '').split(/[\s,]+/).filter((name) => name !== ''),
    enabled: perNode(entry, 'Enabled', tool),
    monitored: perNode(entry, 'Monitored', tool),
  }));
}

/** `clresourcetype show [T…]`: each registered type with its RT_version and RT_basedir. */
export function parseClresourcetypeShow(output: string): ScResourceType[] {
  const tool = 'clresourcetype show';
  return readEntries(output, tool, 'Resource Type').map((entry) => ({
    name: entry.name,
    rtVersion: entry.properties.get('RT_version') ?? '',
    basedir: entry.properties.get('RT_basedir') ?? '',
  }));
}
