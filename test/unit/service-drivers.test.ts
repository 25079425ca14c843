import { describe, expect, it } from 'vitest';
import type { ServiceDriver } from '../../agent/drivers/driver.js';
import { CLUSTERPRO_SERVICES } from '../../shared/domain/clusterpro.js';
import { SystemdDriver } from '../../agent/drivers/service/systemd-driver.js';
import { SysvDriver } from '../../agent/drivers/service/sysv-driver.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';

const allowList = CLUSTERPRO_SERVICES;

describe('CLUSTERPRO_SERVICES', () => {
  it("is the manual's 2.x stop order (CPRO-XL050-06 3.1.2), then the services later versions add", () => {
    expect(CLUSTERPRO_SERVICES).toEqual([
      'clusterpro_alertsync',
      'clusterpro_webmgr',
      'clusterpro',
      'clusterpro_md',
      'clusterpro_trn',
      'clusterpro_evt',
      'clusterpro_ib',
      'clusterpro_api',
      'clusterpro_nm',
    ]);
  });
});

describe('SysvDriver', () => {
  it.each([
    // CPRO-XL050-06 3.1.2 (1) and (8), 3.1.4 (3) and (6)
    ['disable', 'clusterpro_alertsync', ['chkconfig', '--del', 'clusterpro_alertsync']],
    ['enable', 'clusterpro_evt', ['chkconfig', '--add', 'clusterpro_evt']],
    ['stop', 'clusterpro_webmgr', ['/etc/init.d/clusterpro_webmgr', 'stop']],
    ['start', 'clusterpro_trn', ['/etc/init.d/clusterpro_trn', 'start']],
  ] as const)('%s %s runs %j', async (action, name, argv) => {
    const executor = new ScriptedExecutor(() => ({}));
    const result = await new SysvDriver({ executor, allowList, timeoutMs: 60_000 }).control(name, action);
    expect(executor.requests).toEqual([{ argv, timeoutMs: 60_000 }]);
    expect(result).toMatchObject({ ok: true, message: '', commands: [{ argv, exitCode: 0 }] });
  });

  it('uses the configured init directory and chkconfig path', async () => {
    const executor = new ScriptedExecutor(() => ({}));
    const driver = new SysvDriver({ executor, allowList, initDir: '/srv/lab/node1/init.d/', chkconfigPath: '/sbin/chkconfig' });
    await driver.control('clusterpro', 'enable');
    await driver.control('clusterpro', 'start');
    await driver.status('clusterpro');
    expect(executor.argvs).toEqual([
      ['/sbin/chkconfig', '--add', 'clusterpro'],
      ['/srv/lab/node1/init.d/clusterpro', 'start'],
      ['/sbin/chkconfig', 'clusterpro'],
      ['/srv/lab/node1/init.d/clusterpro', 'status'],
    ]);
  });

  it.each([
    [0, 0, { enabled: true, running: true }],
    [1, 3, { enabled: false, running: false }],
    [0, 3, { enabled: true, running: false }],
    [1, 1, { enabled: false, running: false }],
  ])('status: chkconfig exits %i and the LSB status %i: %j', async (chkconfigExit, statusExit, expected) => {
    const executor = new ScriptedExecutor([
      { match: 'chkconfig clusterpro_md', answer: { exitCode: chkconfigExit } },
      { match: '/etc/init.d/clusterpro_md status', answer: { exitCode: statusExit, stdout: 'clusterpro_md is stopped\n' } },
    ]);
    const status = await new SysvDriver({ executor, allowList }).status('clusterpro_md');
    expect(status).toEqual({ name: 'clusterpro_md', ...expected });
    expect(executor.argvs).toEqual([
      ['chkconfig', 'clusterpro_md'],
      ['/etc/init.d/clusterpro_md', 'status'],
    ]);
  });

  it('reports a failed init script as not ok, with the reason', async () => {
    const executor = new ScriptedExecutor([{ match: /start$/, answer: { exitCode: 1, stdout: 'Starting clusterpro: [FAILED]\n' } }]);
    const result = await new SysvDriver({ executor, allowList }).control('clusterpro', 'start');
    expect(result).toMatchObject({ ok: false, message: '/etc/init.d/clusterpro start exited with 1: Starting clusterpro: [FAILED]' });
  });
});

