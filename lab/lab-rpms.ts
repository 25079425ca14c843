// The lab's package files (SPEC §9). Where rpm exists: real, tiny .rpm files — an empty
// payload carrying the product's name, version, release, architecture and Summary, which is
// what the bundle recognises a platform by (§5.1) — and a private rpm database per node.
// Where it does not: files with the same header for the node's emulated rpm.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LockstepError, describeError } from '../shared/errors.js';
import { writeEmulatedRpm } from './state/emulated-rpm-file.js';

const run = promisify(execFile);
// Each command takes tens of milliseconds; a minute means something is stuck.
const COMMAND_TIMEOUT_MS = 60_000;
// rpm's dates follow the locale (REFERENCE.md): keep them in C.
const RPM_ENV = { ...process.env, LC_ALL: 'C' };

export interface LabRpm {
  version: string;
  release: string;
  /** rpm's architecture: x86_64, i686, ia64, ppc64, i386. */
  arch: string;
  summary: string;
  /** The file name in the packages directory (the vendor's, e.g. clusterpro-2.1.3-1.vmware.i386.rpm). */
  fileName: string;
}

/** True when both rpm and rpmbuild run here: then the lab uses real packages and databases. */
export async function rpmToolsAvailable(): Promise<boolean> {
  for (const tool of ['rpm', 'rpmbuild']) {
    try {
      await run(tool, ['--version'], { timeout: COMMAND_TIMEOUT_MS, env: RPM_ENV });
    } catch {
      return false;
    }
  }
  return true;
}

/** Where rpm is missing the node emulates it, reading these files' headers (lab/state/emulated-rpm-file.ts). */
export function writeEmulatedRpms(packageDir: string, rpms: readonly LabRpm[]): string[] {
  return rpms.map((rpm) => {
    const path = join(packageDir, rpm.fileName);
    writeEmulatedRpm(path, { name: 'clusterpro', version: rpm.version, release: rpm.release, arch: rpm.arch, summary: rpm.summary });
    return path;
  });
}

/** Builds each package into `packageDir` under its `fileName`; returns the paths in the same order. */
export async function buildRealRpms(packageDir: string, rpms: readonly LabRpm[]): Promise<string[]> {
  await mkdir(packageDir, { recursive: true });
  const topdir = await mkdtemp(join(tmpdir(), 'lockstep-rpmbuild-'));
  try {
    const paths: string[] = [];
    // One at a time: each takes milliseconds and the machine may have two cores.
    for (const rpm of rpms) paths.push(await buildOne(topdir, packageDir, rpm));
    return paths;
  } finally {
    await rm(topdir, { recursive: true, force: true });
  }
}

/** An empty rpm database in `dbPath`, for `rpm --dbpath DIR`. */
export async function initRpmDb(dbPath: string): Promise<void> {
  await mkdir(dbPath, { recursive: true });
  await rpm(['--initdb', '--dbpath', dbPath]);
}

/** A fresh rpm database in `dbPath` with `packageFile` installed, as `rpm -i` leaves it. */
export async function installIntoNewDb(dbPath: string, packageFile: string): Promise<void> {
  await initRpmDb(dbPath);
  // ia64 and ppc64 cannot install on this machine's architecture without --ignorearch; only
  // the node's database changes, never the host (docs/security.md).
  await rpm(['-i', '--dbpath', dbPath, '--ignorearch', '--justdb', '--noscripts', '--notriggers', packageFile]);
}

async function buildOne(topdir: string, packageDir: string, spec: LabRpm): Promise<string> {
  const specFile = join(topdir, `${spec.fileName}.spec`);
  const rpmLabel = `clusterpro-${spec.version}-${spec.release}.${spec.arch}.rpm`;
  await writeFile(specFile, specText(spec));
  await runTool('rpmbuild', [
    '-bb',
    '--quiet',
    // Not a BuildArch line: rpmbuild refuses foreign architectures there; --target builds them.
    '--target',
    spec.arch,
    '--define',
    `_topdir ${topdir}`,
    '--define',
    `_rpmdir ${topdir}`,
    '--define',
    '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    specFile,
  ]);
  const path = join(packageDir, spec.fileName);
  await rename(join(topdir, rpmLabel), path);
  return path;
}

function specText(spec: LabRpm): string {
  return [
    'Name: clusterpro',
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    `Summary: ${spec.summary}`,
    'License: commercial',
    'Group: Applications/System',
    '',
    '%description',
    spec.summary,
    '',
    '%files',
    '',
  ].join('\n');
}

function rpm(args: string[]): Promise<void> {
  return runTool('rpm', args);
}

async function runTool(tool: string, args: string[]): Promise<void> {
  try {
    await run(tool, args, { timeout: COMMAND_TIMEOUT_MS, env: RPM_ENV, maxBuffer: 1024 * 1024 });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new LockstepError('LOCKSTEP_E_COMMAND', `${tool} ${args.join(' ')} failed: ${stderr || describeError(error)}`, { cause: error });
  }
}
