// Reads a resource type registration (RTR) file as far as an upgrade needs it: the type's
// name, vendor and RT_version (the registered name is VENDOR.TYPE:VERSION), and the
// `#$upgrade` / `#$upgrade_from "VERSION" TUNABLE` directives that say when an existing
// resource may be migrated to this version (REFERENCE.md, "Solaris Cluster resource-type
// upgrades"). A malformed directive is refused naming the file and line: a silently ignored
// `#$upgrade_from` would let a resource be migrated under a weaker Tunable than its developer
// demanded.
import { isTunable, stricterTunable, TUNABLES, type Tunable } from './domain/solaris.js';
import { LockstepError } from './errors.js';
import { truncateForMessage } from './names.js';

export interface UpgradeFromLine {
  /** 1-based line number in the RTR file. */
  line: number;
  /** The installed Type_version this line covers; "" covers an unversioned type and every version not listed. */
  fromVersion: string;
  tunable: Tunable;
  /** The directive as written, for messages. */
  text: string;
}

export interface RtrFile {
  /** Where it was read from, for messages. */
  file: string;
  resourceType: string;
  vendorId: string;
  rtVersion: string;
  /** The file has a `#$upgrade` directive. */
  upgradeAware: boolean;
  upgradeFrom: UpgradeFromLine[];
}

const UPGRADE = /^#\$upgrade\s*$/;
// `#$upgrade_from "1.0" WHEN_DISABLED`, blanks between, nothing after.
const UPGRADE_FROM = /^#\$upgrade_from[ \t]+"([^"\n]*)"[ \t]+([A-Z_]+)[ \t]*$/;
// The top-level `Name = value;` properties read (values may be quoted).
const READ_PROPERTIES = new Set(['RESOURCE_TYPE', 'VENDOR_ID', 'RT_VERSION']);

const MAX_RTR_BYTES = 1024 * 1024;

