// docs/security.md §2: the agent checked a package path and then handed rpm the path, which rpm
// opened again for -qp and again for -U — and glob-expanded. Reproduced: a real file
// `[g]oodpkg.rpm` beside a symlink `goodpkg.rpm` to a package outside every --package-dir;
// `rpm -U …/[g]oodpkg.rpm` installed the symlink's target and InspectPackageFile returned the
// digest of one file with the header of the other. Now the file is opened once (no symlink
// followed), copied, hashed, and rpm reads only the copy; the plan pins the digest; and a
// package directory a local user can write to is refused.
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/agent-server.js';
import { silentLogger } from '../../shared/logger.js';
import { agentConfig, makePki, startTestAgent, type Pki, type TestAgent } from '../support/agent-harness.js';
import { RecordingExecutor } from '../support/recording-executor.js';
import { haveTools } from '../support/require-tool.js';
import { buildClusterproRpms, initRpmDb } from '../support/rpm-packages.js';
import { makeTempDir } from '../support/temp-dir.js';
import { canCreateUsers, createUnprivilegedUser, type UnprivilegedUser } from '../support/unprivileged-user.js';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
let step = 0;
const op = () => ({ opId: `pkg-run/step-${++step}/server1/1`, runId: 'pkg-run', epoch: 1 });

describe.skipIf(!haveTools('rpm', 'rpmbuild'))('package files: opened once, rpm reads only the checked bytes', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let harness: TestAgent;
  let executor: RecordingExecutor;
  let packages: string;
  let good: string;
  let evil: string;

  beforeAll(async () => {
    temp = makeTempDir();
    packages = join(temp.dir, 'packages');
    const outside = join(temp.dir, 'outside');
    mkdirSync(packages);
    const built = await buildClusterproRpms(outside, [
      { version: '2.1.3', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' },
      { version: '6.6.6', release: '1', arch: 'x86_64', summary: 'not the vendor update' },
    ]);
    good = join(packages, 'clusterpro-2.1.3-1.x86_64.rpm');
    copyFileSync(built['clusterpro-2.1.3-1.x86_64'] as string, good);
    evil = built['clusterpro-6.6.6-1.x86_64'] as string;
    // The reproduction: a real file whose name is a glob matching the symlink beside it.
    copyFileSync(good, join(packages, '[g]oodpkg.rpm'));
    symlinkSync(evil, join(packages, 'goodpkg.rpm'));
    const rpmDb = join(temp.dir, 'rpmdb');
    await initRpmDb(rpmDb);
    executor = new RecordingExecutor();
    harness = await startTestAgent({ root: temp.dir, pki: await makePki(join(temp.dir, 'pki')), packageDirs: [packages], rpmDbPath: rpmDb, environment: { executor } });
  }, 60_000);

  afterAll(async () => {
    await harness?.stop();
    temp?.remove();
  });

  it('refuses glob characters, whitespace and control characters in a path, naming path, before rpm runs', async () => {
    const before = executor.argvs.length;
    for (const name of ['[g]oodpkg.rpm', 'good*.rpm', 'good?.rpm', '{good}.rpm', 'good pkg.rpm', 'good\tpkg.rpm', 'good\u001bpkg.rpm']) {
      await expect(harness.client.inspectPackageFile(join(packages, name))).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'path' });
      await expect(harness.client.applyPackage(op(), { action: 'upgrade', path: join(packages, name) })).rejects.toMatchObject({
        code: 'LOCKSTEP_E_INVALID_ARGUMENT',
        field: 'path',
        message: expect.stringMatching(/may not contain \* \? \[ \] \{ \}, whitespace or control characters/),
      });
    }
    expect(executor.argvs.length).toBe(before);
  });

  it('follows no symlink: the link beside the glob-named file is refused', async () => {
    await expect(harness.client.inspectPackageFile(join(packages, 'goodpkg.rpm'))).rejects.toMatchObject({ field: 'path', message: expect.stringMatching(/is a symbolic link/) });
  });

  it('reports the digest and the header of the same bytes, read from a copy rpm alone sees', async () => {
    const inspected = await harness.client.inspectPackageFile(good);
    expect(inspected.sha256).toBe(sha256(good));
    expect(inspected.package.version).toBe('2.1.3');
    const query = executor.argvs.at(-1) as string[];
    expect(query).toContain('-qp');
    expect(query.at(-1)).toMatch(new RegExp(`^${harness.config.stateDir}/staging/[0-9a-f]{24}/clusterpro-2\\.1\\.3-1\\.x86_64\\.rpm$`));
    expect(readdirSync(join(harness.config.stateDir, 'staging'))).toEqual([]);
  });

  it('refuses a file that changed after the plan (FAILED_PRECONDITION naming sha256), before rpm runs', async () => {
    const planned = (await harness.client.inspectPackageFile(good)).sha256;
    // Between plan and apply, the file at the planned path becomes another package.
    copyFileSync(evil, good);
    const before = executor.argvs.length;
    try {
      await expect(harness.client.applyPackage(op(), { action: 'install', path: good, expectedSha256: planned })).rejects.toMatchObject({
        code: 'LOCKSTEP_E_DIGEST_MISMATCH',
        field: 'sha256',
        message: expect.stringContaining(planned),
      });
      expect(executor.argvs.length).toBe(before);
      expect((await harness.client.queryPackage('clusterpro')).installed).toBe(false);
    } finally {
      copyFileSync(join(temp.dir, 'outside', 'clusterpro-2.1.3-1.x86_64.rpm'), good);
    }
  });

  it('installs the pinned file from its staged copy, and removes the copy afterwards', async () => {
    const installed = await harness.client.applyPackage(op(), { action: 'install', path: good, expectedSha256: sha256(good) });
    expect(installed.state, installed.result.message).toBe('SUCCEEDED');
    expect(installed.result.commands[0]?.argv.at(-1)).toMatch(/\/staging\/[0-9a-f]{24}\/clusterpro-2\.1\.3-1\.x86_64\.rpm$/);
    expect(installed.result.packageChange?.after.version).toBe('2.1.3');
    expect(readdirSync(join(harness.config.stateDir, 'staging'))).toEqual([]);
  });

  it('refuses an expected_sha256 that is not a digest, naming expected_sha256', async () => {
    await expect(harness.client.applyPackage(op(), { action: 'upgrade', path: good, expectedSha256: 'abc' })).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'expected_sha256' });
  });
});

