// The simulated node answers the agent's real drivers with the real tools' layouts: every
// assertion goes through the real parsers and drivers, over a lab on disk.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterproDriver } from '../../agent/drivers/cluster/clusterpro-driver.js';
import { parseClpmdstatMirror } from '../../agent/drivers/cluster/clpmdstat-parser.js';
import { parseClpstat } from '../../agent/drivers/cluster/clpstat-parser.js';
import { RpmDriver } from '../../agent/drivers/package/rpm-driver.js';
import { parseRpmQueryOutput, RPM_QUERY_FORMAT } from '../../agent/drivers/package/rpm-queryformat.js';
import { SystemdDriver } from '../../agent/drivers/service/systemd-driver.js';
import { SysvDriver } from '../../agent/drivers/service/sysv-driver.js';
import { Rebooter } from '../../agent/rebooter.js';
import { watchPowerOff } from '../../lab/node/node-power.js';
import { bootNode } from '../../lab/node/sim-boot.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { SimFacts } from '../../lab/node/sim-facts.js';
import { packageLabel } from '../../shared/domain/package.js';
import { writeEmulatedRpm } from '../../lab/state/emulated-rpm-file.js';
import { readClusterState, readHistory, readNodeState, writeNodeState, type Fault } from '../../lab/state/lab-state.js';
import { CLUSTERPRO_2X_SERVICES, writeSimLab } from '../support/sim-lab.js';
import { makeTempDir } from '../support/temp-dir.js';

const T0 = Date.UTC(2008, 9, 22, 1, 10, 0);

let temp: ReturnType<typeof makeTempDir>;
let lab: string;
let clock: number;
let exits: string[];
const now = (): number => clock;

function sim(node = 'server1'): SimExecutor {
  return new SimExecutor({ labDir: lab, node, now, exitProcess: async (powerOff) => {
    await powerOff();
    exits.push(node);
  } });
}

function run(node: string, ...argv: string[]) {
  return sim(node).run({ argv, timeoutMs: 5_000 });
}

function setFaults(node: string, faults: Partial<Fault>[]): void {
  writeNodeState(lab, { ...readNodeState(lab, node), faults: faults as Fault[] });
}

beforeEach(() => {
  temp = makeTempDir('lockstep-sim-');
  lab = temp.dir;
  clock = T0;
  exits = [];
  writeSimLab(lab, ['server1', 'server2']);
});

afterEach(() => temp.remove());

