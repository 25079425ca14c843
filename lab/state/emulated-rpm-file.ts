// A package file for a lab node whose rpm is emulated (no rpm binary on the machine, SPEC §9).
// It carries only what `rpm -qp --queryformat` reads from a real header: a magic line, then
// the header as JSON. The lab creator writes them; the simulated node's rpm reads them.
//
//   lockstep-emulated-rpm 1
//   {"name":"clusterpro","epoch":"","version":"2.1.3","release":"1","arch":"x86_64","summary":"CLUSTERPRO X 2.1 for Linux(x86_64)"}
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

export const EMULATED_RPM_MAGIC = 'lockstep-emulated-rpm 1';

export const emulatedRpmHeaderSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9._+~^-]*$/),
  /** Empty: no epoch. */
  epoch: z.string().regex(/^[0-9]*$/).default(''),
  version: z.string().regex(/^[A-Za-z0-9._+~^]+$/),
  release: z.string().regex(/^[A-Za-z0-9._+~^]+$/),
  arch: z.string().regex(/^[A-Za-z0-9_]+$/),
  summary: z.string().regex(/^[^\n]*$/),
});

export type EmulatedRpmHeader = z.input<typeof emulatedRpmHeaderSchema>;
export type EmulatedRpmHeaderData = z.output<typeof emulatedRpmHeaderSchema>;

/** Why a file is not a package: it does not exist, or it is not an emulated package file. */
export type EmulatedRpmReadError = 'missing' | 'not-a-package';

export function writeEmulatedRpm(path: string, header: EmulatedRpmHeader): void {
  const checked = emulatedRpmHeaderSchema.parse(header);
  mkdirSync(dirname(path), { recursive: true });
  // Written aside, then renamed: a node never reads half a package.
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${EMULATED_RPM_MAGIC}\n${JSON.stringify(checked)}\n`);
  renameSync(temporary, path);
}

export function readEmulatedRpm(path: string): EmulatedRpmHeaderData | EmulatedRpmReadError {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 'missing';
  }
  const newline = text.indexOf('\n');
  if (newline < 0 || text.slice(0, newline) !== EMULATED_RPM_MAGIC) return 'not-a-package';
  try {
    return emulatedRpmHeaderSchema.parse(JSON.parse(text.slice(newline + 1)));
  } catch {
    return 'not-a-package';
  }
}
