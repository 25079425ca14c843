// The rpm driver against the real rpm 4.18 and a private database: the manual's install,
// update and downgrade (sections 3.1.1, 3.1.2, 6) on real, empty CLUSTERPRO packages. Each
// test starts from a new database with what it needs installed, so any order works.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RpmDriver } from '../../agent/drivers/package/rpm-driver.js';
import { ProcessExecutor } from '../../agent/exec/process-executor.js';
import { packageLabel, type PackageInfo, type PackageRequest } from '../../shared/domain/package.js';
import { buildClusterproRpms, initRpmDb } from '../support/rpm-packages.js';
import { haveTools } from '../support/require-tool.js';

const label = (info: PackageInfo | undefined): string => (info ? packageLabel(info) : 'nothing');

describe.skipIf(!haveTools('rpm', 'rpmbuild'))('RpmDriver with the real rpm and a private database', () => {
  let dir: string;
  let dbPath: string;
  let databases = 0;
  let rpms: Record<string, string>;
  let driver: RpmDriver;
  const old = (): string => rpms['clusterpro-2.0.0-1.x86_64'] ?? '';
  const update = (): string => rpms['clusterpro-2.1.3-1.x86_64'] ?? '';
  const apply = (request: PackageRequest) => driver.apply(request);
  /** The database starts with this package installed. */
  const given = async (path: string): Promise<void> => {
    expect((await apply({ action: 'install', path })).ok).toBe(true);
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lockstep-rpm-'));
    dbPath = join(dir, 'rpmdb');
    rpms = await buildClusterproRpms(join(dir, 'rpms'), [
      { version: '2.0.0', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' },
      { version: '2.1.3', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' },
      { version: '2.1.3', release: '1', arch: 'ia64', summary: 'CLUSTERPRO X 2.1 for Linux(ia64)' },
    ]);
  });

  beforeEach(async () => {
    databases += 1;
    dbPath = join(dir, `rpmdb-${databases}`);
    await initRpmDb(dbPath);
    driver = new RpmDriver({ executor: new ProcessExecutor(), dbPath, timeoutMs: 30_000 });
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('reads the update file as the manual names it', async () => {
    expect(await driver.inspectFile(update())).toMatchObject({
      installed: false,
      name: 'clusterpro',
      version: '2.1.3',
      release: '1',
      arch: 'x86_64',
      summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)',
      installTime: 0,
    });
  });

  it('finds nothing installed in a new database', async () => {
    expect(await driver.query('clusterpro')).toMatchObject({ installed: false, name: 'clusterpro' });
  });

  it('3.1.1: installs 2.0.0-1 with rpm -i', async () => {
    const result = await apply({ action: 'install', path: old() });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(result.commands.map((command) => command.argv)).toEqual([['rpm', '--dbpath', dbPath, '-i', old()]]);
    expect(label(result.packageChange?.before)).toBe('clusterpro (not installed)');
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.0.0-1.x86_64');
    const installed = await driver.query('clusterpro');
    expect(installed).toMatchObject({ installed: true, version: '2.0.0', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' });
    expect(installed.installTime).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('3.1.2: upgrades to 2.1.3-1 with rpm -U', async () => {
    await given(old());
    const result = await apply({ action: 'upgrade', path: update() });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(label(result.packageChange?.before)).toBe('clusterpro-2.0.0-1.x86_64');
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.1.3-1.x86_64');
  });

  it('refuses the same upgrade again, cleanly', async () => {
    await given(update());
    const result = await apply({ action: 'upgrade', path: update() });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/exited with \d+: package clusterpro-2\.1\.3-1\.x86_64 is already installed$/);
    expect(result.message).not.toMatch(/Alien/);
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.1.3-1.x86_64');
  });

  it('refuses an older package given as an upgrade', async () => {
    await given(update());
    const result = await apply({ action: 'upgrade', path: old() });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/package clusterpro-2\.1\.3-1\.x86_64 \(which is newer than clusterpro-2\.0\.0-1\.x86_64\) is already installed$/);
  });

  it('test_only runs --test and changes nothing', async () => {
    await given(update());
    const result = await apply({ action: 'downgrade', path: old(), testOnly: true });
    expect(result.ok).toBe(true);
    expect(result.commands[0]?.argv).toEqual(['rpm', '--dbpath', dbPath, '-U', '--oldpackage', '--test', old()]);
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.1.3-1.x86_64');
    expect(label(await driver.query('clusterpro'))).toBe('clusterpro-2.1.3-1.x86_64');
  });

  it('downgrades with --oldpackage', async () => {
    await given(update());
    const result = await apply({ action: 'downgrade', path: old() });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.0.0-1.x86_64');
  });

  it('6: downgrades with --force, the manual\'s way', async () => {
    await given(update());
    const result = await apply({ action: 'downgrade', path: old(), force: true });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(result.commands[0]?.argv).toEqual(['rpm', '--dbpath', dbPath, '-U', '--force', old()]);
    expect(label(result.packageChange?.before)).toBe('clusterpro-2.1.3-1.x86_64');
    expect(label(result.packageChange?.after)).toBe('clusterpro-2.0.0-1.x86_64');
  });

  it('removes with rpm -e, and a second removal fails cleanly', async () => {
    await given(old());
    const result = await apply({ action: 'remove', name: 'clusterpro' });
    expect(result).toMatchObject({ ok: true, packageChange: { after: { installed: false } } });
    const again = await apply({ action: 'remove', name: 'clusterpro' });
    expect(again).toMatchObject({ ok: false, message: expect.stringMatching(/error: package clusterpro is not installed$/) });
  });

  it('installs a foreign architecture (the lab\'s IA64 node) only with --ignorearch', async () => {
    const ia64 = rpms['clusterpro-2.1.3-1.ia64'] ?? '';
    const refused = await apply({ action: 'install', path: ia64 });
    expect(refused.message).toMatch(/package clusterpro-2\.1\.3-1\.ia64 is intended for a different architecture$/);
    const lab = new RpmDriver({ executor: new ProcessExecutor(), dbPath, extraArgs: ['--ignorearch'] });
    const result = await lab.apply({ action: 'install', path: ia64, testOnly: false, force: false });
    expect(result).toMatchObject({ ok: true, packageChange: { after: { arch: 'ia64', summary: 'CLUSTERPRO X 2.1 for Linux(ia64)' } } });
    expect((await lab.apply({ action: 'remove', name: 'clusterpro', testOnly: false })).ok).toBe(true);
  });
});