describe('emulated rpm through the real RpmDriver', () => {
  const file = (version: string): string => join(lab, 'packages', `clusterpro-${version}-1.x86_64.rpm`);
  const driver = (): RpmDriver => new RpmDriver({ executor: sim() });

  beforeEach(() => {
    for (const version of ['2.0.0', '2.1.3']) {
      writeEmulatedRpm(file(version), { name: 'clusterpro', version, release: '1', arch: 'x86_64', summary: `CLUSTERPRO X ${version.slice(0, 3)} for Linux(x86_64)` });
    }
  });

  it('queries the installed package and a package file', async () => {
    expect(await driver().query('clusterpro')).toEqual({
      installed: true,
      name: 'clusterpro',
      epoch: '',
      version: '2.0.0',
      release: '1',
      arch: 'x86_64',
      summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)',
      installTime: 1_224_555_101,
    });
    expect(await driver().inspectFile(file('2.1.3'))).toMatchObject({ installed: false, version: '2.1.3', installTime: 0 });
    expect(await driver().query('clusterpro_nosuch')).toMatchObject({ installed: false });
  });

  it('answers rpm -q for a missing package on stdout with the count as exit code', async () => {
    const result = await run('server1', 'rpm', '-q', '--queryformat', RPM_QUERY_FORMAT, 'a', 'clusterpro', 'b');
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe('package a is not installed\nclusterpro||2.0.0|1|x86_64|1224555101|CLUSTERPRO X 2.0 for Linux(x86_64)\npackage b is not installed\n'.replace('||', '|(none)|'));
  });

  it('interprets the queryformat language: widths, conditionals, escapes, unknown tags', async () => {
    const formatted = await run('server1', 'rpm', '-q', '--qf', '[%-12{NAME}]%|EPOCH?{E%{EPOCH}}:{noepoch}|\\t%{arch}%%\\n', 'clusterpro');
    expect(formatted.stdout).toBe('[clusterpro  ]noepoch\tx86_64%\n');
    const unknown = await run('server1', 'rpm', '-q', '--qf', '%{BOGUS}\\n', 'clusterpro');
    expect(unknown).toMatchObject({ exitCode: 0, stdout: '', stderr: 'error: incorrect format: unknown tag: "BOGUS"\n' });
    const fileInstallTime = await run('server1', 'rpm', '-qp', '--qf', '%{INSTALLTIME}\\n', file('2.0.0'));
    expect(fileInstallTime.stdout).toBe('(none)\n');
  });

  it('3.1.2 (7): rpm -U upgrades, and the driver sees before and after', async () => {
    const result = await driver().apply({ action: 'upgrade', path: file('2.1.3'), testOnly: false, force: false });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(packageLabel(result.packageChange?.after ?? ({} as never))).toBe('clusterpro-2.1.3-1.x86_64');
    expect(readNodeState(lab, 'server1').packages.clusterpro).toMatchObject({ version: '2.1.3', installTime: Math.floor(T0 / 1000) });
    const upgrade = readHistory(lab).find((entry) => entry.argv[1] === '-U');
    expect(upgrade).toMatchObject({ node: 'server1', argv: ['rpm', '-U', file('2.1.3')], exit: 0 });
  });

  it('refuses a downgrade without --oldpackage with rpm’s message and exit code, then 6: --force does it', async () => {
    await driver().apply({ action: 'upgrade', path: file('2.1.3'), testOnly: false, force: false });
    const refused = await run('server1', 'rpm', '-U', file('2.0.0'));
    expect(refused).toMatchObject({
      exitCode: 2,
      stderr: '\tpackage clusterpro-2.1.3-1.x86_64 (which is newer than clusterpro-2.0.0-1.x86_64) is already installed\n',
    });
    const again = await run('server1', 'rpm', '-U', file('2.1.3'));
    expect(again).toMatchObject({ exitCode: 2, stderr: '\tpackage clusterpro-2.1.3-1.x86_64 is already installed\n' });
    const tested = await driver().apply({ action: 'downgrade', path: file('2.0.0'), testOnly: true, force: true });
    expect(tested.ok).toBe(true);
    expect(readNodeState(lab, 'server1').packages.clusterpro?.version).toBe('2.1.3');
    const forced = await driver().apply({ action: 'downgrade', path: file('2.0.0'), testOnly: false, force: true });
    expect(forced).toMatchObject({ ok: true });
    expect(readNodeState(lab, 'server1').packages.clusterpro?.version).toBe('2.0.0');
  });

  it('rpm -i installs beside, -e removes, and the errors are rpm’s', async () => {
    expect(await run('server1', 'rpm', '-i', file('2.0.0'))).toMatchObject({ exitCode: 1, stderr: '\tpackage clusterpro-2.0.0-1.x86_64 is already installed\n' });
    expect((await run('server1', 'rpm', '-i', file('2.1.3'))).exitCode).toBe(0);
    const both = await run('server1', 'rpm', '-q', '--queryformat', RPM_QUERY_FORMAT, 'clusterpro');
    expect(parseRpmQueryOutput(both.stdout, { installed: true }).map((info) => info.version)).toEqual(['2.0.0', '2.1.3']);
    expect(await run('server1', 'rpm', '-e', 'clusterpro')).toMatchObject({
      exitCode: 1,
      stdout: '  clusterpro-2.0.0-1.x86_64\n  clusterpro-2.1.3-1.x86_64\n',
      stderr: 'error: "clusterpro" specifies multiple packages:\n',
    });
    expect((await run('server1', 'rpm', '-e', 'clusterpro-2.0.0')).exitCode).toBe(0);
    const removal = await driver().apply({ action: 'remove', name: 'clusterpro', testOnly: false });
    expect(removal).toMatchObject({ ok: true });
    expect(await run('server1', 'rpm', '-e', 'clusterpro')).toMatchObject({ exitCode: 1, stderr: 'error: package clusterpro is not installed\n' });
    expect(await run('server1', 'rpm', '-U', join(lab, 'nope.rpm'))).toMatchObject({ exitCode: 1, stderr: `error: open of ${join(lab, 'nope.rpm')} failed: No such file or directory\n` });
  });
});