describe.skipIf(!canCreateUsers())('package directories a local user can change (as mallory)', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let pki: Pki;
  let mallory: UnprivilegedUser;

  beforeAll(async () => {
    temp = makeTempDir();
    chmodSync(temp.dir, 0o755);
    pki = await makePki(join(temp.dir, 'pki'));
    mallory = createUnprivilegedUser();
  });

  afterAll(() => {
    mallory?.remove();
    temp?.remove();
  });

  it('an agent refuses to start with a package directory mallory owns', async () => {
    const packages = join(temp.dir, 'mallory-packages');
    mkdirSync(packages, { mode: 0o755 });
    chownSync(packages, mallory.uid, mallory.gid);
    const config = agentConfig({ root: temp.dir, pki, packageDirs: [packages] });
    await expect(startAgent(config, silentLogger())).rejects.toMatchObject({
      code: 'LOCKSTEP_E_UNTRUSTED_PATH',
      field: '--package-dir',
      message: expect.stringContaining(`is owned by uid ${mallory.uid}, not root`),
    });
  });

  it('refuses per request once a directory on the path becomes writable by others, and what mallory put there never reaches rpm', async () => {
    const packages = join(temp.dir, 'packages');
    mkdirSync(packages, { mode: 0o755 });
    const executor = new RecordingExecutor();
    const harness = await startTestAgent({ root: temp.dir, pki, node: 'server2', packageDirs: [packages], environment: { executor } });
    try {
      chmodSync(packages, 0o777);
      mallory.run(['cp', '/etc/hostname', join(packages, 'clusterpro-2.1.3-1.x86_64.rpm')]);
      await expect(harness.client.inspectPackageFile(join(packages, 'clusterpro-2.1.3-1.x86_64.rpm'))).rejects.toMatchObject({
        code: 'LOCKSTEP_E_UNTRUSTED_PATH',
        field: 'path',
        message: expect.stringMatching(/is writable by group and others \(mode 0777; chmod go-w /),
      });
      // A directory mallory owns below a trusted package directory is refused the same way.
      chmodSync(packages, 0o755);
      const hers = join(packages, 'hers');
      mkdirSync(hers);
      chownSync(hers, mallory.uid, mallory.gid);
      mallory.run(['cp', '/etc/hostname', join(hers, 'x.rpm')]);
      await expect(harness.client.applyPackage(op(), { action: 'upgrade', path: join(hers, 'x.rpm') })).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNTRUSTED_PATH', field: 'path' });
      expect(executor.argvs).toEqual([]);
    } finally {
      await harness.stop();
    }
  });
});
