// The simulated node OS (SPEC §9): an Executor that answers the command lines the agent's
// real drivers issue — rpm, chkconfig, init scripts, systemctl, the CLUSTERPRO commands,
// shutdown/reboot — with the real tools' output and exit codes, over the lab's state on
// disk. Every command is one line of LAB/history.jsonl.
import { basename, dirname } from 'node:path';
import { appendHistory } from '../state/lab-state.js';
import type { Fault } from '../state/lab-state.js';
import type { ExecRequest, ExecResult, Executor } from '../../agent/exec/executor.js';
import { DEFAULT_MAX_OUTPUT_BYTES, DEFAULT_TIMEOUT_MS } from '../../shared/command-limits.js';
import { CLUSTERPRO_COMMANDS } from '../clusterpro/commands/clusterpro-commands.js';
import { SOLARIS_COMMANDS } from '../solaris/commands/solaris-commands.js';
import { POWER_COMMANDS } from './commands/reboot-command.js';
import { RPM_COMMANDS } from './commands/rpm-command.js';
import { initScriptCommand, SERVICE_COMMANDS } from './commands/service-commands.js';
import { takeFault } from './fault-knobs.js';
import { LabStore } from './lab-store.js';
import { failed, notFound, type CommandOutput, type RealRpm, type SimCommand, type SimContext } from './sim-command.js';

export interface SimExecutorOptions {
  labDir: string;
  /** The node's name: LAB/nodes/NAME, and its server name in cluster.json. */
  node: string;
  /** The machine's rpm; undefined: rpm is always emulated. */
  realRpm?: RealRpm;
  /** Epoch ms; Date.now by default. */
  now?: () => number;
  /**
   * Called once a command that powers nodes off has answered, with the power-off to apply.
   * By default the power-off follows 100 ms later — the reply to the coordinator leaves first,
   * as a real server answers before it goes down (SPEC §9) — and then the process exits.
   */
  exitProcess?: (powerOff: () => Promise<void>) => void | Promise<void>;
}