describe('services through the real SysV and systemd drivers', () => {
  const sysv = (): SysvDriver => new SysvDriver({ executor: sim(), allowList: [...CLUSTERPRO_2X_SERVICES, 'nosuch'] });

  it('3.1.2 (1), (8): chkconfig --del / --add, seen by chkconfig NAME', async () => {
    expect(await sysv().status('clusterpro_webmgr')).toEqual({ name: 'clusterpro_webmgr', enabled: true, running: true });
    expect((await sysv().control('clusterpro_webmgr', 'disable')).ok).toBe(true);
    expect(await sysv().status('clusterpro_webmgr')).toEqual({ name: 'clusterpro_webmgr', enabled: false, running: true });
    expect((await run('server1', 'chkconfig', '--list', 'clusterpro_webmgr')).stdout).toBe(
      'clusterpro_webmgr\t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
    );
    expect((await sysv().control('clusterpro_webmgr', 'enable')).ok).toBe(true);
    expect(readNodeState(lab, 'server1').services.clusterpro_webmgr?.enabled).toBe(true);
  });

  it('3.1.4 (3), (6): init scripts stop and start; LSB status 3 when stopped', async () => {
    expect((await sysv().control('clusterpro_trn', 'stop')).ok).toBe(true);
    expect(await run('server1', '/etc/init.d/clusterpro_trn', 'status')).toMatchObject({ exitCode: 3, stdout: 'clusterpro_trn is stopped\n' });
    expect((await sysv().status('clusterpro_trn')).running).toBe(false);
    expect((await sysv().control('clusterpro_trn', 'start')).ok).toBe(true);
    expect((await run('server1', '/etc/init.d/clusterpro_trn', 'status')).exitCode).toBe(0);
  });

  it('an unknown service fails as the real tools fail', async () => {
    const result = await sysv().control('nosuch', 'disable');
    expect(result.ok).toBe(false);
    expect(result.commands[0]).toMatchObject({ exitCode: 1, outputTail: 'error reading information on service nosuch: No such file or directory\n' });
    expect((await run('server1', '/etc/init.d/nosuch', 'start')).exitCode).toBe(127);
  });

  it('stopping the clusterpro service takes the server out of the cluster and its group fails over', async () => {
    await sysv().control('clusterpro', 'stop');
    const cluster = readClusterState(lab);
    expect(cluster.servers.server1?.state).toBe('offline');
    expect(cluster.groups.failover1?.current).toBe('server2');
    await sysv().control('clusterpro', 'start');
    expect(readClusterState(lab).servers.server1?.state).toBe('online');
  });

  it('systemctl on a systemd node; a SysV node has none', async () => {
    expect((await run('server1', 'systemctl', 'is-active', 'clusterpro')).exitCode).toBe(127);
    writeNodeState(lab, { ...readNodeState(lab, 'server1'), serviceManager: 'systemd' });
    const systemd = new SystemdDriver({ executor: sim(), allowList: CLUSTERPRO_2X_SERVICES });
    expect((await systemd.control('clusterpro_evt', 'disable')).ok).toBe(true);
    expect((await systemd.control('clusterpro_evt', 'stop')).ok).toBe(true);
    expect(await systemd.status('clusterpro_evt')).toEqual({ name: 'clusterpro_evt', enabled: false, running: false });
    expect(await run('server1', 'systemctl', 'is-enabled', 'nosuch')).toMatchObject({ exitCode: 1 });
  });
});

