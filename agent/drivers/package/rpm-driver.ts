// The rpm package driver (SPEC §3.1 QueryPackage, InspectPackageFile, ApplyPackage): typed
// requests become rpm argv, run through the Executor, never through a shell.
import type { OperationResult } from '../../../shared/domain/operation.js';
import { notInstalled, packageLabel, type PackageAction, type PackageInfo, type PackageRequest } from '../../../shared/domain/package.js';
import { describeError, LockstepError } from '../../../shared/errors.js';
import { describeExit, toCommandRecord } from '../../exec/command-record.js';
import type { ExecResult, Executor } from '../../exec/executor.js';
import { commandFailed } from '../command-outcome.js';
import type { PackageDriver } from '../driver.js';
import { parseRpmQueryOutput, RPM_QUERY_FORMAT } from './rpm-queryformat.js';

export interface RpmDriverOptions {
  executor: Executor;
  /** The rpm program; default `rpm` (looked up on the executor's PATH). */
  rpmPath?: string;
  /** Adds `--dbpath DIR` to every call: a private database, for tests and the lab. */
  dbPath?: string;
  /**
   * Added to install, upgrade and downgrade transactions, e.g. ['--ignorearch'] to install a
   * foreign architecture in the lab. Not to `rpm -e`, which refuses `--ignorearch`.
   */
  extraArgs?: readonly string[];
  timeoutMs?: number;
}

/** Debian's rpm warns on every transaction (REFERENCE.md, rpm); it is not a diagnostic. */
const DEBIAN_WARNING = /^rpm: (RPM should not be used directly install RPM packages, use Alien instead!|However assuming you know what you are doing\.\.\.)$/;
/** `rpm -q` prints this on stdout and exits with the number of names not found. */
const NOT_INSTALLED = /^package \S+ is not installed$/m;

/**
 * Runs rpm for the agent. `apply` queries the package before and after the transaction and
 * returns only the transaction in `commands`: the queries change nothing, and their result
 * is `packageChange`. A transaction succeeds when rpm exits 0 and the package is then in the
 * state the action promises (the file's version, gone after a removal, unchanged by --test).
 */
export class RpmDriver implements PackageDriver {
  readonly name = 'rpm';

  constructor(private readonly options: RpmDriverOptions) {}

  async query(name: string): Promise<PackageInfo> {
    const result = await this.run(['-q', '--queryformat', RPM_QUERY_FORMAT, name]);
    if (result.exitCode !== 0 && !result.timedOut && NOT_INSTALLED.test(result.stdout)) return notInstalled(name);
    return single(name, this.parse(result, { installed: true }));
  }

  async inspectFile(path: string): Promise<PackageInfo> {
    const result = await this.run(['-qp', '--queryformat', RPM_QUERY_FORMAT, path]);
    return single(path, this.parse(result, { installed: false }));
  }

  async apply(request: PackageRequest): Promise<OperationResult> {
    const { name, expected, args } = await this.plan(request);
    const before = await this.query(name);
    const result = await this.run(args);
    const commands = [toCommandRecord(result)];
    let after: PackageInfo;
    try {
      after = await this.query(name);
    } catch (error) {
      return { ok: false, commands, message: `${transactionMessage(result)}; querying ${name} afterwards failed: ${describeError(error)}` };
    }
    const message = verdict(result, request.testOnly ? before : expected, after);
    return { ok: message === '', commands, message, packageChange: { before, after } };
  }

  /** The package the request is about, its state once rpm has done the action, and rpm's arguments. */
  private async plan(request: PackageRequest): Promise<{ name: string; expected: PackageInfo; args: string[] }> {
    const test = request.testOnly ? ['--test'] : [];
    if (request.action === 'remove') return { name: request.name, expected: notInstalled(request.name), args: ['-e', ...test, request.name] };
    const file = await this.inspectFile(request.path);
    const args = [...modeArgs(request.action, request.force ?? false), ...test, ...(this.options.extraArgs ?? []), request.path];
    return { name: file.name, expected: { ...file, installed: true }, args };
  }

  private run(args: string[]): Promise<ExecResult> {
    const database = this.options.dbPath === undefined ? [] : ['--dbpath', this.options.dbPath];
    return this.options.executor.run({ argv: [this.options.rpmPath ?? 'rpm', ...database, ...args], timeoutMs: this.options.timeoutMs });
  }

  private parse(result: ExecResult, options: { installed: boolean }): PackageInfo[] {
    if (result.exitCode !== 0 || result.timedOut) throw commandFailed(withDiagnostics(result));
    return parseRpmQueryOutput(result.stdout, options);
  }
}

/** The manual's modes: `rpm -i` (3.1.1), `rpm -U` (3.1.2), `rpm -U --force` (6), or `--oldpackage`. */
function modeArgs(action: Exclude<PackageAction, 'remove'>, force: boolean): string[] {
  switch (action) {
    case 'install':
      return ['-i'];
    case 'upgrade':
      return ['-U'];
    case 'downgrade':
      return ['-U', force ? '--force' : '--oldpackage'];
  }
}

/** lockstep handles one installed instance per name; two (say i686 and x86_64) need an operator. */
function single(what: string, packages: PackageInfo[]): PackageInfo {
  const [first] = packages;
  if (first !== undefined && packages.length === 1) return first;
  const found = packages.map(packageLabel).join(', ');
  throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `rpm reports ${packages.length} packages for ${what} (${found}); expected one`);
}

/** Empty when the transaction did what it promised, else why not, for the operator. */
function verdict(result: ExecResult, expected: PackageInfo, after: PackageInfo): string {
  if (result.exitCode !== 0 || result.timedOut) return transactionMessage(result);
  if (sameState(after, expected)) return '';
  return `${transactionMessage(result)}, but afterwards the package is ${packageLabel(after)}, not ${packageLabel(expected)}`;
}

function sameState(a: PackageInfo, b: PackageInfo): boolean {
  if (!a.installed || !b.installed) return a.installed === b.installed;
  return a.name === b.name && a.epoch === b.epoch && a.version === b.version && a.release === b.release && a.arch === b.arch;
}

function transactionMessage(result: ExecResult): string {
  return describeExit(withDiagnostics(result));
}

/**
 * rpm's stderr as one line, without Debian's warning, so that describeExit shows every
 * diagnostic (`\tpackage … (which is newer than …) is already installed`, or
 * `error: Failed dependencies:` followed by what is missing) and not only the last line.
 */
function withDiagnostics(result: ExecResult): ExecResult {
  const lines = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !DEBIAN_WARNING.test(line));
  const stderr = lines.reduce((text, line) => (text === '' ? line : `${text}${text.endsWith(':') ? ' ' : '; '}${line}`), '');
  return { ...result, stderr };
}
