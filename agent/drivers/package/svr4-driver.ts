// The SVR4 package driver (Solaris): `pkginfo -l`, `pkgadd -n -a ADMIN -d SOURCE PKG`,
// `pkgrm -n -a ADMIN PKG`. A package source is either a package directory (a directory named
// after the package, holding `pkginfo` and `pkgmap`: pkgadd reads it from its parent with
// `-d PARENT PKG`) or a datastream file (`-d FILE PKG`). The admin file is the agent's own,
// written by the agent with the answers pkgadd would otherwise ask for at a prompt, so no
// package can stop an unattended night waiting for a "y".
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { OperationResult } from '../../../shared/domain/operation.js';
import { notInstalled, packageLabel, type PackageInfo, type PackageRequest } from '../../../shared/domain/package.js';
import type { Svr4PackageInfo } from '../../../shared/domain/solaris.js';
import { describeError, LockstepError } from '../../../shared/errors.js';
import { describeExit, toCommandRecord } from '../../exec/command-record.js';
import type { ExecResult, Executor } from '../../exec/executor.js';
import { commandFailed } from '../command-outcome.js';
import type { PackageDriver } from '../driver.js';
import { isPkginfoNotFound, parsePkginfoLong } from './pkginfo-parser.js';

export interface Svr4DriverOptions {
  executor: Executor;
  /** The admin file pkgadd and pkgrm read (`-a`): written by `writeAdminFile`. */
  adminFile: string;
  timeoutMs?: number;
}

/**
 * admin(4): no mail; a new version overwrites the installed instance instead of asking for a
 * second one; the checks that would stop at a prompt answer "nocheck" (they are the plan's and
 * the procedure's to make: versions by preflight, the cluster's state by the procedure).
 */
export const ADMIN_FILE_CONTENT = [
  'mail=',
  'instance=overwrite',
  'partial=nocheck',
  'runlevel=nocheck',
  'idepend=nocheck',
  'rdepend=nocheck',
  'space=nocheck',
  'setuid=nocheck',
  'conflict=nocheck',
  'action=nocheck',
  'basedir=default',
  '',
].join('\n');

/** Writes the agent's admin file (0600) and returns its path. */
export async function writeAdminFile(stateDir: string): Promise<string> {
  const path = join(stateDir, 'pkgadd.admin');
  await writeFile(path, ADMIN_FILE_CONTENT, { mode: 0o600 });
  return path;
}

/** A package source: what `-d` gets and the package instance inside it. */
export interface Svr4Source {
  device: string;
  pkg: string;
}

/** `/srv/updates/LABapp` (a package directory) → `-d /srv/updates LABapp`; `x.pkg` (a datastream) → `-d x.pkg` and the package it names. */
export function sourceOf(path: string, kind: 'directory' | 'file'): Svr4Source | { device: string; pkg: undefined } {
  return kind === 'directory' ? { device: dirname(path), pkg: basename(path) } : { device: path, pkg: undefined };
}

export class Svr4Driver implements PackageDriver {
  readonly name = 'svr4';

  constructor(private readonly options: Svr4DriverOptions) {}

  async query(name: string): Promise<PackageInfo> {
    const result = await this.run(['pkginfo', '-l', name]);
    if (result.exitCode !== 0 && !result.timedOut && isPkginfoNotFound(result.stdout + result.stderr)) return notInstalled(name);
    if (result.exitCode !== 0) throw commandFailed(result);
    return toPackageInfo(single(name, parsePkginfoLong(result.stdout)), true);
  }

  /**
   * `path` is a package directory or a datastream file (the service's path guard has said
   * which). A datastream holding several packages is refused: which one to install would be
   * a guess.
   */
  async inspectFile(path: string, kind: 'directory' | 'file' = sourceKind(path)): Promise<PackageInfo> {
    const source = sourceOf(path, kind);
    const result = await this.run(['pkginfo', '-l', '-d', source.device, ...(source.pkg === undefined ? [] : [source.pkg])]);
    if (result.exitCode !== 0) throw commandFailed(result);
    return toPackageInfo(single(path, parsePkginfoLong(result.stdout)), false);
  }