describe('CLUSTERPRO commands through the real ClusterproDriver', () => {
  const driver = (node = 'server1'): ClusterproDriver => new ClusterproDriver({ executor: sim(node) });

  it('clpstat: servers, groups and monitors, with * on the local server', async () => {
    const status = await driver('server2').status();
    expect(status).toMatchObject({ clusterName: 'cluster-x600', stopped: false });
    expect(status.servers).toEqual([
      { name: 'server1', state: 'online', stateText: 'Online', local: false },
      { name: 'server2', state: 'online', stateText: 'Online', local: true },
    ]);
    expect(status.groups).toEqual([{ name: 'failover1', state: 'online', stateText: 'Online', currentServer: 'server1', resources: ['md1'] }]);
    expect(status.monitors.map((monitor) => monitor.name)).toEqual(['userw', 'mdw1']);
  });

  it('clpstat on a server whose cluster service is stopped prints everything Offline', async () => {
    await run('server1', '/etc/init.d/clusterpro', 'stop');
    const status = parseClpstat((await run('server1', 'clpstat')).stdout);
    expect(status.stopped).toBe(true);
    expect(status.groups[0]).toMatchObject({ state: 'offline', currentServer: null });
    expect((await driver('server2').status()).servers.map((server) => server.stateText)).toEqual(['Offline', 'Online']);
  });

  it('3.1.4: clpcl --suspend / --resume', async () => {
    expect(await run('server1', 'clpcl', '--suspend')).toMatchObject({
      exitCode: 0,
      stdout: 'Suspend server1 : Command succeeded.\nSuspend server2 : Command succeeded.\n',
    });
    expect((await driver().status()).servers.every((server) => server.state === 'suspended')).toBe(true);
    expect((await driver().act({ kind: 'resume' })).ok).toBe(true);
    expect(readClusterState(lab).suspended).toBe(false);
  });

  it('3.1.3.2: after a reboot the mirror is RED on the rebooted server, resyncs, then is GREEN', async () => {
    await new Rebooter(sim('server2')).reboot();
    expect(exits).toEqual(['server2']);
    expect(readNodeState(lab, 'server2')).toMatchObject({ power: 'down' });
    clock += 2_000;
    const [broken] = await driver('server1').mirrors('md1');
    expect(broken).toMatchObject({ overall: 'abnormal' });
    expect(broken?.servers.map((server) => [server.server, server.color, server.lastUpdate, server.breakTime])).toEqual([
      ['server1', 'GREEN', localTime(T0 + 2_000), localTime(T0)],
      ['server2', 'RED', '--', '--'],
    ]);
    await bootNode(lab, 'server2', clock);
    const [recovering] = await driver('server2').mirrors();
    expect(recovering?.servers.map((server) => [server.server, server.color])).toEqual([
      ['server2', 'YELLOW'],
      ['server1', 'GREEN'],
    ]);
    clock += 60_000;
    const normal = parseClpmdstatMirror((await run('server2', 'clpmdstat', '--mirror', 'md1')).stdout, 'md1');
    expect(normal).toMatchObject({ overall: 'normal' });
    expect(readClusterState(lab).mirrors.md1).toEqual({ server1: 'GREEN', server2: 'GREEN' });
  });

  it('clpgrp -m refuses a destination whose mirror is not GREEN, and moves when it is', async () => {
    await run('server2', 'clpdown');
    await bootNode(lab, 'server2', clock);
    const refused = await driver().act({ kind: 'move-group', group: 'failover1', server: 'server2' });
    expect(refused.ok).toBe(false);
    expect(refused.message).toMatch(/Failed to start one or more resources.*md1 is YELLOW on server2/);
    clock += 60_000;
    expect(await driver().act({ kind: 'move-group', group: 'failover1', server: 'server2' })).toMatchObject({ ok: true });
    expect(readClusterState(lab).groups.failover1?.current).toBe('server2');
    expect((await run('server1', 'clpgrp', '-t', 'failover1')).stdout).toBe('Command succeeded.\n');
    expect(await run('server1', 'clpgrp', '-t', 'failover1')).toMatchObject({ exitCode: 1, stderr: 'The group has already been stopped.\n' });
  });

  it('3.1.2 (2): clpstdn powers every server off; the other agents see it', async () => {
    const seen: string[] = [];
    const stop = watchPowerOff(lab, 'server2', () => seen.push('server2'), 20);
    expect((await driver().act({ kind: 'stop-cluster' })).ok).toBe(true);
    expect(exits).toEqual(['server1']);
    const cluster = readClusterState(lab);
    expect(Object.values(cluster.servers).map((server) => server.state)).toEqual(['down', 'down']);
    expect(cluster.mirrors.md1).toEqual({ server1: 'GREEN', server2: 'GREEN' });
    expect(readNodeState(lab, 'server2').services.clusterpro?.running).toBe(false);
    await vi.waitFor(() => expect(seen).toEqual(['server2']));
    stop();
  });

  it('a failover takes the failover time: clpstat shows the group Online Pending, then Online on the next server', async () => {
    writeSimLab(lab, ['server1', 'server2'], { failoverMs: 3_000 });
    await run('server1', 'clpdown');
    const pending = await driver('server2').status();
    expect(pending.groups).toEqual([{ name: 'failover1', state: 'online-pending', stateText: 'Online Pending', currentServer: 'server2', resources: ['md1'] }]);
    clock += 2_999;
    expect((await driver('server2').status()).groups[0]?.state).toBe('online-pending');
    clock += 1;
    expect((await driver('server2').status()).groups).toEqual([{ name: 'failover1', state: 'online', stateText: 'Online', currentServer: 'server2', resources: ['md1'] }]);
  });

  it('a failover with no server holding an up-to-date copy: Online Pending with current None, then Offline', async () => {
    writeSimLab(lab, ['server1', 'server2'], { failoverMs: 2_000, mirrors: { md1: { server1: 'GREEN', server2: 'RED' } } });
    await run('server1', 'clpdown');
    expect((await driver('server2').status()).groups).toEqual([{ name: 'failover1', state: 'online-pending', stateText: 'Online Pending', currentServer: null, resources: ['md1'] }]);
    clock += 2_000;
    expect((await driver('server2').status()).groups).toEqual([{ name: 'failover1', state: 'offline', stateText: 'Offline', currentServer: null, resources: ['md1'] }]);
  });

  it('a group will not start where its mirror is stale until clpmdctrl -f forces that copy to be the latest', async () => {
    writeSimLab(lab, ['server1', 'server2'], {
      servers: { server1: { state: 'down' }, server2: { state: 'online' } },
      groups: { failover1: { current: null, state: 'offline', home: 'server1', servers: ['server1', 'server2'], mirrors: ['md1'] } },
      mirrors: { md1: { server1: 'GREEN', server2: 'RED' } },
    });
    expect(await run('server2', 'clpgrp', '-s', 'failover1')).toMatchObject({ exitCode: 1, stderr: expect.stringMatching(/^Failed to start one or more resources.*md1 is RED on server2/) });
    expect(await run('server2', 'clpmdctrl', '-f', 'server2', 'md1')).toMatchObject({ exitCode: 0, stdout: 'Command succeeded.\n' });
    expect(readClusterState(lab).mirrors.md1).toEqual({ server1: 'RED', server2: 'GREEN' });
    expect(await run('server2', 'clpgrp', '-s', 'failover1')).toMatchObject({ exitCode: 0 });
    expect((await driver('server2').status()).groups[0]).toMatchObject({ state: 'online', currentServer: 'server2' });
  });

  it('clpmdstat shows a resync under way: YELLOW, and the difference falling with the copy', async () => {
    writeSimLab(lab, ['server1', 'server2'], { mirrorSizeMb: { md1: 1_000 }, mirrorResyncMbPerSec: 100 });
    await run('server2', 'reboot');
    await bootNode(lab, 'server2', clock);
    const percent = async (): Promise<string> => /Difference Percent\s+(\d+%)/.exec((await run('server1', 'clpmdstat', '--mirror', 'md1')).stdout)?.[1] ?? 'none';
    expect(await percent()).toBe('100%');
    clock += 7_500;
    expect(await percent()).toBe('25%');
    expect(readClusterState(lab).mirrors.md1?.server2).toBe('YELLOW');
    clock += 2_500;
    expect((await run('server1', 'clpmdstat', '--mirror', 'md1')).stdout).toMatch(/Mirror Status: Normal/);
  });

  it('clpmdctrl -r starts a recovery when automatic recovery is off', async () => {
    writeSimLab(lab, ['server1', 'server2'], { autoMirrorRecovery: false });
    await run('server2', 'reboot');
    await bootNode(lab, 'server2', clock);
    expect(readClusterState(lab).mirrors.md1?.server2).toBe('RED');
    expect((await driver('server2').act({ kind: 'mirror-recover', mirror: 'md1' })).ok).toBe(true);
    expect(readClusterState(lab).mirrors.md1?.server2).toBe('YELLOW');
  });
});