/** Killed by the timeout, as a real process killed with SIGKILL. */
const KILLED_EXIT_CODE = 137;
const INIT_DIR = '/etc/init.d/';
/** Where the real programs live: `/usr/bin/rpm` is `rpm`. */
const SYSTEM_DIRS: ReadonlySet<string> = new Set(['/bin', '/sbin', '/usr/bin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);
/** Where Sun Cluster installs its commands. */
const CLUSTER_DIRS: ReadonlySet<string> = new Set(['/usr/cluster/bin']);

/** What a node has, by its OS (node.json `os`): a Linux node of a CLUSTERPRO lab, or a SunOS node of a Solaris Cluster lab. */
const LINUX_COMMANDS: ReadonlyMap<string, SimCommand> = new Map([...RPM_COMMANDS, ...SERVICE_COMMANDS, ...CLUSTERPRO_COMMANDS, ...POWER_COMMANDS]);

interface Answer {
  output: CommandOutput;
  timedOut: boolean;
}

export class SimExecutor implements Executor {
  private readonly store: LabStore;
  private readonly now: () => number;
  private readonly exitProcess: (powerOff: () => Promise<void>) => void | Promise<void>;

  constructor(private readonly options: SimExecutorOptions) {
    this.now = options.now ?? Date.now;
    this.store = new LabStore(options.labDir, options.node, this.now);
    this.exitProcess =
      options.exitProcess ??
      ((powerOff) => {
        setTimeout(() => void powerOff().finally(() => process.exit(0)), 100);
      });
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    const started = performance.now();
    const argv = [...request.argv];
    const timeoutMs = request.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const remaining = (): number => Math.max(0, timeoutMs - (performance.now() - started));
    const record = (exitCode: number): void =>
      appendHistory(this.options.labDir, { t: performance.timeOrigin + started, node: this.options.node, argv, exit: exitCode });

    const fault = await takeFault(this.store, argv);
    const answer = await this.answer(argv, fault, remaining, record);
    if (answer.output.powerOff !== undefined) await this.exitProcess(answer.output.powerOff);
    return toResult(argv, answer, request.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES, performance.now() - started);
  }

  /** Runs the command under its fault, if any, and records it in history exactly once. */
  private async answer(argv: string[], fault: Fault | undefined, remaining: () => number, record: (exitCode: number) => void): Promise<Answer> {
    if (fault?.mode === 'fail') {
      record(fault.exitCode);
      return { output: failed(fault.exitCode, fault.stderr), timedOut: false };
    }
    if (fault?.mode === 'hang') return this.timeOut(remaining(), record);
    const delayBefore = fault?.mode === 'slow' && fault.when !== 'after' ? fault.delayMs : 0;
    if (delayBefore >= remaining() && delayBefore > 0) return this.timeOut(remaining(), record);
    await sleep(delayBefore);
    const answer = await withTimeout(this.execute(argv, remaining()), remaining());
    if (answer === undefined) return this.timeOut(0, record);
    const timedOut = answer.timedOut === true;
    record(timedOut ? KILLED_EXIT_CODE : answer.exitCode);
    const delayAfter = fault?.mode === 'slow' && fault.when === 'after' ? fault.delayMs : 0;
    if (delayAfter === 0) return { output: answer, timedOut };
    // The effect happened and is in history; the answer comes late, or never.
    if (delayAfter >= remaining()) {
      await sleep(remaining());
      return { output: killed(), timedOut: true };
    }
    await sleep(delayAfter);
    return { output: answer, timedOut };
  }

  private async timeOut(waitMs: number, record: (exitCode: number) => void): Promise<Answer> {
    await sleep(waitMs);
    record(KILLED_EXIT_CODE);
    return { output: killed(), timedOut: true };
  }

  private execute(argv: readonly string[], timeoutMs: number): Promise<CommandOutput> {
    const program = argv[0] ?? '';
    let solaris: boolean;
    try {
      solaris = this.store.readNode().os === 'solaris';
    } catch (error) {
      return Promise.resolve(failed(1, `${program}: ${error instanceof Error ? error.message : String(error)}\n`));
    }
    const command = lookup(program, solaris ? SOLARIS_COMMANDS : LINUX_COMMANDS);
    if (command === undefined) return Promise.resolve(notFound(program));
    const context: SimContext = {
      store: this.store,
      node: this.options.node,
      now: this.now,
      realRpm: this.options.realRpm,
      timeoutMs,
    };
    // A broken lab file is the node's trouble, not the agent's: it answers as a failed command.
    return command(argv, context).catch((error: unknown) => failed(1, `${program}: ${error instanceof Error ? error.message : String(error)}\n`));
  }
}

/** By name (as the drivers call them), as an init script, or by a standard absolute path. */
function lookup(program: string, commands: ReadonlyMap<string, SimCommand>): SimCommand | undefined {
  if (commands === LINUX_COMMANDS && program.startsWith(INIT_DIR) && program.length > INIT_DIR.length) return initScriptCommand;
  const named = commands.get(program);
  if (named !== undefined) return named;
  return SYSTEM_DIRS.has(dirname(program)) || CLUSTER_DIRS.has(dirname(program)) ? commands.get(basename(program)) : undefined;
}

function killed(): CommandOutput {
  return failed(KILLED_EXIT_CODE, '');
}

function toResult(argv: string[], answer: Answer, maxOutputBytes: number, durationMs: number): ExecResult {
  const stdout = keepTail(answer.output.stdout, maxOutputBytes);
  const stderr = keepTail(answer.output.stderr, maxOutputBytes);
  return {
    argv,
    exitCode: answer.output.exitCode,
    stdout: stdout.text,
    stderr: stderr.text,
    timedOut: answer.timedOut,
    truncated: stdout.dropped || stderr.dropped,
    durationMs: Math.round(durationMs),
  };
}

/** Like ProcessExecutor: at most `limit` bytes, the tail kept. */
function keepTail(text: string, limit: number): { text: string; dropped: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= limit) return { text, dropped: false };
  return { text: bytes.subarray(bytes.length - limit).toString('utf8'), dropped: true };
}

/** The command's answer, or undefined when the timeout came first. */
async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function sleep(ms: number): Promise<void> {
  return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
}
