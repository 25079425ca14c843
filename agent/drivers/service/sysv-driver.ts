// SysV init (RHEL 5 era, as in the seed manual): rc links through chkconfig, and the init
// scripts themselves for start, stop and status.
import { posix } from 'node:path';
import type { OperationResult } from '../../../shared/domain/operation.js';
import type { ServiceAction, ServiceStatus } from '../../../shared/domain/service.js';
import type { Executor } from '../../exec/executor.js';
import { exitsZero, operationResult } from '../command-outcome.js';
import type { ServiceDriver } from '../driver.js';
import { toAllowList } from './service-allow-list.js';

export interface SysvDriverOptions {
  executor: Executor;
  allowList: Iterable<string>;
  /** Where the init scripts are; /etc/init.d by default. */
  initDir?: string;
  /** chkconfig's path; looked up on PATH by default. */
  chkconfigPath?: string;
  /** Per command; the executor's default when unset. */
  timeoutMs?: number;
}

export class SysvDriver implements ServiceDriver {
  readonly name = 'sysv';
  readonly allowList: ReadonlySet<string>;
  private readonly executor: Executor;
  private readonly initDir: string;
  private readonly chkconfig: string;
  private readonly timeoutMs: number | undefined;

  constructor(options: SysvDriverOptions) {
    this.executor = options.executor;
    this.allowList = toAllowList(options.allowList);
    this.initDir = options.initDir ?? '/etc/init.d';
    this.chkconfig = options.chkconfigPath ?? 'chkconfig';
    this.timeoutMs = options.timeoutMs;
  }

  async control(service: string, action: Exclude<ServiceAction, 'status'>): Promise<OperationResult> {
    const argv = this.controlArgv(service, action);
    return operationResult(await this.executor.run({ argv, timeoutMs: this.timeoutMs }));
  }

  async status(service: string): Promise<ServiceStatus> {
    // `chkconfig NAME` exits 0 when the service starts in the current runlevel; an LSB
    // `status` exits 0 only when it is running (3 = stopped, 1/2 = dead, 4 = unknown).
    const enabled = await exitsZero(this.executor, { argv: [this.chkconfig, service], timeoutMs: this.timeoutMs });
    const running = await exitsZero(this.executor, { argv: [this.script(service), 'status'], timeoutMs: this.timeoutMs });
    return { name: service, enabled, running };
  }

  private controlArgv(service: string, action: Exclude<ServiceAction, 'status'>): string[] {
    switch (action) {
      // CPRO-XL050-06 3.1.2 (1) and (8): `chkconfig --del` / `--add`, exactly as the manual has them.
      case 'enable':
        return [this.chkconfig, '--add', service];
      case 'disable':
        return [this.chkconfig, '--del', service];
      // CPRO-XL050-06 3.1.4 (3) and (6): `/etc/init.d/NAME stop` / `start`.
      case 'start':
      case 'stop':
        return [this.script(service), action];
    }
  }

  private script(service: string): string {
    return posix.join(this.initDir, service);
  }
}