  async apply(request: PackageRequest): Promise<OperationResult> {
    if (request.testOnly) {
      throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', 'pkgadd and pkgrm have no test mode (rpm --test); the svr4 driver cannot run a package transaction as a test', { field: 'test_only' });
    }
    if (request.action === 'remove') {
      const before = await this.query(request.name);
      const result = await this.run(['pkgrm', '-n', '-a', this.options.adminFile, request.name]);
      return this.outcome([result], request.name, before, notInstalled(request.name));
    }
    const file = await this.inspectFile(request.path);
    const kind = sourceKind(request.path);
    const source = kind === 'directory' ? { device: dirname(request.path), pkg: basename(request.path) } : { device: request.path, pkg: file.name };
    if (kind === 'directory' && file.name !== source.pkg) {
      throw new LockstepError('LOCKSTEP_E_INVALID_ARGUMENT', `the package directory ${request.path} holds package ${file.name}; pkgadd installs a directory by its name, so it must be named ${file.name}`, { field: 'path' });
    }
    const before = await this.query(file.name);
    const commands: ExecResult[] = [];
    // pkgadd overwrites the installed instance (admin instance=overwrite) whatever the version's
    // direction; a downgrade removes the newer package first so none of its files are left.
    if (request.action === 'downgrade' && before.installed) {
      const removed = await this.run(['pkgrm', '-n', '-a', this.options.adminFile, file.name]);
      commands.push(removed);
      if (removed.exitCode !== 0 || removed.timedOut) return this.outcome(commands, file.name, before, { ...file, installed: true });
    }
    commands.push(await this.run(['pkgadd', '-n', '-a', this.options.adminFile, '-d', source.device, source.pkg]));
    return this.outcome(commands, file.name, before, { ...file, installed: true });
  }

  private async outcome(results: ExecResult[], name: string, before: PackageInfo, expected: PackageInfo): Promise<OperationResult> {
    const commands = results.map(toCommandRecord);
    const last = results[results.length - 1] as ExecResult;
    let after: PackageInfo;
    try {
      after = await this.query(name);
    } catch (error) {
      return { ok: false, commands, message: `${describeExit(last)}; querying ${name} afterwards failed: ${describeError(error)}` };
    }
    const failed = results.find((result) => result.exitCode !== 0 || result.timedOut);
    const message =
      failed !== undefined
        ? describeExit(failed)
        : sameState(after, expected)
          ? ''
          : `${describeExit(last)}, but afterwards the package is ${packageLabel(after)}, not ${packageLabel(expected)}`;
    return { ok: message === '', commands, message, packageChange: { before, after } };
  }

  private run(argv: string[]): Promise<ExecResult> {
    return this.options.executor.run({ argv, timeoutMs: this.options.timeoutMs });
  }
}

/** A datastream file ends in .pkg (the path guard accepts no other file); anything else is a package directory. */
function sourceKind(path: string): 'directory' | 'file' {
  return path.endsWith('.pkg') ? 'file' : 'directory';
}

function single(what: string, packages: Svr4PackageInfo[]): Svr4PackageInfo {
  if (packages.length !== 1) {
    throw new LockstepError('LOCKSTEP_E_PARSE', `pkginfo -l printed ${packages.length} packages for ${what} (${packages.map((pkg) => pkg.pkginst).join(', ')}), expected one`);
  }
  return packages[0] as Svr4PackageInfo;
}

/** VERSION `2.0,REV=2008.10.22` → version 2.0, release REV=2008.10.22. A partial install counts as not installed. */
function toPackageInfo(pkg: Svr4PackageInfo, installed: boolean): PackageInfo {
  const comma = pkg.version.indexOf(',');
  return {
    installed: installed ? pkg.complete : false,
    name: pkg.pkginst,
    epoch: '',
    version: comma < 0 ? pkg.version : pkg.version.slice(0, comma),
    release: comma < 0 ? '' : pkg.version.slice(comma + 1),
    arch: pkg.arch,
    summary: pkg.name,
    installTime: 0,
  };
}

function sameState(a: PackageInfo, b: PackageInfo): boolean {
  if (!a.installed || !b.installed) return a.installed === b.installed;
  return a.name === b.name && a.version === b.version && a.release === b.release;
}
