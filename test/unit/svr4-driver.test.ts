// The SVR4 package driver: pkginfo -l / pkgadd / pkgrm argv with the agent's admin file, the
// package verified before and after, and what pkgadd cannot do refused up front.
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ADMIN_FILE_CONTENT, Svr4Driver, writeAdminFile } from '../../agent/drivers/package/svr4-driver.js';
import { readFixture } from '../support/fixture.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';

const ADMIN = '/var/lib/lockstep-agent/pkgadd.admin';
const INSTALLED_2 = readFixture('solaris/pkginfo-l.txt');
const INSTALLED_1 = INSTALLED_2.replace('2.0,REV=2008.10.22', '1.0,REV=2007.01.10');
const NOT_FOUND = { exitCode: 1, stderr: 'ERROR: information for "LABapp" was not found\n' };

/** pkginfo answers from `installed` (changed by pkgadd/pkgrm), the spool directory holds version 2.0. */
function node(initially: string | undefined, pkgaddExit = 0): ScriptedExecutor {
  let installed = initially;
  return new ScriptedExecutor([
    { match: 'pkginfo -l -d /srv/updates LABapp', answer: { stdout: INSTALLED_2 } },
    { match: 'pkginfo -l LABapp', answer: () => (installed === undefined ? NOT_FOUND : { stdout: installed }) },
    {
      match: /^pkgadd /,
      answer: () => {
        if (pkgaddExit === 0) installed = INSTALLED_2;
        return { exitCode: pkgaddExit, stdout: pkgaddExit === 0 ? 'Installation of <LABapp> was successful.\n' : '', stderr: pkgaddExit === 0 ? '' : 'pkgadd: ERROR: unable to install <LABapp>\n' };
      },
    },
    {
      match: /^pkgrm /,
      answer: () => {
        installed = undefined;
        return { stdout: 'Removal of <LABapp> was successful.\n' };
      },
    },
  ]);
}

describe('Svr4Driver', () => {
  it('queries with pkginfo -l, and reads "not found" as not installed', async () => {
    expect(await new Svr4Driver({ executor: node(INSTALLED_1), adminFile: ADMIN }).query('LABapp')).toMatchObject({ installed: true, name: 'LABapp', version: '1.0', release: 'REV=2007.01.10', arch: 'sparc' });
    expect(await new Svr4Driver({ executor: node(undefined), adminFile: ADMIN }).query('LABapp')).toMatchObject({ installed: false, name: 'LABapp' });
  });

  it('upgrades a package directory with pkgadd -d PARENT PKG and the admin file, checking the version after', async () => {
    const executor = node(INSTALLED_1);
    const result = await new Svr4Driver({ executor, adminFile: ADMIN }).apply({ action: 'upgrade', path: '/srv/updates/LABapp' });
    expect(result).toMatchObject({ ok: true, message: '' });
    expect(result.packageChange?.before.version).toBe('1.0');
    expect(result.packageChange?.after.version).toBe('2.0');
    expect(result.commands.map((command) => command.argv)).toEqual([['pkgadd', '-n', '-a', ADMIN, '-d', '/srv/updates', 'LABapp']]);
  });

  it('removes first on a downgrade, and removes with pkgrm -n -a ADMIN', async () => {
    const downgrade = node(INSTALLED_2);
    const result = await new Svr4Driver({ executor: downgrade, adminFile: ADMIN }).apply({ action: 'downgrade', path: '/srv/updates/LABapp' });
    expect(result.commands.map((command) => command.argv[0])).toEqual(['pkgrm', 'pkgadd']);
    const remove = node(INSTALLED_2);
    const removed = await new Svr4Driver({ executor: remove, adminFile: ADMIN }).apply({ action: 'remove', name: 'LABapp' });
    expect(removed).toMatchObject({ ok: true, packageChange: { after: { installed: false } } });
    expect(removed.commands.map((command) => command.argv)).toEqual([['pkgrm', '-n', '-a', ADMIN, 'LABapp']]);
  });

  it('reports a failed pkgadd with its message and the unchanged package', async () => {
    const result = await new Svr4Driver({ executor: node(INSTALLED_1, 1), adminFile: ADMIN }).apply({ action: 'upgrade', path: '/srv/updates/LABapp' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/exited with 1.*unable to install <LABapp>/);
    expect(result.packageChange?.after.version).toBe('1.0');
  });

  it('refuses a test-only transaction and a directory not named after its package, running nothing that changes the node', async () => {
    const executor = node(INSTALLED_1);
    const driver = new Svr4Driver({ executor, adminFile: ADMIN });
    await expect(driver.apply({ action: 'upgrade', path: '/srv/updates/LABapp', testOnly: true })).rejects.toThrow(expect.objectContaining({ code: 'LOCKSTEP_E_UNSUPPORTED', field: 'test_only' }));
    const renamed = new ScriptedExecutor([{ match: 'pkginfo -l -d /srv/updates LABapp-new', answer: { stdout: INSTALLED_2 } }]);
    await expect(new Svr4Driver({ executor: renamed, adminFile: ADMIN }).apply({ action: 'upgrade', path: '/srv/updates/LABapp-new' })).rejects.toThrow(/holds package LABapp.*must be named LABapp/);
    expect(executor.argvs.filter((argv) => argv[0] !== 'pkginfo')).toEqual([]);
  });

  it('writes its own non-interactive admin file, readable by root only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'svr4-admin-'));
    const path = await writeAdminFile(dir);
    expect(readFileSync(path, 'utf8')).toBe(ADMIN_FILE_CONTENT);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(ADMIN_FILE_CONTENT).toMatch(/^instance=overwrite$/m);
    expect(ADMIN_FILE_CONTENT).toMatch(/^action=nocheck$/m);
  });
});
