// Issue 18: the packages an operator installs. `npm run package` is run once (it compiles
// better-sqlite3 from source: minutes, hence the long hook), and while it builds the rpms the
// packed tarball is installed as `npm install -g` would, into an empty prefix. Then: what each
// package holds, needs and runs at install, and that what it installs runs.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveTools } from '../support/require-tool.js';
import { makeTempDir } from '../support/temp-dir.js';

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
/** What only the dev dependencies need, as the lockfile says (node_modules/NAME). */
const lockfile = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean }> };
const DEV_ONLY = Object.entries(lockfile.packages).flatMap(([path, entry]) => (entry.dev === true ? [path] : []));
// Two compiles of better-sqlite3 and three compressed packages: about 3 minutes on two idle
// cores, 8 when other work shares them (measured with a load average of 10); room beyond that.
const BUILD_TIMEOUT = 720_000;

/** Nothing a running program reads: tests, benchmarks, source maps, TypeScript sources. */
const NEVER_SHIPPED = /\.(map|ts|mts|cts)$|\/(test|tests|__tests__|bench)\//;

const work = makeTempDir('lockstep-packaging-');
const out = join(work.dir, 'out');
const prefix = join(work.dir, 'npm-prefix');
const root = join(work.dir, 'root');
const debRoot = join(work.dir, 'deb-root');
const agentRpm = join(out, `lockstep-agent-${VERSION}-1.x86_64.rpm`);
const lockstepRpm = join(out, `lockstep-${VERSION}-1.x86_64.rpm`);
const deb = join(out, `lockstep_${VERSION}-1_amd64.deb`);
let builder: ChildProcess | undefined;

