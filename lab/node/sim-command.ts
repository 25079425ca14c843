// What one simulated program is: argv in, what it printed and its exit code out, over the
// lab's state. The executor (sim-executor.ts) adds history, faults and timeouts around it.
import type { Executor } from '../../agent/exec/executor.js';
import type { LabStore } from './lab-store.js';

/**
 * The machine's rpm binary and the executor that runs it — the agent's own (its composition
 * root passes it in: the lab imports nothing from agent/ at run time).
 */
export interface RealRpm {
  path: string;
  executor: Executor;
}

export interface SimContext {
  store: LabStore;
  /** This node's name: also its server name in cluster.json. */
  node: string;
  /** Epoch ms. */
  now: () => number;
  /** The machine's rpm, when it has one. */
  realRpm: RealRpm | undefined;
  /** What is left of the request's timeout. */
  timeoutMs: number;
}

export interface CommandOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** A real process this command ran was killed by its timeout. */
  timedOut?: boolean;
  /**
   * Powers nodes off; applied after the command is in history and has answered (once
   * node.json says `down`, the lab supervisor may stop this agent at any moment). The agent
   * process exits then.
   */
  powerOff?: () => Promise<void>;
}

export type SimCommand = (argv: readonly string[], context: SimContext) => Promise<CommandOutput>;

export function succeeded(stdout = ''): CommandOutput {
  return { exitCode: 0, stdout, stderr: '' };
}

export function failed(exitCode: number, stderr: string, stdout = ''): CommandOutput {
  return { exitCode, stdout, stderr };
}

/** What a shell prints for a program that does not exist, as ProcessExecutor reports it. */
export function notFound(program: string): CommandOutput {
  return failed(127, `${program}: command not found\n`);
}
