// rpm without an rpm binary (SPEC §9): node.json `packages` is the database and package
// files are emulated (lab/state/emulated-rpm-file.ts). Messages, streams and exit codes are
// rpm 4.18's, checked against the real one (REFERENCE.md, rpm):
//   rpm -q  → `package X is not installed` on stdout, exit = names not found
//   rpm -i  → `\tpackage … is already installed` / `(which is newer than …)`, exit 1
//   rpm -U  → the same problems, exit = 1 + installed instances it would replace
//   rpm -e  → `error: package X is not installed`, exit 1
// Architectures are never checked: the real rpm runs with --ignorearch in the lab too.
import { packageLabel, type PackageInfo } from '../../../shared/domain/package.js';
import { readEmulatedRpm } from '../../state/emulated-rpm-file.js';
import type { NodeState } from '../../state/lab-state.js';
import { compareEvr } from '../../../shared/version.js';
import { failed, succeeded, type CommandOutput, type SimContext } from '../sim-command.js';
import { compileQueryFormat, type TagTable } from './rpm-queryformat-interpreter.js';

type Installed = NodeState['packages'][string];

export interface RpmRequest {
  mode: 'query' | 'query-file' | 'install' | 'upgrade' | 'erase';
  queryFormat: string;
  test: boolean;
  /** --oldpackage or --force: a downgrade is allowed. */
  oldPackage: boolean;
  /** --replacepkgs or --force: the same package may be installed again. */
  replacePackages: boolean;
  operands: string[];
}

/** rpm's own default: name-version-release.arch. */
export const DEFAULT_QUERY_FORMAT = '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n';
const KNOWN_TAGS: ReadonlySet<string> = new Set(['NAME', 'EPOCH', 'VERSION', 'RELEASE', 'ARCH', 'SUMMARY', 'INSTALLTIME']);
/** rpm's exit code counts failures, capped so it stays a valid exit status. */
const MAX_EXIT = 254;

export async function emulateRpm(request: RpmRequest, context: SimContext): Promise<CommandOutput> {
  switch (request.mode) {
    case 'query':
      return query(request, Object.values(context.store.readNode().packages));
    case 'query-file':
      return queryFiles(request);
    case 'install':
    case 'upgrade':
      return context.store.update(({ node }) => transaction(request, node, context.now()));
    case 'erase':
      return context.store.update(({ node }) => erase(request, node));
  }
}

function query(request: RpmRequest, installed: readonly Installed[]): CommandOutput {
  const format = compileQueryFormat(request.queryFormat, KNOWN_TAGS);
  if ('error' in format) return failed(0, format.error);
  let stdout = '';
  let missing = 0;
  for (const spec of request.operands) {
    const matches = installed.filter((entry) => matchesSpec(entry, spec));
    if (matches.length === 0) missing += 1;
    stdout += matches.length === 0 ? `package ${spec} is not installed\n` : matches.map((entry) => format(installedTags(entry))).join('');
  }
  return { exitCode: Math.min(missing, MAX_EXIT), stdout, stderr: '' };
}

function queryFiles(request: RpmRequest): CommandOutput {
  const format = compileQueryFormat(request.queryFormat, KNOWN_TAGS);
  if ('error' in format) return failed(0, format.error);
  let stdout = '';
  for (const path of request.operands) {
    const file = readPackageFile(path);
    if (typeof file === 'string') return failed(1, file, stdout);
    stdout += format(fileTags(file));
  }
  return succeeded(stdout);
}

function transaction(request: RpmRequest, node: NodeState, now: number): CommandOutput {
  const files: PackageInfo[] = [];
  for (const path of request.operands) {
    const file = readPackageFile(path);
    if (typeof file === 'string') return failed(1, file);
    files.push(file);
  }
  let problems = '';
  let exitCode = 0;
  for (const file of files) {
    const sameName = Object.values(node.packages).filter((entry) => entry.name === file.name);
    const found = sameName.flatMap((entry) => problem(request, entry, file));
    if (found.length === 0) continue;
    problems += found.map((line) => `\t${line}\n`).join('');
    exitCode += request.mode === 'upgrade' ? 1 + sameName.length : 1;
  }
  if (exitCode > 0) return failed(Math.min(exitCode, MAX_EXIT), problems);
  if (!request.test) for (const file of files) install(node, file, request.mode === 'upgrade', now);
  return succeeded();
}

