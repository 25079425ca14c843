import { describe, expect, it } from 'vitest';
import { RpmDriver, type RpmDriverOptions } from '../../agent/drivers/package/rpm-driver.js';
import { RPM_QUERY_FORMAT } from '../../agent/drivers/package/rpm-queryformat.js';
import { notInstalled, type PackageInfo, type PackageRequest } from '../../shared/domain/package.js';
import { ScriptedExecutor, type Answerer, type ScriptedAnswer } from '../support/scripted-executor.js';

const PATH_213 = '/srv/updates/clusterpro-2.1.3-1.x86_64.rpm';
const PATH_200 = '/srv/updates/clusterpro-2.0.0-1.x86_64.rpm';
const INSTALLED_AT = 1795406393;

const line = (version: string, installTime: number): string =>
  `clusterpro|(none)|${version}|1|x86_64|${installTime}|CLUSTERPRO X ${version.slice(0, 3)} for Linux(x86_64)\n`;
const info = (version: string, installed = true): PackageInfo => ({
  installed,
  name: 'clusterpro',
  epoch: '',
  version,
  release: '1',
  arch: 'x86_64',
  summary: `CLUSTERPRO X ${version.slice(0, 3)} for Linux(x86_64)`,
  installTime: installed ? INSTALLED_AT : 0,
});

// What rpm prints: a file's header (`-qp`), an installed package, none, and Debian's warning.
const file = (version: string): ScriptedAnswer => ({ stdout: line(version, 0) });
const installed = (version: string): ScriptedAnswer => ({ stdout: line(version, INSTALLED_AT) });
const absent: ScriptedAnswer = { exitCode: 1, stdout: 'package clusterpro is not installed\n' };
const ALIEN = 'rpm: RPM should not be used directly install RPM packages, use Alien instead!\nrpm: However assuming you know what you are doing...\n';
const done: ScriptedAnswer = { stderr: ALIEN };

/** Answers each command with the next answer, in the order the driver runs them. */
function inOrder(...answers: ScriptedAnswer[]): Answerer {
  return (request) => {
    const answer = answers.shift();
    if (answer === undefined) throw new Error(`unscripted command ${request.argv.join(' ')}`);
    return answer;
  };
}

function setup(answers: ScriptedAnswer[], options: Partial<RpmDriverOptions> = {}): { driver: RpmDriver; executor: ScriptedExecutor } {
  const executor = new ScriptedExecutor(inOrder(...answers));
  return { driver: new RpmDriver({ executor, ...options }), executor };
}

const queryArgv = ['rpm', '-q', '--queryformat', RPM_QUERY_FORMAT, 'clusterpro'];
const inspectArgv = (path: string): string[] => ['rpm', '-qp', '--queryformat', RPM_QUERY_FORMAT, path];
/** Types a literal as a request: in an it.each row, `action` would widen to string. */
const request = (fields: PackageRequest): PackageRequest => fields;

describe('RpmDriver.query', () => {
  it('runs `rpm -q --queryformat FMT NAME` and reads the installed package', async () => {
    const { driver, executor } = setup([installed('2.0.0')]);
    expect(driver.name).toBe('rpm');
    await expect(driver.query('clusterpro')).resolves.toEqual(info('2.0.0'));
    expect(executor.argvs).toEqual([queryArgv]);
  });

  it('reads "package NAME is not installed" (exit 1, on stdout) as not installed', async () => {
    const { driver } = setup([absent]);
    await expect(driver.query('clusterpro')).resolves.toEqual(notInstalled('clusterpro'));
  });

  it('fails with LOCKSTEP_E_COMMAND, and rpm\'s words, when rpm itself fails', async () => {
    const { driver } = setup([{ exitCode: 1, stderr: 'error: cannot open Packages database in /var/lib/rpm\n' }]);
    await expect(driver.query('clusterpro')).rejects.toMatchObject({
      code: 'LOCKSTEP_E_COMMAND',
      message: `${queryArgv.join(' ')} exited with 1: error: cannot open Packages database in /var/lib/rpm`,
    });
  });

  it('refuses two installed instances of one name (LOCKSTEP_E_UNSUPPORTED)', async () => {
    const { driver } = setup([{ stdout: `${line('2.0.0', 1)}${line('2.0.0', 2).replace('x86_64|', 'i686|')}` }]);
    await expect(driver.query('clusterpro')).rejects.toMatchObject({ code: 'LOCKSTEP_E_UNSUPPORTED', message: expect.stringMatching(/2 packages for clusterpro/) });
  });
});

