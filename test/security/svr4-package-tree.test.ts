// docs/security.md §2 on Solaris: a package is a directory tree pkgadd reads file by file, so
// the rules the agent applies to one rpm file apply to every entry of the tree. A symlink
// anywhere inside (which pkgadd would follow to a file outside every --package-dir), a
// directory a local user can write to, a tree too large to walk, and a tree changed after
// the plan pinned its digest are all refused before pkgadd runs; the RTR the preflight reads
// from inside a package follows no symlink either.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_TREE_ENTRIES } from '../../agent/package-tree.js';
import type { OpContext } from '../../shared/domain/operation.js';
import { readFixture } from '../support/fixture.js';
import { inProcessSolarisAgent, type InProcessAgent } from '../support/in-process-agent.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { writeSvr4PackageDir } from '../support/svr4-package-dir.js';
import { makeTempDir } from '../support/temp-dir.js';

const RTR = 'RESOURCE_TYPE = "app";\nVENDOR_ID = LAB;\nRT_VERSION = "2.0";\n';
let step = 0;
const op = (): OpContext => ({ opId: `tree-run/step-${++step}/phys-schost-1/1`, runId: 'tree-run', epoch: 1 });
const PACKAGE_COMMANDS = new Set(['pkginfo', 'pkgadd', 'pkgrm']);

