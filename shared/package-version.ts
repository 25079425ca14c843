// The one place lockstep's version comes from: the `version` of its package.json, which is
// what npm, the rpm and the deb are built with (so `--version` cannot drift from the package).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LockstepError } from './errors.js';

const PACKAGE_NAME = 'lockstep';
/** shared/ (tests run the sources) or dist/shared/ (the built programs): package.json is one or two levels up. */
const MAX_LEVELS = 3;

function readPackageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level <= MAX_LEVELS; level++) {
    const manifest = readManifest(join(dir, 'package.json'));
    if (manifest?.name === PACKAGE_NAME && typeof manifest.version === 'string') return manifest.version;
    dir = dirname(dir);
  }
  throw new LockstepError('LOCKSTEP_E_INTERNAL', `lockstep's package.json was not found above ${fileURLToPath(import.meta.url)}: the installation is incomplete; reinstall the package`);
}

function readManifest(file: string): { name?: unknown; version?: unknown } | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return undefined;
  }
}

/** lockstep's version, from its package.json. */
export const LOCKSTEP_VERSION: string = readPackageVersion();
