// `rpm` on a simulated node (SPEC §9). Where the machine has rpm and the node's rpm is
// 'real', the real rpm runs against the node's own database (--dbpath) and its output is the
// answer; otherwise rpm-emulator.ts answers the same argv from node.json.
import type { NodeState } from '../../state/lab-state.js';
import { failed, type CommandOutput, type RealRpm, type SimCommand, type SimContext } from '../sim-command.js';
import { DEFAULT_QUERY_FORMAT, emulateRpm, type RpmRequest } from './rpm-emulator.js';

const TRANSACTION_MODES: ReadonlySet<string> = new Set(['-i', '--install', '-U', '--upgrade']);
const ERASE_MODES: ReadonlySet<string> = new Set(['-e', '--erase']);
/**
 * The lab's rpm runs on the host, often as root: a package's files and scriptlets must reach
 * the node's database only, never the host (docs/security.md, "Directories someone else made").
 */
const DATABASE_ONLY = ['--justdb', '--noscripts', '--notriggers'];

const rpmCommand: SimCommand = (argv, context) => {
  const node = context.store.readNode();
  if (node.rpm === 'real' && context.realRpm !== undefined) return runRealRpm(argv.slice(1), node, context.realRpm, context);
  const request = parseRpmArgs(argv.slice(1));
  return typeof request === 'string' ? Promise.resolve(failed(1, request)) : emulateRpm(request, context);
};

export const RPM_COMMANDS: ReadonlyMap<string, SimCommand> = new Map([['rpm', rpmCommand]]);

/**
 * The node's own database, whatever database the caller named; on transactions and erases
 * nothing but that database changes (no files, scriptlets or triggers on the host); and
 * --ignorearch on transactions: the lab installs ia64 and ppc64 packages on an x86_64 machine
 * (REFERENCE.md, rpm).
 */
export function realRpmArgs(args: readonly string[], dbPath: string): string[] {
  const own = withoutDbPath(args);
  const modeAt = own.findIndex((arg) => TRANSACTION_MODES.has(arg) || ERASE_MODES.has(arg));
  if (modeAt < 0) return ['--dbpath', dbPath, ...own];
  const extra = [...DATABASE_ONLY, ...(TRANSACTION_MODES.has(own[modeAt] as string) ? ['--ignorearch'] : [])].filter((flag) => !own.includes(flag));
  return ['--dbpath', dbPath, ...own.slice(0, modeAt + 1), ...extra, ...own.slice(modeAt + 1)];
}

/** The argv without a `--dbpath DIR` of the caller's: a node's rpm has one database, its own. */
function withoutDbPath(args: readonly string[]): string[] {
  const at = args.indexOf('--dbpath');
  return at < 0 ? [...args] : [...args.slice(0, at), ...args.slice(at + 2)];
}

async function runRealRpm(args: readonly string[], node: NodeState, rpm: RealRpm, context: SimContext): Promise<CommandOutput> {
  const result = await rpm.executor.run({ argv: [rpm.path, ...realRpmArgs(args, node.rpmDbPath)], timeoutMs: context.timeoutMs });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, timedOut: result.timedOut };
}

/** The emulated rpm's command line, or rpm's complaint about it. */
export function parseRpmArgs(args: readonly string[]): RpmRequest | string {
  const request: RpmRequest = { mode: 'query', queryFormat: DEFAULT_QUERY_FORMAT, test: false, oldPackage: false, replacePackages: false, operands: [] };
  let mode: RpmRequest['mode'] | undefined;
  let packageFiles = false;
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index] as string;
    if (!arg.startsWith('-')) {
      request.operands.push(arg);
      continue;
    }
    const modeFlag = MODE_FLAGS.get(arg);
    if (modeFlag !== undefined) {
      mode = modeFlag.mode;
      packageFiles ||= modeFlag.packageFiles;
    } else if (arg === '--queryformat' || arg === '--qf' || arg === '--dbpath') {
      const value = args[index + 1];
      if (value === undefined) return `rpm: option '${arg}' requires an argument\n`;
      if (arg !== '--dbpath') request.queryFormat = value;
      index += 1;
    } else if (!applyOption(request, arg)) {
      return `rpm: ${arg}: unknown option\n`;
    }
  }
  if (mode === undefined) return 'rpm: no mode specified\n';
  request.mode = mode === 'query' && packageFiles ? 'query-file' : mode;
  if (request.operands.length === 0) return `rpm: no ${mode === 'query' ? 'arguments given for query' : `packages given for ${mode === 'erase' ? 'erase' : 'install'}`}\n`;
  return request;
}

const MODE_FLAGS: ReadonlyMap<string, { mode: RpmRequest['mode']; packageFiles: boolean }> = new Map([
  ['-q', { mode: 'query', packageFiles: false }],
  ['--query', { mode: 'query', packageFiles: false }],
  ['-qp', { mode: 'query', packageFiles: true }],
  ['-p', { mode: 'query', packageFiles: true }],
  ['-i', { mode: 'install', packageFiles: false }],
  ['--install', { mode: 'install', packageFiles: false }],
  ['-U', { mode: 'upgrade', packageFiles: false }],
  ['--upgrade', { mode: 'upgrade', packageFiles: false }],
  ['-e', { mode: 'erase', packageFiles: false }],
  ['--erase', { mode: 'erase', packageFiles: false }],
]);

/** Flags that change how a transaction runs; false for one rpm would not know. */
function applyOption(request: RpmRequest, arg: string): boolean {
  switch (arg) {
    case '--test':
      request.test = true;
      return true;
    case '--oldpackage':
      request.oldPackage = true;
      return true;
    case '--replacepkgs':
      request.replacePackages = true;
      return true;
    // REFERENCE.md: --force = --replacepkgs --replacefiles --oldpackage.
    case '--force':
      request.oldPackage = true;
      request.replacePackages = true;
      return true;
    case '--nodeps':
    case '--ignorearch':
    case '--replacefiles':
    case '-v':
    case '-h':
      return true;
    default:
      return false;
  }
}