function malformed(file: string, line: number, text: string, expected: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${file} line ${line}: "${truncateForMessage(text, 80)}" is not a valid directive; expected ${expected}`, {
    field: 'rtr',
  });
}

export function parseRtr(text: string, file: string): RtrFile {
  if (text.length > MAX_RTR_BYTES) {
    throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${file} is larger than ${MAX_RTR_BYTES} bytes; an RTR file is a few kilobytes`, { field: 'rtr' });
  }
  const result: RtrFile = { file, resourceType: '', vendorId: '', rtVersion: '', upgradeAware: false, upgradeFrom: [] };
  let depth = 0;
  text.split(/\r?\n/).forEach((raw, index) => {
    const lineNumber = index + 1;
    const line = raw.trim();
    if (line.startsWith('#$')) {
      if (UPGRADE.test(line)) {
        if (result.upgradeAware) throw malformed(file, lineNumber, line, 'one #$upgrade directive');
        result.upgradeAware = true;
        return;
      }
      if (line.startsWith('#$upgrade_from')) {
        const match = UPGRADE_FROM.exec(line);
        if (match === null) throw malformed(file, lineNumber, line, '#$upgrade_from "VERSION" TUNABLE');
        const [, fromVersion, tunable] = match as unknown as [string, string, string];
        if (!isTunable(tunable)) throw malformed(file, lineNumber, line, `a Tunable, one of ${TUNABLES.join(', ')}`);
        if (!result.upgradeAware) throw malformed(file, lineNumber, line, 'a #$upgrade directive before the first #$upgrade_from');
        if (result.upgradeFrom.some((entry) => entry.fromVersion === fromVersion)) {
          throw malformed(file, lineNumber, line, `one #$upgrade_from line per version ("${fromVersion}" is listed twice)`);
        }
        result.upgradeFrom.push({ line: lineNumber, fromVersion, tunable, text: line });
        return;
      }
      throw malformed(file, lineNumber, line, '#$upgrade or #$upgrade_from "VERSION" TUNABLE');
    }
    if (line.startsWith('#') || line === '') return;
    if (depth === 0) {
      const property = readProperty(line);
      if (property !== undefined) {
        if (property.name === 'RESOURCE_TYPE') result.resourceType = property.value;
        else if (property.name === 'VENDOR_ID') result.vendorId = property.value;
        else result.rtVersion = property.value;
      }
    }
    for (const char of line) {
      if (char === '{') depth += 1;
      else if (char === '}') depth = Math.max(0, depth - 1);
    }
  });
  if (result.resourceType === '') {
    throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${file} declares no Resource_type; expected a line like Resource_type = "app";`, { field: 'rtr' });
  }
  if (result.rtVersion === '') {
    throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `${file} declares no RT_version; expected a line like RT_version = "2.0"; (an upgrade needs the new version)`, { field: 'rtr' });
  }
  return result;
}

/**
 * `Name = value;` or `Name = "value";` for the properties read, else undefined. Split by hand,
 * not by one regular expression: blanks around an optional quote backtrack quadratically on a
 * long line (found by the fuzz test).
 */
function readProperty(line: string): { name: string; value: string } | undefined {
  const equals = line.indexOf('=');
  const semicolon = line.indexOf(';', equals + 1);
  if (equals < 0 || semicolon < 0) return undefined;
  const name = line.slice(0, equals).trim().toUpperCase();
  if (!READ_PROPERTIES.has(name)) return undefined;
  let value = line.slice(equals + 1, semicolon).trim();
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (value.includes('"')) return undefined;
  return { name, value: value.trim() };
}

/** The name the type is registered under: `VENDOR.TYPE:VERSION` (`TYPE:VERSION` without a vendor). */
export function registeredTypeName(rtr: RtrFile): string {
  return `${rtr.vendorId === '' ? '' : `${rtr.vendorId}.`}${rtr.resourceType}:${rtr.rtVersion}`;
}

export interface RtrTunable {
  tunable: Tunable;
  /** The directive that decided it, or null when the default applied. */
  from: UpgradeFromLine | null;
  /** Why, in words, for `plan`. */
  reason: string;
}

/** The Tunable the RTR demands for a resource whose Type_version is `installedVersion`. */
export function rtrTunableFor(rtr: RtrFile, installedVersion: string): RtrTunable {
  if (!rtr.upgradeAware) {
    return { tunable: 'WHEN_UNMANAGED', from: null, reason: `${rtr.file} has no #$upgrade directive: WHEN_UNMANAGED applies` };
  }
  const exact = rtr.upgradeFrom.find((entry) => entry.fromVersion === installedVersion);
  const chosen = exact ?? rtr.upgradeFrom.find((entry) => entry.fromVersion === '');
  if (chosen === undefined) {
    return {
      tunable: 'WHEN_UNMANAGED',
      from: null,
      reason: `${rtr.file} lists no #$upgrade_from line for version "${installedVersion}" and no "" line: WHEN_UNMANAGED applies`,
    };
  }
  return { tunable: chosen.tunable, from: chosen, reason: `${rtr.file} line ${chosen.line}: ${chosen.text}` };
}

export interface ChosenTunable {
  tunable: Tunable;
  /** e.g. `RTR line 14: #$upgrade_from "1.0" WHEN_DISABLED is stricter than the row's ANYTIME`. */
  why: string;
}

/**
 * The stricter of what the change's row of table 3-1 demands and what the RTR demands (the
 * seed: a type's developer may need a stricter Tunable than the example's). AT_CREATION is
 * refused: existing resources cannot be migrated, they must be deleted and re-created.
 */
export function chooseTunable(rowTunable: Tunable, rtr: RtrTunable, resource: string): ChosenTunable {
  const tunable = stricterTunable(rowTunable, rtr.tunable);
  if (tunable === 'AT_CREATION') {
    throw new LockstepError(
      'LOCKSTEP_E_PREFLIGHT',
      `${rtr.reason} says AT_CREATION for resource ${resource}: an existing resource cannot be migrated to the new type version; delete it and create it again with the new type (clresource delete, clresource create), outside lockstep`,
      { field: 'rtr' },
    );
  }
  const why =
    rtr.tunable === rowTunable
      ? `${rtr.reason} agrees with the row's ${rowTunable}`
      : tunable === rtr.tunable
        ? `${rtr.reason} is stricter than the row's ${rowTunable}`
        : `the row's ${rowTunable} is stricter than ${rtr.reason}`;
  return { tunable, why };
}
