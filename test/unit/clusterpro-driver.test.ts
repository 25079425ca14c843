import { describe, expect, it } from 'vitest';
import { ClusterproDriver } from '../../agent/drivers/cluster/clusterpro-driver.js';
import type { ClusterAction, ClusterActionKind } from '../../shared/domain/cluster.js';
import { readFixture } from '../support/fixture.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';

const fixture = (name: string): string => readFixture(`clusterpro/${name}`);

/** Every command succeeds with no output. */
const quietExecutor = (): ScriptedExecutor => new ScriptedExecutor(() => ({}));

describe('ClusterproDriver.status', () => {
  it('runs clpstat with the configured timeout and parses it', async () => {
    const executor = new ScriptedExecutor([{ match: 'clpstat', answer: { stdout: fixture('clpstat-running.txt') } }]);
    const status = await new ClusterproDriver({ executor, timeoutMs: 30_000 }).status();
    expect(executor.requests).toEqual([{ argv: ['clpstat'], timeoutMs: 30_000 }]);
    expect(status.servers.map((server) => server.name)).toEqual(['server1', 'server2']);
    expect(status.stopped).toBe(false);
  });

  it('throws LOCKSTEP_E_COMMAND when clpstat fails, naming the command and its message', async () => {
    const executor = new ScriptedExecutor([{ match: 'clpstat', answer: { exitCode: 1, stderr: 'Could not connect to the server.\n' } }]);
    await expect(new ClusterproDriver({ executor }).status()).rejects.toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_COMMAND', message: 'clpstat exited with 1: Could not connect to the server.' }),
    );
  });
});

describe('ClusterproDriver.mirrors', () => {
  it('reads one named mirror (CPRO-XL050-06 3.1.3.2: RED on server2, GREEN on server1)', async () => {
    const executor = new ScriptedExecutor([
      { match: 'clpmdstat --mirror md1', answer: { stdout: fixture('clpmdstat-md1-abnormal-3.1.3.2.txt') } },
    ]);
    const [md1, ...others] = await new ClusterproDriver({ executor }).mirrors('md1');
    expect(executor.argvs).toEqual([['clpmdstat', '--mirror', 'md1']]);
    expect(others).toEqual([]);
    expect(md1?.overall).toBe('abnormal');
    expect(md1?.servers.map(({ server, color }) => [server, color])).toEqual([
      ['server2', 'RED'],
      ['server1', 'GREEN'],
    ]);
    expect(md1?.servers[1]?.breakTime).toBe('2008/10/22 10:11:15');
  });

  it.each([undefined, ''])('lists every mirror with clpmdstat -l when the resource is %j', async (resource) => {
    const executor = new ScriptedExecutor([
      { match: 'clpmdstat -l', answer: { stdout: '<md1>\n  Mirror Partition Device Name : /dev/NMP1\n<md2>\n' } },
      { match: 'clpmdstat --mirror md1', answer: { stdout: fixture('clpmdstat-md1-normal-3.1.3.5.txt') } },
      { match: ['clpmdstat', '--mirror', 'md2'], answer: { stdout: 'Mirror Status: Normal\n' } },
    ]);
    const mirrors = await new ClusterproDriver({ executor }).mirrors(resource);
    expect(executor.argvs).toEqual([
      ['clpmdstat', '-l'],
      ['clpmdstat', '--mirror', 'md1'],
      ['clpmdstat', '--mirror', 'md2'],
    ]);
    expect(mirrors.map(({ name, overall }) => [name, overall])).toEqual([
      ['md1', 'normal'],
      ['md2', 'normal'],
    ]);
    expect(mirrors[0]?.servers.map((server) => server.color)).toEqual(['GREEN', 'GREEN']);
  });

  it('throws LOCKSTEP_E_COMMAND when clpmdstat fails', async () => {
    const executor = new ScriptedExecutor([{ match: /^clpmdstat /, answer: { exitCode: 2, stderr: 'Invalid mirror name.\n' } }]);
    await expect(new ClusterproDriver({ executor }).mirrors('md7')).rejects.toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_COMMAND' }));
  });
});

describe('ClusterproDriver.act', () => {
  it.each<[ClusterAction, string[]]>([
    [{ kind: 'suspend' }, ['clpcl', '--suspend']],
    [{ kind: 'resume' }, ['clpcl', '--resume']],
    [{ kind: 'stop-cluster' }, ['clpstdn']],
    [{ kind: 'stop-server' }, ['clpdown']],
    [{ kind: 'move-group', group: 'failover1', server: 'server2' }, ['clpgrp', '-m', 'failover1', '-a', 'server2']],
    [{ kind: 'move-group', group: 'failover1' }, ['clpgrp', '-m', 'failover1']],
    [{ kind: 'move-group', group: 'failover1', server: '' }, ['clpgrp', '-m', 'failover1']],
    [{ kind: 'start-group', group: 'failover1' }, ['clpgrp', '-s', 'failover1']],
    [{ kind: 'stop-group', group: 'failover1' }, ['clpgrp', '-t', 'failover1']],
    [{ kind: 'mirror-recover', mirror: 'md1' }, ['clpmdctrl', '-r', 'md1']],
  ])('%j runs %j', async (action, argv) => {
    const executor = new ScriptedExecutor([{ match: argv, answer: { stdout: 'Command succeeded.\n' } }]);
    const result = await new ClusterproDriver({ executor, timeoutMs: 5_000 }).act(action);
    expect(executor.requests).toEqual([{ argv, timeoutMs: 5_000 }]);
    expect(result).toEqual({
      ok: true,
      message: '',
      commands: [{ argv, exitCode: 0, outputTail: 'Command succeeded.\n', timedOut: false, truncated: false, durationMs: 0 }],
    });
  });

  it('reports a failed command as not ok, with the reason', async () => {
    const executor = new ScriptedExecutor([{ match: /^clpgrp -m/, answer: { exitCode: 1, stderr: 'Command failed.\n' } }]);
    const result = await new ClusterproDriver({ executor }).act({ kind: 'move-group', group: 'failover1', server: 'server2' });
    expect(result.ok).toBe(false);
    expect(result.message).toBe('clpgrp -m failover1 -a server2 exited with 1: Command failed.');
    expect(result.commands.map((command) => command.exitCode)).toEqual([1]);
  });

  it.each<ClusterActionKind>([
    'register-type',
    'set-type-version',
    'monitor',
    'unmonitor',
    'enable-resource',
    'disable-resource',
    'rg-offline',
    'rg-online',
    'rg-manage',
    'rg-unmanage',
    'evacuate',
    'boot-noncluster',
    'rejoin',
  ])('refuses the Solaris Cluster action %s as unsupported, naming it and the driver', async (kind) => {
    const executor = quietExecutor();
    await expect(new ClusterproDriver({ executor }).act({ kind })).rejects.toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_UNSUPPORTED', message: expect.stringMatching(new RegExp(`"${kind}".*clusterpro driver`)) }),
    );
    expect(executor.requests).toEqual([]);
  });
});