describe('boot and node facts', () => {
  it('a reboot gives a new boot id, starts the enabled services and rejoins the cluster', async () => {
    const facts = new SimFacts(lab, 'server2', now);
    const before = await facts.bootId();
    await run('server2', '/etc/init.d/clusterpro_webmgr', 'stop');
    await run('server2', 'chkconfig', '--del', 'clusterpro_alertsync');
    await run('server2', 'shutdown', '-r', 'now');
    expect(readClusterState(lab).servers.server2?.state).toBe('down');
    clock += 5_000;
    const report = await bootNode(lab, 'server2', clock);
    expect(report).toMatchObject({ booted: true, bootCount: 2, serverState: 'online' });
    expect(report.started).not.toContain('clusterpro_alertsync');
    expect(await facts.bootId()).not.toBe(before);
    const services = readNodeState(lab, 'server2').services;
    expect(services.clusterpro_webmgr?.running).toBe(true);
    expect(services.clusterpro_alertsync?.running).toBe(false);
    clock += 7_000;
    expect(await facts.uptimeSeconds()).toBe(7);
    expect([await facts.hostname(), await facts.machine(), await facts.kernelRelease(), facts.os()]).toEqual(['server2', 'x86_64', '2.6.18-92.el5', 'linux']);
    expect((await bootNode(lab, 'server2', clock)).booted).toBe(false);
  });

  it('with clusterpro disabled (3.1.3.1 (2)) the rebooted server stays out of the cluster', async () => {
    await run('server2', 'chkconfig', '--del', 'clusterpro');
    await run('server2', 'clpdown');
    await bootNode(lab, 'server2', clock);
    expect(readClusterState(lab).servers.server2?.state).toBe('offline');
  });
});

