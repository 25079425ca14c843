// systemd hosts (later CLUSTERPRO versions ship units): systemctl for every action. On hosts
// where a service is still a SysV script, systemctl forwards to chkconfig and says so
// ("…is not a native service, redirecting to /sbin/chkconfig."); exit codes carry the answer
// either way, so that chatter is never parsed.
import type { OperationResult } from '../../../shared/domain/operation.js';
import type { ServiceAction, ServiceStatus } from '../../../shared/domain/service.js';
import type { Executor } from '../../exec/executor.js';
import { exitsZero, operationResult } from '../command-outcome.js';
import type { ServiceDriver } from '../driver.js';
import { toAllowList } from './service-allow-list.js';

export interface SystemdDriverOptions {
  executor: Executor;
  allowList: Iterable<string>;
  /** Per command; the executor's default when unset. */
  timeoutMs?: number;
}

export class SystemdDriver implements ServiceDriver {
  readonly name = 'systemd';
  readonly allowList: ReadonlySet<string>;
  private readonly executor: Executor;
  private readonly timeoutMs: number | undefined;

  constructor(options: SystemdDriverOptions) {
    this.executor = options.executor;
    this.allowList = toAllowList(options.allowList);
    this.timeoutMs = options.timeoutMs;
  }

  /** `enable` only sets the unit to start at boot: without --now systemctl starts nothing. */
  async control(service: string, action: Exclude<ServiceAction, 'status'>): Promise<OperationResult> {
    return operationResult(await this.executor.run({ argv: ['systemctl', action, service], timeoutMs: this.timeoutMs }));
  }

  async status(service: string): Promise<ServiceStatus> {
    // is-enabled exits 0 for enabled (also static, alias, indirect); is-active exits 0 only when active.
    const enabled = await exitsZero(this.executor, { argv: ['systemctl', 'is-enabled', service], timeoutMs: this.timeoutMs });
    const running = await exitsZero(this.executor, { argv: ['systemctl', 'is-active', service], timeoutMs: this.timeoutMs });
    return { name: service, enabled, running };
  }
}
