import type { Executor, ExecResult } from './exec/executor.js';

/** `shutdown -r now` on a real node; the simulated node answers the same argv. */
export const DEFAULT_REBOOT_ARGV: readonly string[] = ['shutdown', '-r', 'now'];

export class Rebooter {
  constructor(
    private readonly executor: Executor,
    private readonly argv: readonly string[] = DEFAULT_REBOOT_ARGV,
  ) {}

  /** The node's reboot command, or `argv` (Solaris: `reboot -- -x` to boot out of the cluster, `reboot` back in). */
  reboot(argv: readonly string[] = this.argv): Promise<ExecResult> {
    return this.executor.run({ argv, timeoutMs: 60_000 });
  }
}