describe('history, faults and timeouts', () => {
  it('writes one history line per command, with fractional epoch ms and the argv as received', async () => {
    const before = performance.timeOrigin + performance.now();
    await run('server1', 'clpstat');
    await run('server2', 'nosuchprogram', '--x');
    const history = readHistory(lab);
    expect(history.map(({ node, argv, exit }) => ({ node, argv, exit }))).toEqual([
      { node: 'server1', argv: ['clpstat'], exit: 0 },
      { node: 'server2', argv: ['nosuchprogram', '--x'], exit: 127 },
    ]);
    expect(history[0]?.t).toBeGreaterThanOrEqual(before);
    expect(Number.isInteger(history[0]?.t)).toBe(false);
  });

  it('fail: the command fails without effect, as many times as asked', async () => {
    setFaults('server1', [{ match: ['chkconfig', '--del'], mode: 'fail', exitCode: 5, stderr: 'boom\n', times: 2 }]);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      expect(await run('server1', 'chkconfig', '--del', 'clusterpro_evt')).toMatchObject({ exitCode: 5, stderr: 'boom\n' });
    }
    expect(readNodeState(lab, 'server1').services.clusterpro_evt?.enabled).toBe(true);
    expect(readNodeState(lab, 'server1').faults).toEqual([]);
    expect((await run('server1', 'chkconfig', '--del', 'clusterpro_evt')).exitCode).toBe(0);
    expect(readHistory(lab).map((entry) => entry.exit)).toEqual([5, 5, 0]);
  });

  it('hang: no answer until the timeout, then a killed result', async () => {
    setFaults('server1', [{ match: ['clpstat'], mode: 'hang' }]);
    const result = await sim().run({ argv: ['clpstat'], timeoutMs: 100 });
    expect(result).toMatchObject({ exitCode: 137, timedOut: true, stdout: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(95);
    expect(readHistory(lab).at(-1)).toMatchObject({ argv: ['clpstat'], exit: 137 });
  });

  it('slow before: a delay longer than the timeout times out with no effect', async () => {
    setFaults('server1', [{ match: ['chkconfig'], mode: 'slow', delayMs: 500 }]);
    const result = await sim().run({ argv: ['chkconfig', '--del', 'clusterpro_evt'], timeoutMs: 50 });
    expect(result).toMatchObject({ timedOut: true, exitCode: 137 });
    expect(readNodeState(lab, 'server1').services.clusterpro_evt?.enabled).toBe(true);
    const slow = await sim().run({ argv: ['chkconfig', '--del', 'clusterpro_evt'], timeoutMs: 5_000 });
    expect(slow).toMatchObject({ timedOut: false, exitCode: 0 });
    expect(slow.durationMs).toBeGreaterThanOrEqual(495);
  });

  it('slow after: the effect and its history line come first, the answer later', async () => {
    setFaults('server1', [{ match: ['chkconfig', '--del'], mode: 'slow', delayMs: 300, when: 'after' }]);
    const answer = sim().run({ argv: ['chkconfig', '--del', 'clusterpro_evt'], timeoutMs: 5_000 });
    await vi.waitFor(() => expect(readHistory(lab)).toHaveLength(1), { timeout: 250, interval: 10 });
    expect(readNodeState(lab, 'server1').services.clusterpro_evt?.enabled).toBe(false);
    expect(await answer).toMatchObject({ exitCode: 0, timedOut: false });
  });

  it('keeps only the tail of long output, as ProcessExecutor does', async () => {
    const result = await sim().run({ argv: ['clpstat'], maxOutputBytes: 20 });
    expect(result.truncated).toBe(true);
    expect(result.stdout).toHaveLength(20);
  });
});

/** `2008/10/22 10:12:51` in this machine's zone, as clpmdstat prints it. */
function localTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}/${two(date.getMonth() + 1)}/${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