/** Why rpm refuses to put `file` beside (or over) `entry`, if it does. */
function problem(request: RpmRequest, entry: Installed, file: PackageInfo): string[] {
  const order = compareEvr(entry, file);
  if (order === 0 && entry.arch === file.arch && !request.replacePackages) return [`package ${packageLabel(file)} is already installed`];
  if (order > 0 && !request.oldPackage) return [`package ${label(entry)} (which is newer than ${packageLabel(file)}) is already installed`];
  return [];
}

/** -U replaces every instance of the name; -i adds one beside them (rpm allows both). */
function install(node: NodeState, file: PackageInfo, upgrade: boolean, now: number): void {
  for (const [key, entry] of Object.entries(node.packages)) {
    const same = compareEvr(entry, file) === 0 && entry.arch === file.arch;
    if (entry.name === file.name && (upgrade || same)) delete node.packages[key];
  }
  const entry: Installed = { ...file, installTime: Math.floor(now / 1000) };
  // Keyed by name, as the lab writes it; a second instance (rpm -i) by its full label.
  node.packages[node.packages[file.name] === undefined ? file.name : label(entry)] = entry;
}

function erase(request: RpmRequest, node: NodeState): CommandOutput {
  let stdout = '';
  let stderr = '';
  let exitCode = 0;
  for (const spec of request.operands) {
    const keys = Object.keys(node.packages).filter((key) => matchesSpec(node.packages[key] as Installed, spec));
    if (keys.length === 1 && !request.test) delete node.packages[keys[0] as string];
    if (keys.length === 1) continue;
    exitCode += 1;
    if (keys.length === 0) stderr += `error: package ${spec} is not installed\n`;
    else {
      stderr += `error: "${spec}" specifies multiple packages:\n`;
      stdout += keys.map((key) => `  ${label(node.packages[key] as Installed)}\n`).join('');
    }
  }
  return { exitCode: Math.min(exitCode, MAX_EXIT), stdout, stderr };
}

/** rpm names a package by name, name-version, name-version-release or the full label. */
function matchesSpec(entry: Installed, spec: string): boolean {
  const nv = `${entry.name}-${entry.version}`;
  const nvr = `${nv}-${entry.release}`;
  return spec === entry.name || spec === nv || spec === nvr || spec === `${nvr}.${entry.arch}`;
}

/** The header of a package file, or rpm's error message. */
function readPackageFile(path: string): PackageInfo | string {
  const header = readEmulatedRpm(path);
  if (header === 'missing') return `error: open of ${path} failed: No such file or directory\n`;
  if (header === 'not-a-package') return `error: ${path}: not an rpm package (or package manifest)\n`;
  return { installed: false, installTime: 0, ...header };
}

function installedTags(entry: Installed): TagTable {
  return new Map([...commonTags(entry), ['INSTALLTIME', String(entry.installTime)]]);
}

/** A package file has no install time. */
function fileTags(file: PackageInfo): TagTable {
  return new Map([...commonTags(file), ['INSTALLTIME', null]]);
}

function commonTags(entry: Omit<Installed, 'installTime'>): [string, string | null][] {
  return [
    ['NAME', entry.name],
    ['EPOCH', entry.epoch === '' ? null : entry.epoch],
    ['VERSION', entry.version],
    ['RELEASE', entry.release],
    ['ARCH', entry.arch],
    ['SUMMARY', entry.summary],
  ];
}

function label(entry: Installed): string {
  return packageLabel({ ...entry, installed: true });
}