describe('RpmDriver.inspectFile', () => {
  it('runs `rpm -qp --queryformat FMT PATH`; a file is not installed', async () => {
    const { driver, executor } = setup([file('2.1.3')]);
    await expect(driver.inspectFile(PATH_213)).resolves.toEqual(info('2.1.3', false));
    expect(executor.argvs).toEqual([inspectArgv(PATH_213)]);
  });
});

describe('RpmDriver.apply', () => {
  it.each([
    ['install (3.1.1: rpm -i)', request({ action: 'install', path: PATH_213 }), file('2.1.3'), absent, installed('2.1.3'), ['rpm', '-i', PATH_213]],
    ['upgrade (3.1.2: rpm -U)', request({ action: 'upgrade', path: PATH_213 }), file('2.1.3'), installed('2.0.0'), installed('2.1.3'), ['rpm', '-U', PATH_213]],
    [
      'downgrade with --oldpackage',
      request({ action: 'downgrade', path: PATH_200 }),
      file('2.0.0'),
      installed('2.1.3'),
      installed('2.0.0'),
      ['rpm', '-U', '--oldpackage', PATH_200],
    ],
    [
      'downgrade with --force (section 6)',
      request({ action: 'downgrade', path: PATH_200, force: true }),
      file('2.0.0'),
      installed('2.1.3'),
      installed('2.0.0'),
      ['rpm', '-U', '--force', PATH_200],
    ],
  ])('%s: inspects the file, queries, runs rpm, queries again', async (_what, apply, fileAnswer, beforeAnswer, afterAnswer, transaction) => {
    const { driver, executor } = setup([fileAnswer, beforeAnswer, done, afterAnswer]);
    const result = await driver.apply(apply);
    expect(executor.argvs).toEqual([inspectArgv('path' in apply ? apply.path : ''), queryArgv, transaction, queryArgv]);
    expect(result.ok).toBe(true);
    expect(result.message).toBe('');
    expect(result.commands.map((command) => command.argv)).toEqual([transaction]);
    expect(result.packageChange?.after).toEqual(info(apply.action === 'downgrade' ? '2.0.0' : '2.1.3'));
  });

  it('remove: `rpm -e NAME` between two queries, no file involved', async () => {
    const { driver, executor } = setup([installed('2.0.0'), done, absent]);
    const result = await driver.apply(request({ action: 'remove', name: 'clusterpro' }));
    expect(executor.argvs).toEqual([queryArgv, ['rpm', '-e', 'clusterpro'], queryArgv]);
    expect(result).toMatchObject({ ok: true, message: '', packageChange: { before: info('2.0.0'), after: notInstalled('clusterpro') } });
  });

  it('test_only adds --test and expects nothing to change', async () => {
    const { driver, executor } = setup([file('2.1.3'), installed('2.0.0'), done, installed('2.0.0')]);
    const result = await driver.apply(request({ action: 'upgrade', path: PATH_213, testOnly: true }));
    expect(executor.argvs[2]).toEqual(['rpm', '-U', '--test', PATH_213]);
    expect(result).toMatchObject({ ok: true, packageChange: { before: info('2.0.0'), after: info('2.0.0') } });
  });

  it('puts rpmPath and --dbpath on every call, extraArgs on file transactions, the timeout on every request', async () => {
    const options = { rpmPath: '/usr/bin/rpm', dbPath: '/var/lib/lab/rpmdb', extraArgs: ['--ignorearch', '--nodeps'], timeoutMs: 30_000 };
    const { driver, executor } = setup([file('2.0.0'), installed('2.1.3'), done, installed('2.1.3'), installed('2.1.3'), done, absent], options);
    await driver.apply(request({ action: 'downgrade', path: PATH_200, testOnly: true }));
    await driver.apply(request({ action: 'remove', name: 'clusterpro' }));
    const rpm = ['/usr/bin/rpm', '--dbpath', '/var/lib/lab/rpmdb'];
    const query = [...rpm, '-q', '--queryformat', RPM_QUERY_FORMAT, 'clusterpro'];
    expect(executor.argvs).toEqual([
      [...rpm, '-qp', '--queryformat', RPM_QUERY_FORMAT, PATH_200],
      query,
      [...rpm, '-U', '--oldpackage', '--test', '--ignorearch', '--nodeps', PATH_200],
      query,
      query,
      // rpm refuses --ignorearch outside installs: "may only be specified during package installation".
      [...rpm, '-e', 'clusterpro'],
      query,
    ]);
    expect(executor.requests.map((sent) => sent.timeoutMs)).toEqual(Array(7).fill(30_000));
  });

  it("refuses cleanly when rpm does: ok=false, rpm's reason without Debian's warning", async () => {
    const refusal = '\tpackage clusterpro-2.1.3-1.x86_64 (which is newer than clusterpro-2.0.0-1.x86_64) is already installed\n';
    const { driver } = setup([file('2.0.0'), installed('2.1.3'), { exitCode: 2, stderr: ALIEN + refusal }, installed('2.1.3')]);
    const result = await driver.apply(request({ action: 'upgrade', path: PATH_200 }));
    expect(result).toMatchObject({
      ok: false,
      message: `rpm -U ${PATH_200} exited with 2: package clusterpro-2.1.3-1.x86_64 (which is newer than clusterpro-2.0.0-1.x86_64) is already installed`,
      packageChange: { before: info('2.1.3'), after: info('2.1.3') },
    });
    expect(result.commands[0]).toMatchObject({ argv: ['rpm', '-U', PATH_200], exitCode: 2 });
    expect(result.commands[0]?.outputTail).toContain('is already installed');
  });

  it('keeps every diagnostic line, joining a heading with what follows it', async () => {
    const stderr = `${ALIEN}error: Failed dependencies:\n\tkernel >= 2.6.18 is needed by clusterpro-2.1.3-1.x86_64\n\tperl is needed by clusterpro-2.1.3-1.x86_64\n`;
    const { driver } = setup([file('2.1.3'), installed('2.0.0'), { exitCode: 1, stderr }, installed('2.0.0')]);
    const result = await driver.apply(request({ action: 'upgrade', path: PATH_213 }));
    expect(result.message).toBe(
      `rpm -U ${PATH_213} exited with 1: error: Failed dependencies: kernel >= 2.6.18 is needed by clusterpro-2.1.3-1.x86_64; perl is needed by clusterpro-2.1.3-1.x86_64`,
    );
  });

  it('fails when rpm exits 0 but the package is not in the promised state', async () => {
    const { driver } = setup([file('2.1.3'), installed('2.0.0'), done, installed('2.0.0')]);
    const result = await driver.apply(request({ action: 'upgrade', path: PATH_213 }));
    expect(result).toMatchObject({
      ok: false,
      message: `rpm -U ${PATH_213} exited with 0, but afterwards the package is clusterpro-2.0.0-1.x86_64, not clusterpro-2.1.3-1.x86_64`,
    });
  });

  it('still reports the transaction when the query after it fails', async () => {
    const { driver } = setup([file('2.1.3'), installed('2.0.0'), done, { exitCode: 137, timedOut: true, durationMs: 30_000 }]);
    const result = await driver.apply(request({ action: 'upgrade', path: PATH_213 }));
    expect(result.ok).toBe(false);
    expect(result.packageChange).toBeUndefined();
    expect(result.commands.map((command) => command.argv)).toEqual([['rpm', '-U', PATH_213]]);
    expect(result.message).toBe(`rpm -U ${PATH_213} exited with 0; querying clusterpro afterwards failed: ${queryArgv.join(' ')} timed out after 30000 ms`);
  });

  it('changes nothing when the file cannot be read', async () => {
    const { driver, executor } = setup([{ exitCode: 1, stderr: `error: open of ${PATH_213} failed: No such file or directory\n` }]);
    await expect(driver.apply(request({ action: 'upgrade', path: PATH_213 }))).rejects.toMatchObject({ code: 'LOCKSTEP_E_COMMAND' });
    expect(executor.argvs).toEqual([inspectArgv(PATH_213)]);
  });
});
