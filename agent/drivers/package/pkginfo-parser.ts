// Reads `pkginfo -l [PKG…]` (SVR4 packaging, Solaris): for each package a block of
// right-aligned `FIELD:  value` lines, blocks separated by a blank line, continuation lines
// (under FILES) indented without a field name:
//
//      PKGINST:  LABapp
//         NAME:  LAB application data service
//         ARCH:  sparc
//      VERSION:  2.0
//       STATUS:  completely installed
//
// Only PKGINST, NAME, ARCH, VERSION and STATUS are relied on; other fields are ignored.
import type { Svr4PackageInfo } from '../../../shared/domain/solaris.js';
import { LockstepError } from '../../../shared/errors.js';
import { truncateForMessage } from '../../../shared/names.js';

const FIELD = /^\s*([A-Z][A-Z_]*):(.*)$/s;

/** Every package block in the output; throws LOCKSTEP_E_PARSE when there is none or a block lacks PKGINST or VERSION. */
export function parsePkginfoLong(output: string): Svr4PackageInfo[] {
  const blocks: Array<Map<string, string>> = [];
  let current: Map<string, string> | undefined;
  for (const raw of output.split(/\r?\n/)) {
    const match = FIELD.exec(raw);
    if (match === null) continue;
    const field = match[1] as string;
    const value = (match[2] as string).trim();
    if (field === 'PKGINST') {
      current = new Map();
      blocks.push(current);
    }
    if (current !== undefined && !current.has(field)) current.set(field, value);
  }
  if (blocks.length === 0) {
    throw new LockstepError('LOCKSTEP_E_PARSE', `pkginfo -l printed no PKGINST; it printed: "${truncateForMessage(output.trim(), 200)}"`);
  }
  return blocks.map((block) => {
    const pkginst = block.get('PKGINST') as string;
    const version = block.get('VERSION');
    if (pkginst === '' || version === undefined || version === '') {
      throw new LockstepError('LOCKSTEP_E_PARSE', `pkginfo -l printed no VERSION for package "${truncateForMessage(pkginst, 40)}"`);
    }
    const statusText = block.get('STATUS') ?? '';
    return {
      pkginst,
      name: block.get('NAME') ?? '',
      version,
      arch: block.get('ARCH') ?? '',
      statusText,
      complete: statusText.toLowerCase() === 'completely installed',
    };
  });
}

/** pkginfo's answer for a package that is not installed (exit 1): `ERROR: information for "PKG" was not found`. */
export function isPkginfoNotFound(output: string): boolean {
  return /information for "[^"\n]*" was not found/.test(output);
}
