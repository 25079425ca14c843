// The simulated node with the real rpm (SPEC §9): the node's own database via --dbpath,
// --ignorearch for foreign architectures, the agent's argv in history. And the emulated
// rpm, given the same packages, answers every command exactly as the real one does.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpmDriver } from '../../agent/drivers/package/rpm-driver.js';
import { RPM_QUERY_FORMAT } from '../../agent/drivers/package/rpm-queryformat.js';
import { ProcessExecutor } from '../../agent/exec/process-executor.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { writeEmulatedRpm } from '../../lab/state/emulated-rpm-file.js';
import { readHistory, readNodeState, writeNodeState } from '../../lab/state/lab-state.js';
import { findOnPath, haveTools } from '../support/require-tool.js';
import { buildClusterproRpms, initRpmDb, type RpmSpec } from '../support/rpm-packages.js';
import { writeSimLab } from '../support/sim-lab.js';
import { makeTempDir } from '../support/temp-dir.js';

const SPECS: RpmSpec[] = [
  { version: '2.0.0', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' },
  { version: '2.1.3', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' },
  { version: '2.1.3', release: '1', arch: 'ia64', summary: 'CLUSTERPRO X 2.1 for Linux(ia64)' },
];
/** Debian's rpm warns on every transaction (REFERENCE.md); a RHEL rpm, which the emulation is, does not. */
const DEBIAN_WARNING = /^rpm: (RPM should not be used directly|However assuming you know).*\n/gm;

describe.skipIf(!haveTools('rpm', 'rpmbuild'))('simulated node with the real rpm', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let lab: string;
  let real: SimExecutor;
  let emulated: SimExecutor;
  const realFiles: Record<string, string> = {};
  const emulatedFiles: Record<string, string> = {};

  beforeAll(async () => {
    temp = makeTempDir('lockstep-sim-rpm-');
    lab = temp.dir;
    writeSimLab(lab, ['server1', 'server2']);
    const built = await buildClusterproRpms(join(lab, 'packages', 'real'), SPECS);
    for (const spec of SPECS) {
      const label = `clusterpro-${spec.version}-${spec.release}.${spec.arch}`;
      realFiles[label] = built[label] as string;
      emulatedFiles[label] = join(lab, 'packages', 'emulated', `${label}.rpm`);
      writeEmulatedRpm(emulatedFiles[label], { name: 'clusterpro', ...spec });
    }
    const server1 = readNodeState(lab, 'server1');
    await initRpmDb(server1.rpmDbPath);
    writeNodeState(lab, { ...server1, rpm: 'real' });
    // The emulated node starts as the real one does: 2.0.0-1 installed by rpm -i.
    writeNodeState(lab, { ...readNodeState(lab, 'server2'), packages: {} });
    const rpmPath = findOnPath('rpm');
    const realRpm = rpmPath === undefined ? undefined : { path: rpmPath, executor: new ProcessExecutor() };
    real = new SimExecutor({ labDir: lab, node: 'server1', realRpm });
    emulated = new SimExecutor({ labDir: lab, node: 'server2', realRpm });
  });

  afterAll(() => temp?.remove());

  it('runs rpm against the node’s database, and history keeps the argv the agent sent', async () => {
    const install = await real.run({ argv: ['rpm', '-i', realFiles['clusterpro-2.0.0-1.x86_64'] as string], timeoutMs: 30_000 });
    expect(install.exitCode).toBe(0);
    const direct = await new ProcessExecutor().run({ argv: ['rpm', '--dbpath', readNodeState(lab, 'server1').rpmDbPath, '-q', 'clusterpro'], timeoutMs: 30_000 });
    expect(direct.stdout).toBe('clusterpro-2.0.0-1.x86_64\n');
    expect(readHistory(lab).at(-1)).toMatchObject({ node: 'server1', argv: ['rpm', '-i', realFiles['clusterpro-2.0.0-1.x86_64']], exit: 0 });
  });

  it('the real RpmDriver upgrades through it, and an ia64 package installs (--ignorearch)', async () => {
    const driver = new RpmDriver({ executor: real, timeoutMs: 30_000 });
    const upgrade = await driver.apply({ action: 'upgrade', path: realFiles['clusterpro-2.1.3-1.x86_64'] as string, testOnly: false, force: false });
    expect(upgrade).toMatchObject({ ok: true, packageChange: { after: { version: '2.1.3', arch: 'x86_64' } } });
    const foreign = await driver.apply({ action: 'downgrade', path: realFiles['clusterpro-2.1.3-1.ia64'] as string, testOnly: false, force: true });
    expect(foreign).toMatchObject({ ok: true, packageChange: { after: { version: '2.1.3', arch: 'ia64' } } });
    const back = await driver.apply({ action: 'downgrade', path: realFiles['clusterpro-2.0.0-1.x86_64'] as string, testOnly: false, force: true });
    expect(back).toMatchObject({ ok: true, packageChange: { after: { version: '2.0.0', arch: 'x86_64' } } });
  });

  it('the emulated rpm answers as the real one, command by command', async () => {
    // server1 (real) holds 2.0.0-1.x86_64 now; bring the emulated node to the same state.
    await emulated.run({ argv: ['rpm', '-i', emulatedFiles['clusterpro-2.0.0-1.x86_64'] as string] });
    const steps: ((file: (label: string) => string) => string[])[] = [
      () => ['rpm', '-q', '--queryformat', RPM_QUERY_FORMAT, 'clusterpro', 'nosuch'],
      (file) => ['rpm', '-qp', '--queryformat', RPM_QUERY_FORMAT, file('clusterpro-2.1.3-1.ia64')],
      (file) => ['rpm', '-i', file('clusterpro-2.0.0-1.x86_64')],
      (file) => ['rpm', '-U', '--test', file('clusterpro-2.1.3-1.x86_64')],
      (file) => ['rpm', '-U', file('clusterpro-2.1.3-1.x86_64')],
      (file) => ['rpm', '-U', file('clusterpro-2.1.3-1.x86_64')],
      (file) => ['rpm', '-U', file('clusterpro-2.0.0-1.x86_64')],
      (file) => ['rpm', '-U', '--oldpackage', file('clusterpro-2.0.0-1.x86_64')],
      (file) => ['rpm', '-i', file('clusterpro-2.1.3-1.x86_64')],
      () => ['rpm', '-q', '--queryformat', '%{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n', 'clusterpro'],
      () => ['rpm', '-e', 'clusterpro'],
      () => ['rpm', '-e', '--test', 'clusterpro-2.1.3'],
      () => ['rpm', '-e', 'clusterpro-2.1.3-1'],
      () => ['rpm', '-e', 'nosuch'],
      (file) => ['rpm', '-U', `${file('clusterpro-2.0.0-1.x86_64')}.missing`],
      () => ['rpm', '-q', 'clusterpro'],
    ];
    for (const step of steps) {
      const onReal = await real.run({ argv: step((label) => realFiles[label] as string), timeoutMs: 30_000 });
      const onEmulated = await emulated.run({ argv: step((label) => emulatedFiles[label] as string), timeoutMs: 30_000 });
      const comparable = (result: typeof onReal, files: Record<string, string>) => ({
        argv: result.argv.map((arg) => Object.entries(files).find(([, path]) => arg.startsWith(path))?.[0] ?? arg).join(' '),
        exitCode: result.exitCode,
        stdout: result.stdout.replace(/\|\d{9,}\|/g, '|INSTALLTIME|'),
        stderr: result.stderr.replace(DEBIAN_WARNING, '').replaceAll(files['clusterpro-2.0.0-1.x86_64'] as string, 'FILE'),
      });
      expect(comparable(onEmulated, emulatedFiles)).toEqual(comparable(onReal, realFiles));
    }
  });

  it('a package’s files, scriptlets and triggers reach the node’s database, never the host', async () => {
    // The lab's rpm runs on the host, as root in CI: a package someone swapped into the lab
    // must not run its %pre on the host (docs/security.md, "Directories someone else made").
    const host = join(temp.dir, 'host');
    mkdirSync(host);
    const intruder = buildIntruderRpm(join(temp.dir, 'intruder'), host);
    const install = await real.run({ argv: ['rpm', '-i', intruder], timeoutMs: 30_000 });
    expect(install.exitCode, install.stderr).toBe(0);
    const query = await real.run({ argv: ['rpm', '-q', 'lab-intruder'], timeoutMs: 30_000 });
    expect(query.stdout).toBe('lab-intruder-1-1.noarch\n');
    const erase = await real.run({ argv: ['rpm', '-e', 'lab-intruder'], timeoutMs: 30_000 });
    expect(erase.exitCode, erase.stderr).toBe(0);
    expect(readdirSync(host)).toEqual([]);
    expect(existsSync(join(host, 'payload'))).toBe(false);
  });
});

/**
 * A noarch rpm whose payload lands in `host` and whose every scriptlet creates a file there.
 * Lua scriptlets run inside rpm itself: no /bin/sh dependency stands in their way.
 */
function buildIntruderRpm(topdir: string, host: string): string {
  mkdirSync(topdir, { recursive: true });
  const spec = join(topdir, 'intruder.spec');
  const touch = (name: string): string => `io.open("${join(host, name)}", "w"):close()`;
  writeFileSync(
    spec,
    [
      'Name: lab-intruder',
      'Version: 1',
      'Release: 1',
      'Summary: runs scriptlets on whoever installs it',
      'License: none',
      'BuildArch: noarch',
      '%description',
      'test',
      '%install',
      `mkdir -p %{buildroot}${host}`,
      `echo payload > %{buildroot}${host}/payload`,
      '%pre -p <lua>',
      touch('pre'),
      '%post -p <lua>',
      touch('post'),
      '%preun -p <lua>',
      touch('preun'),
      '%postun -p <lua>',
      touch('postun'),
      '%triggerin -p <lua> -- clusterpro',
      touch('trigger'),
      '%files',
      `${host}/payload`,
      '',
    ].join('\n'),
  );
  execFileSync('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${topdir}`, '--define', `_rpmdir ${topdir}`, '--define', '_build_name_fmt intruder.rpm', spec], { timeout: 60_000, stdio: 'pipe' });
  return join(topdir, 'intruder.rpm');
}
