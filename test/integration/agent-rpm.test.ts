// Real rpm through the agent's gRPC API over mTLS: tiny clusterpro packages built with
// rpmbuild, queried, upgraded and downgraded in a private rpm database (issue: foundation §8).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { haveTools } from '../support/require-tool.js';
import { buildClusterproRpms, initRpmDb } from '../support/rpm-packages.js';
import { makeTempDir } from '../support/temp-dir.js';

describe.skipIf(!haveTools('rpm', 'rpmbuild'))('agent + real rpm over mTLS', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let harness: TestAgent;
  let oldRpm: string;
  let newRpm: string;
  let step = 0;
  const op = () => ({ opId: `rpm-run/step-${++step}/server1/1`, runId: 'rpm-run', epoch: 1 });

  beforeAll(async () => {
    temp = makeTempDir();
    const packages = join(temp.dir, 'packages');
    mkdirSync(packages);
    const built = await buildClusterproRpms(packages, [
      { version: '2.0.0', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' },
      { version: '2.1.3', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' },
    ]);
    oldRpm = built['clusterpro-2.0.0-1.x86_64'] as string;
    newRpm = built['clusterpro-2.1.3-1.x86_64'] as string;
    const rpmDb = join(temp.dir, 'rpmdb');
    await initRpmDb(rpmDb);
    harness = await startTestAgent({ root: temp.dir, pki: await makePki(join(temp.dir, 'pki')), packageDirs: [packages], rpmDbPath: rpmDb });
  });

  afterAll(async () => {
    await harness?.stop();
    temp?.remove();
  });

  it('inspects a package file: header, size and sha256', async () => {
    const inspected = await harness.client.inspectPackageFile(newRpm);
    expect(inspected.package).toMatchObject({ name: 'clusterpro', version: '2.1.3', release: '1', arch: 'x86_64', summary: 'CLUSTERPRO X 2.1 for Linux(x86_64)' });
    expect(inspected.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(inspected.size).toBeGreaterThan(0);
  });

  it('installs, upgrades and downgrades clusterpro, reporting the versions before and after', async () => {
    expect((await harness.client.queryPackage('clusterpro')).installed).toBe(false);

    const install = await harness.client.applyPackage(op(), { action: 'install', path: oldRpm });
    expect(install.state).toBe('SUCCEEDED');
    expect(install.result.commands[0]?.argv).toContain('-i');
    expect(await harness.client.queryPackage('clusterpro')).toMatchObject({ installed: true, version: '2.0.0', summary: 'CLUSTERPRO X 2.0 for Linux(x86_64)' });

    const upgrade = await harness.client.applyPackage(op(), { action: 'upgrade', path: newRpm });
    expect(upgrade.state).toBe('SUCCEEDED');
    expect(upgrade.result.packageChange?.before.version).toBe('2.0.0');
    expect(upgrade.result.packageChange?.after.version).toBe('2.1.3');

    // rpm refuses an older package without --oldpackage: a FAILED operation saying why.
    const refused = await harness.client.applyPackage(op(), { action: 'upgrade', path: oldRpm });
    expect(refused.state).toBe('FAILED');
    expect(refused.result.message).toMatch(/newer than/);

    const testOnly = await harness.client.applyPackage(op(), { action: 'downgrade', path: oldRpm, testOnly: true });
    expect(testOnly.state).toBe('SUCCEEDED');
    expect((await harness.client.queryPackage('clusterpro')).version).toBe('2.1.3');

    // CPRO-XL050-06 section 6: the downgrade uses rpm -U --force.
    const downgrade = await harness.client.applyPackage(op(), { action: 'downgrade', path: oldRpm, force: true });
    expect(downgrade.state).toBe('SUCCEEDED');
    expect(downgrade.result.commands[0]?.argv).toContain('--force');
    expect(downgrade.result.packageChange?.after.version).toBe('2.0.0');
  });

  it('an upgrade retried with the same op_id after it succeeded runs rpm once', async () => {
    await harness.client.applyPackage(op(), { action: 'downgrade', path: oldRpm, force: true }).catch(() => undefined);
    const context = op();
    const first = await harness.client.applyPackage(context, { action: 'upgrade', path: newRpm });
    const retry = await harness.client.applyPackage(context, { action: 'upgrade', path: newRpm });
    expect(first.state).toBe('SUCCEEDED');
    expect(retry).toEqual(first);
  });
});