describe('SVR4 package directories under the path guard', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let packages: string;
  let pkg: string;
  let executor: ScriptedExecutor;
  let agent: InProcessAgent;
  const packageCommands = (): string[][] => executor.argvs.filter((argv) => PACKAGE_COMMANDS.has(argv[0] as string));

  beforeEach(async () => {
    temp = makeTempDir('lockstep-svr4-tree-');
    packages = join(temp.dir, 'packages');
    pkg = writeSvr4PackageDir(packages, { reloc: { 'LABapp/etc/LAB.app': RTR, 'LABapp/bin/app_start': '#!/bin/sh\n' } });
    executor = new ScriptedExecutor([
      { match: 'uname -s', answer: { stdout: 'SunOS\n' } },
      { match: 'uname -r', answer: { stdout: '5.10\n' } },
      { match: 'cat /etc/cluster/release', answer: { stdout: 'Sun Cluster 3.2u3 for Solaris 10 sparc\n' } },
      { match: /^pkginfo -l/, answer: { stdout: readFixture('solaris/pkginfo-l.txt') } },
      { match: /^cl/, answer: { exitCode: 1, stderr: 'clnode:  (C152734) This node is not in cluster mode.\n' } },
      { match: () => true, answer: {} },
    ]);
    agent = await inProcessSolarisAgent({ executor, dir: temp.dir, packageDirs: [packages] });
  });

  afterEach(() => {
    agent.close();
    temp.remove();
  });

  it('refuses a symlink anywhere inside the tree, naming it', async () => {
    const link = join(pkg, 'reloc', 'LABapp', 'etc', 'shadow');
    symlinkSync('/etc/shadow', link);
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'path', message: expect.stringContaining(`${link} is a symbolic link`) });
    await expect(agent.service.applyPackage(op(), { action: 'install', path: pkg })).rejects.toMatchObject({ field: 'path' });
    expect(packageCommands()).toEqual([]);
  });

  it('refuses a symlinked package directory and a symlinked directory on the way to the RTR', async () => {
    symlinkSync(pkg, join(packages, 'LABlink'));
    await expect(agent.service.inspectPackageFile(join(packages, 'LABlink'))).rejects.toMatchObject({ message: expect.stringContaining('is a symbolic link') });
    writeSvr4PackageDir(packages, { pkg: 'LABother' });
    mkdirSync(join(packages, 'LABother', 'reloc'));
    symlinkSync(join(pkg, 'reloc', 'LABapp'), join(packages, 'LABother', 'reloc', 'LABapp'));
    await expect(agent.service.readPackageFile(join(packages, 'LABother'), '/opt/LABapp/etc/LAB.app')).rejects.toMatchObject({
      field: 'installed_path',
      message: expect.stringContaining('is a symbolic link'),
    });
  });

  it('refuses a directory inside the tree that group or others can write to', async () => {
    const bin = join(pkg, 'reloc', 'LABapp', 'bin');
    chmodSync(bin, 0o777);
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNTRUSTED_PATH', message: expect.stringContaining(`${bin} is writable by group and others`) });
    chmodSync(bin, 0o755);
    chmodSync(join(bin, 'app_start'), 0o646);
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNTRUSTED_PATH', message: expect.stringContaining('app_start is writable by others') });
    expect(packageCommands()).toEqual([]);
  });

  it('refuses a world-writable package directory itself', async () => {
    chmodSync(pkg, 0o777);
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNTRUSTED_PATH' });
  });

  it(`refuses a tree of more than ${MAX_TREE_ENTRIES} entries without walking on`, async () => {
    const many = join(pkg, 'reloc', 'many');
    mkdirSync(many);
    for (let index = 0; index <= MAX_TREE_ENTRIES; index++) writeFileSync(join(many, `f${index}`), '');
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ field: 'path', message: expect.stringContaining(`more than ${MAX_TREE_ENTRIES} entries`) });
    expect(packageCommands()).toEqual([]);
  });

  it('refuses a fifo, a directory without pkginfo, and a file that is no datastream', async () => {
    execFileSync('mkfifo', [join(pkg, 'reloc', 'fifo')], { timeout: 10_000 });
    await expect(agent.service.inspectPackageFile(pkg)).rejects.toMatchObject({ message: expect.stringContaining('neither a directory nor a regular file') });
    mkdirSync(join(packages, 'empty'));
    await expect(agent.service.inspectPackageFile(join(packages, 'empty'))).rejects.toMatchObject({ message: expect.stringContaining('holds no pkginfo') });
    writeFileSync(join(packages, 'LABapp.tar'), 'x');
    await expect(agent.service.inspectPackageFile(join(packages, 'LABapp.tar'))).rejects.toMatchObject({ message: expect.stringContaining('not ending in .pkg') });
    writeFileSync(join(packages, 'LABapp.pkg'), '# PaCkAgE DaTaStReAm\nLABapp 1 512\n# end of header\n');
    await expect(agent.service.inspectPackageFile(join(packages, 'LABapp.pkg'))).resolves.toMatchObject({ package: { name: 'LABapp' } });
  });

  it('refuses a tree changed after the plan pinned its digest: a file, a mode, or an added entry', async () => {
    const pinned = (await agent.service.inspectPackageFile(pkg)).sha256;
    expect((await agent.service.inspectPackageFile(pkg)).sha256).toBe(pinned);
    const changes: Array<() => void> = [
      () => writeFileSync(join(pkg, 'reloc', 'LABapp', 'bin', 'app_start'), '#!/bin/sh\nrm -rf /\n'),
      () => chmodSync(join(pkg, 'pkgmap'), 0o600),
      () => writeFileSync(join(pkg, 'reloc', 'LABapp', 'bin', 'extra'), ''),
    ];
    for (const change of changes) {
      change();
      await expect(agent.service.applyPackage(op(), { action: 'install', path: pkg, expectedSha256: pinned })).rejects.toMatchObject({ code: 'LOCKSTEP_E_DIGEST_MISMATCH' });
    }
    expect(packageCommands().filter((argv) => argv[0] === 'pkgadd')).toEqual([]);
  });

  it('reads an RTR of at most 256 KiB, and only a text file', async () => {
    writeFileSync(join(pkg, 'reloc', 'LABapp', 'etc', 'LAB.app'), 'x'.repeat(256 * 1024 + 1));
    await expect(agent.service.readPackageFile(pkg, '/opt/LABapp/etc/LAB.app')).rejects.toMatchObject({ message: expect.stringContaining('at most 262144') });
    writeFileSync(join(pkg, 'reloc', 'LABapp', 'etc', 'LAB.app'), Buffer.from([0x52, 0, 0x54]));
    await expect(agent.service.readPackageFile(pkg, '/opt/LABapp/etc/LAB.app')).rejects.toMatchObject({ message: expect.stringContaining('not a text file') });
  });
});
