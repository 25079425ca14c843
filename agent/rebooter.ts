import type { Executor, ExecResult } from './exec/executor.js';

/** `shutdown -r now` on a real node; the simulated node answers the same argv. */
export const DEFAULT_REBOOT_ARGV: readonly string[] = ['shutdown', '-r', 'now'];

export class Rebooter {
  constructor(
    private readonly executor: Executor,
    private readonly argv: readonly string[] = DEFAULT_REBOOT_ARGV,
  ) {}

  reboot(): Promise<ExecResult> {
    return this.executor.run({ argv: this.argv, timeoutMs: 60_000 });
  }
}