describe('SystemdDriver', () => {
  it.each([
    ['disable', ['systemctl', 'disable', 'clusterpro']],
    ['enable', ['systemctl', 'enable', 'clusterpro']],
    ['stop', ['systemctl', 'stop', 'clusterpro']],
    ['start', ['systemctl', 'start', 'clusterpro']],
  ] as const)('%s runs %j', async (action, argv) => {
    const executor = new ScriptedExecutor(() => ({}));
    const result = await new SystemdDriver({ executor, allowList, timeoutMs: 60_000 }).control('clusterpro', action);
    expect(executor.requests).toEqual([{ argv, timeoutMs: 60_000 }]);
    expect(result.ok).toBe(true);
  });

  it('succeeds through the SysV redirect chatter of a script that is not a native unit', async () => {
    const executor = new ScriptedExecutor([
      {
        match: 'systemctl enable clusterpro_md',
        answer: { stderr: 'clusterpro_md.service is not a native service, redirecting to /sbin/chkconfig.\nExecuting /sbin/chkconfig clusterpro_md on\n' },
      },
    ]);
    const result = await new SystemdDriver({ executor, allowList }).control('clusterpro_md', 'enable');
    expect(result).toMatchObject({ ok: true, message: '', commands: [{ argv: ['systemctl', 'enable', 'clusterpro_md'] }] });
    expect(result.commands[0]?.outputTail).toContain('redirecting to /sbin/chkconfig');
  });

  it.each([
    [{ exitCode: 0, stdout: 'enabled\n' }, { exitCode: 0, stdout: 'active\n' }, { enabled: true, running: true }],
    [{ exitCode: 1, stdout: 'disabled\n' }, { exitCode: 3, stdout: 'inactive\n' }, { enabled: false, running: false }],
    [
      {
        exitCode: 0,
        stdout: 'enabled\n',
        stderr:
          'clusterpro.service is not a native service, redirecting to systemd-sysv-install.\nExecuting: /usr/lib/systemd/systemd-sysv-install is-enabled clusterpro\n',
      },
      { exitCode: 3, stdout: 'inactive\n' },
      { enabled: true, running: false },
    ],
    [
      { exitCode: 1, stdout: "Note: Forwarding request to 'systemctl is-enabled clusterpro.service'.\ndisabled\n" },
      { exitCode: 0, stdout: 'active\n' },
      { enabled: false, running: true },
    ],
  ])('status from the exit codes of is-enabled %j and is-active %j', async (isEnabled, isActive, expected) => {
    const executor = new ScriptedExecutor([
      { match: 'systemctl is-enabled clusterpro', answer: isEnabled },
      { match: 'systemctl is-active clusterpro', answer: isActive },
    ]);
    const status = await new SystemdDriver({ executor, allowList }).status('clusterpro');
    expect(status).toEqual({ name: 'clusterpro', ...expected });
    expect(executor.argvs).toEqual([
      ['systemctl', 'is-enabled', 'clusterpro'],
      ['systemctl', 'is-active', 'clusterpro'],
    ]);
  });
});

describe.each<[string, (executor: ScriptedExecutor) => ServiceDriver]>([
  ['SysvDriver', (executor) => new SysvDriver({ executor, allowList })],
  ['SystemdDriver', (executor) => new SystemdDriver({ executor, allowList })],
])('%s: the allow-list (SPEC §3.3)', (_driverName, makeDriver) => {
  it('exposes the allow-list it was given', () => {
    expect([...makeDriver(new ScriptedExecutor(() => ({}))).allowList]).toEqual(CLUSTERPRO_SERVICES);
  });

  it('throws LOCKSTEP_E_COMMAND instead of guessing when a status query times out', async () => {
    const executor = new ScriptedExecutor(() => ({ exitCode: 137, timedOut: true, durationMs: 5_000 }));
    await expect(makeDriver(executor).status('clusterpro')).rejects.toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_COMMAND', message: expect.stringContaining('timed out after 5000 ms') }),
    );
  });
});

describe('allow-list configuration', () => {
  it.each([
    ['SysvDriver', () => new SysvDriver({ executor: new ScriptedExecutor(() => ({})), allowList: ['clusterpro', 'bad name'] })],
    ['SystemdDriver', () => new SystemdDriver({ executor: new ScriptedExecutor(() => ({})), allowList: ['clusterpro', 'bad name'] })],
  ])('%s refuses a malformed entry when it is built', (_driverName, build) => {
    expect(build).toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'allowList' }));
  });
});
