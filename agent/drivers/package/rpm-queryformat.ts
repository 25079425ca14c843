// rpm's machine-readable answer about a package. SPEC §3.1: QueryPackage and
// InspectPackageFile read `rpm -q(p) --queryformat`, never the human `rpm -qi` text.
import type { PackageInfo } from '../../../shared/domain/package.js';
import { LockstepError } from '../../../shared/errors.js';

/**
 * One line per package, fields separated by '|'. SUMMARY is last because it is free text
 * and may itself contain '|'. EPOCH and INSTALLTIME print a placeholder when unset, so every
 * line has the same fields: a package file (`-qp`) has no install time.
 */
export const RPM_QUERY_FORMAT =
  '%{NAME}|%|EPOCH?{%{EPOCH}}:{(none)}||%{VERSION}|%{RELEASE}|%{ARCH}|%|INSTALLTIME?{%{INSTALLTIME}}:{0}||%{SUMMARY}\\n';

/** NAME, EPOCH, VERSION, RELEASE, ARCH, INSTALLTIME; everything after them is SUMMARY. */
const FIELDS_BEFORE_SUMMARY = 6;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9._+~^-]*$/;
const VERSION_OR_RELEASE = /^[A-Za-z0-9._+~^]+$/;
const EPOCH = /^[0-9]+$/;
const ARCH = /^[A-Za-z0-9_]+$/;
const INSTALL_TIME = /^[0-9]+$/;
/** What rpm prints for an unset tag: no epoch, or no arch (gpg-pubkey). */
const UNSET = '(none)';

export interface QueryOutputOptions {
  /** True for `rpm -q` (the database), false for `rpm -qp` (a package file). */
  installed: boolean;
}

/** Parses the output of RPM_QUERY_FORMAT: one PackageInfo per line, or LOCKSTEP_E_PARSE. */
export function parseRpmQueryOutput(stdout: string, options: QueryOutputOptions): PackageInfo[] {
  if (stdout === '') throw parseError('rpm printed nothing');
  // A missing final newline means the output was cut off: the last line may be partial.
  if (!stdout.endsWith('\n')) throw parseError('the output does not end with a newline (cut off?)');
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((line, index) => parseLine(line, index + 1, options.installed));
}

function parseLine(line: string, lineNumber: number, installed: boolean): PackageInfo {
  const fields = line.split('|');
  const fail = (what: string): LockstepError => parseError(`line ${lineNumber}: ${what}: ${JSON.stringify(line)}`);
  if (fields.length <= FIELDS_BEFORE_SUMMARY) {
    throw fail(`expected ${FIELDS_BEFORE_SUMMARY + 1} '|'-separated fields, got ${fields.length}`);
  }
  const [name = '', epoch = '', version = '', release = '', arch = '', installTime = ''] = fields;
  if (!NAME.test(name)) throw fail('bad package name');
  if (epoch !== UNSET && !EPOCH.test(epoch)) throw fail('bad epoch');
  if (!VERSION_OR_RELEASE.test(version)) throw fail('bad version');
  if (!VERSION_OR_RELEASE.test(release)) throw fail('bad release');
  if (arch !== UNSET && !ARCH.test(arch)) throw fail('bad architecture');
  if (!INSTALL_TIME.test(installTime)) throw fail('bad install time');
  return {
    installed,
    name,
    epoch: epoch === UNSET ? '' : epoch,
    version,
    release,
    arch: arch === UNSET ? '' : arch,
    summary: fields.slice(FIELDS_BEFORE_SUMMARY).join('|'),
    installTime: Number(installTime),
  };
}

function parseError(what: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_PARSE', `unexpected rpm --queryformat output: ${what}`);
}