/** `npm run package` into `out`; calls `onPacked` with the tarball as soon as it exists. */
function buildPackages(onPacked: (tarball: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    // Its own process group: a hook that times out kills the whole build (afterAll).
    const child = spawn(process.execPath, [join(REPO, 'scripts/package/main.mjs'), out], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    builder = child;
    let output = '';
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
      const packed = /^packed (.+)$/m.exec(chunk.toString());
      if (packed?.[1] !== undefined) onPacked(packed[1]);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm run package exited ${code}:\n${output}`))));
  });
}

async function lines(argv: string[]): Promise<string[]> {
  const { stdout } = await run(argv[0] as string, argv.slice(1), { maxBuffer: 64 * 1024 * 1024 });
  return stdout.split('\n').filter((line) => line !== '');
}

/** The path's part inside the program's directory, e.g. dist/agent/main.js. */
function insideLib(path: string, libDir: string): string | undefined {
  return path.startsWith(`${libDir}/`) ? path.slice(libDir.length + 1) : undefined;
}

/** Files a package may hold outside its program's directory, its top-level entries and its one native addon. */
function expectLayout(paths: string[], libDir: string, outside: string[], distDirs: string[], addon: string): void {
  for (const path of paths) {
    expect(path).not.toMatch(NEVER_SHIPPED);
    const inside = insideLib(path, libDir);
    if (inside === undefined) expect([...outside, libDir]).toContain(path);
    else expect(inside).toMatch(new RegExp(`^(package\\.json|README\\.md|docs(/install\\.md)?|node_modules(/.*)?|native(/${addon}(/build(/Release(/${addon}\\.node)?)?)?)?|dist|dist/(${distDirs.join('|')})(/.*)?)$`));
  }
  const installed = new Set(paths.flatMap((path) => insideLib(path, libDir) ?? []).filter((path) => /^node_modules\/(@[^/]+\/)?[^/@]+$/.test(path)));
  expect(DEV_ONLY.filter((path) => installed.has(path))).toEqual([]);
  expect(installed.has('node_modules/better-sqlite3')).toBe(true);
}

const AGENT_LIB = '/usr/lib/lockstep/agent';
const COORDINATOR_LIB = '/usr/lib/lockstep/coordinator';

describe.skipIf(!haveTools('rpm', 'rpmbuild', 'dpkg-deb', 'systemd-analyze'))('the packages', () => {
  let tarballFiles: string[];
  let tarballInstalled: Promise<unknown>;

  beforeAll(async () => {
    await buildPackages((tarball) => {
      // Like an operator's `npm install -g`; from source, as nothing but the registry is reachable.
      tarballInstalled = run('npm', ['install', '-g', '--prefix', prefix, '--omit=dev', '--no-audit', '--no-fund', tarball], {
        env: { ...process.env, 'prebuild-install_buildFromSource': 'true' },
        maxBuffer: 16 * 1024 * 1024,
      });
      // Awaited below; a failure before then must not go unhandled.
      tarballInstalled.catch(() => undefined);
    });
    await tarballInstalled;
    tarballFiles = (await lines(['tar', '-tzf', join(out, `lockstep-${VERSION}.tgz`)])).map((path) => path.replace(/^package\//, ''));
    // The root has systemd's own units, as a host would: verify follows the units' default
    // dependencies (sysinit.target, ...) into it.
    mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
    cpSync('/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    await run('rpm', ['--root', root, '--initdb']);
    await run('rpm', ['--root', root, '-i', '--nodeps', '--noscripts', '--notriggers', agentRpm, lockstepRpm]);
    await run('dpkg', ['-x', deb, debRoot]);
  }, BUILD_TIMEOUT);
  afterAll(() => {
    if (builder?.pid !== undefined && builder.exitCode === null) process.kill(-builder.pid, 'SIGKILL');
    work.remove();
  });

  describe('the agent rpm', () => {
    it('holds the agent, its production dependencies, its unit and its configuration, and nothing else', async () => {
      const paths = await lines(['rpm', '-qpl', agentRpm]);
      expectLayout(paths, AGENT_LIB, ['/usr/lib/lockstep', '/usr/bin/lockstep-agent', '/usr/lib/systemd/system/lockstep-agent.service', '/etc/lockstep', '/etc/lockstep/agent.yaml', '/var/lib/lockstep-agent'], ['agent', 'shared'], 'spawn');
      // The agent starts its commands through this addon (agent/exec/native-executor.ts).
      expect(paths).toContain(`${AGENT_LIB}/native/spawn/build/Release/spawn.node`);
      // Every file of the agent and shared code the tarball has; no coordinator, no lab.
      const dist = (files: string[]) => files.filter((path) => /^dist\/(agent|shared)\/.*\.js$/.test(path)).sort();
      expect(dist(paths.flatMap((path) => insideLib(path, AGENT_LIB) ?? []))).toEqual(dist(tarballFiles));
      expect(paths.filter((path) => /\/dist\/(coordinator|lab)(\/|$)/.test(path))).toEqual([]);
    });

    it('keeps agent.yaml as a configuration file, and the journal directory root-only', async () => {
      expect(await lines(['rpm', '-qpc', agentRpm])).toEqual(['/etc/lockstep/agent.yaml']);
      const modes = await lines(['rpm', '-qp', '--qf', '[%{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILENAMES}\n]', agentRpm]);
      expect(modes).toContain('drwx------ root:root /var/lib/lockstep-agent');
      expect(modes).toContain('lrwxrwxrwx root:root /usr/bin/lockstep-agent');
    });

    it('requires node 20 (RHEL epoch) and only system libraries', async () => {
      const requires = await lines(['rpm', '-qp', '--requires', agentRpm]);
      expect(requires).toContain('nodejs >= 1:20');
      const system = /^(systemd|\/bin\/(ba)?sh|\/usr\/bin\/env|rpmlib\(.*|rtld\(GNU_HASH\)|config\(lockstep-agent\) = .*|(libc|libm|libstdc\+\+|libgcc_s|ld-linux-x86-64)\.so.*)$/;
      for (const requirement of requires.filter((line) => line !== 'nodejs >= 1:20')) expect(requirement).toMatch(system);
    });

    it('reloads systemd, never enables the agent, and restarts it on upgrade without waiting for it', async () => {
      const scripts = (await run('rpm', ['-qp', '--scripts', agentRpm])).stdout;
      const section = (name: string): string => new RegExp(`${name} scriptlet[^\\n]*\\n([\\s\\S]*?)(?=\\n\\S+ scriptlet|$)`).exec(scripts)?.[1] ?? '';
      expect(section('postinstall')).toMatch(/preset lockstep-agent\.service|install-system-units lockstep-agent\.service/);
      expect(section('postinstall')).not.toMatch(/\benable\b/);
      expect(section('preuninstall')).toMatch(/disable --now lockstep-agent\.service|remove-system-units lockstep-agent\.service/);
      expect(section('postuninstall')).toMatch(/--no-block try-restart lockstep-agent\.service|mark-restart-system-units lockstep-agent\.service/);
    });

    it('installed into an empty root, runs with the host node: --version, and starts without the coordinator or the lab', async () => {
      expect(readdirSync(join(root, AGENT_LIB, 'dist')).sort()).toEqual(['agent', 'shared']);
      const agent = join(root, 'usr/bin/lockstep-agent');
      expect((await run(agent, ['--version'])).stdout.trim()).toBe(VERSION);
      const state = join(work.dir, 'agent-state');
      const child = spawn(agent, ['--insecure', '--listen', '127.0.0.1:0', '--state-dir', state, '--log-level', 'info'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let output = '';
      const listening = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 20_000);
        const watch = (chunk: Buffer): void => {
          output += chunk.toString();
          if (output.includes('agent listening')) {
            clearTimeout(timer);
            resolve(true);
          }
        };
        child.stdout.on('data', watch);
        child.stderr.on('data', watch);
        child.on('exit', () => resolve(false));
      });
      child.kill('SIGTERM');
      expect(listening, output).toBe(true);
      expect(existsSync(join(state, 'journal.sqlite'))).toBe(true);
      // The installed addon loads: no line saying the agent fell back to child_process.
      expect(output).not.toMatch(/started with node child_process/);
    });

    it('stays small', async () => {
      const size = Number((await lines(['stat', '-c', '%s', agentRpm]))[0]);
      console.log(`agent rpm: ${(size / 1024 / 1024).toFixed(1)} MiB`);
      expect(size).toBeLessThan(12 * 1024 * 1024);
    });
  });

  describe('the coordinator and CLI', () => {
    const OUTSIDE = ['/usr/lib/lockstep', '/usr/bin/lockstep', '/usr/bin/lockstep-coordinator', '/usr/lib/systemd/system/lockstep-coordinator.service', '/etc/lockstep', '/etc/lockstep/coordinator.yaml', '/var/lib/lockstep-coordinator'];

    it('rpm: holds the whole program, its unit and its configuration, and nothing else', async () => {
      const paths = await lines(['rpm', '-qpl', lockstepRpm]);
      expectLayout(paths, COORDINATOR_LIB, OUTSIDE, ['[a-z-]+'], 'peercred');
      const dist = (files: string[]) => files.filter((path) => path.startsWith('dist/') && path.endsWith('.js')).sort();
      expect(dist(paths.flatMap((path) => insideLib(path, COORDINATOR_LIB) ?? []))).toEqual(dist(tarballFiles));
      // The socket names its callers through this addon (docs/security.md).
      expect(paths).toContain(`${COORDINATOR_LIB}/native/peercred/build/Release/peercred.node`);
      expect(await lines(['rpm', '-qpc', lockstepRpm])).toEqual(['/etc/lockstep/coordinator.yaml']);
      const requires = await lines(['rpm', '-qp', '--requires', lockstepRpm]);
      expect(requires).toEqual(expect.arrayContaining(['nodejs >= 1:20', 'shadow-utils']));
      expect((await run('rpm', ['-qp', '--scripts', lockstepRpm])).stdout).toMatch(/useradd -r -g lockstep/);
    });

    it('deb: the same files as the rpm, depends on node 20, and keeps coordinator.yaml as a conffile', async () => {
      const debPaths = (await lines(['dpkg-deb', '-c', deb])).map((line) => line.split(/\s+/).slice(5).join(' ').replace(/^\.\/?/, '/').replace(/\/$/, '').replace(/ -> .*$/, ''));
      const rpmPaths = await lines(['rpm', '-qpl', lockstepRpm]);
      // dpkg lists every parent directory; the rpm only those it owns.
      const owned = (path: string) => path === COORDINATOR_LIB || path.startsWith(`${COORDINATOR_LIB}/`) || OUTSIDE.includes(path);
      expect(debPaths.filter(owned).sort()).toEqual(rpmPaths.filter(owned).sort());
      const control = (await run('dpkg-deb', ['-f', deb])).stdout;
      expect(control).toMatch(new RegExp(`^Version: ${VERSION.replace(/\./g, '\\.')}-1$`, 'm'));
      expect(control).toMatch(/^Depends: nodejs \(>= 20\)/m);
      await run('dpkg-deb', ['-e', deb, join(work.dir, 'deb-control')]);
      expect(readFileSync(join(work.dir, 'deb-control/conffiles'), 'utf8')).toBe('/etc/lockstep/coordinator.yaml\n');
    });

    it('deb, unpacked: lockstep --version and lockstep certs init run from it', async () => {
      const lockstep = join(debRoot, 'usr/bin/lockstep');
      expect((await run(lockstep, ['--version'])).stdout.trim()).toBe(VERSION);
      const pki = join(work.dir, 'pki');
      await run(lockstep, ['certs', 'init', '--dir', pki, '--coordinator', 'admin1', '--agents', 'server1,server2']);
      for (const file of ['ca.pem', 'coordinator.pem', 'coordinator.key', 'agents/server1.pem', 'agents/server2.key']) expect(existsSync(join(pki, file)), file).toBe(true);
    });

    it('rpm, installed: every program prints package.json’s version', async () => {
      for (const program of ['lockstep', 'lockstep-coordinator', 'lockstep-agent']) {
        expect((await run(join(root, 'usr/bin', program), ['--version'])).stdout.trim(), program).toBe(VERSION);
      }
    });
  });

  describe('the units, installed', () => {
    it.each(['lockstep-agent.service', 'lockstep-coordinator.service'])('%s passes systemd-analyze verify against the installed tree', async (unit) => {
      const { stdout, stderr } = await run('systemd-analyze', ['verify', `--root=${root}`, `/usr/lib/systemd/system/${unit}`]);
      expect(`${stdout}${stderr}`.trim()).toBe('');
    });

    it.each(['lockstep-agent.service', 'lockstep-coordinator.service'])('%s gets a security score offline', async (unit) => {
      const { stdout } = await run('systemd-analyze', ['security', '--offline=true', `--root=${root}`, `/usr/lib/systemd/system/${unit}`]).catch((error: { stdout: string }) => error);
      const score = /Overall exposure level for \S+: ([\d.]+)/.exec(stdout)?.[1];
      console.log(`${unit}: systemd-analyze security ${score}`);
      expect(Number(score)).toBeGreaterThan(0);
    });
  });

  describe('npm install -g of the packed tarball', () => {
    it('runs lockstep-agent --version and lockstep --help', async () => {
      expect((await run(join(prefix, 'bin/lockstep-agent'), ['--version'])).stdout.trim()).toBe(VERSION);
      expect((await run(join(prefix, 'bin/lockstep'), ['--help'])).stdout).toMatch(/\bdemo\b/);
    });

    it('runs lockstep demo', async () => {
      const { stdout } = await run(join(prefix, 'bin/lockstep'), ['demo'], { timeout: 120_000 });
      expect(stdout).toMatch(/Rolling update finished in/);
    }, 150_000);
  });
});
