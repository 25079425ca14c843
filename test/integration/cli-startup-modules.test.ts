// Issue 19: `lockstep --version` and `--help` load only what they need — commander and the
// CLI's own definitions — so every command answers without paying for zod, yaml, grpc-js or
// the lab. The CLI runs from a bundle of program.js (scripts/bundle-cli.mjs) that keeps the
// module graph's laziness: what program.js imports statically runs at start, what it imports
// dynamically runs when a command asks for it. So the graph is checked where packages can be
// seen, program.js run as ES modules under a hook that records every package resolved (a
// static import of a heavy module anywhere in a command's definition shows up there; one did:
// the facts schema), and the bundle where it runs, through the installed bin: it must require
// no package from node_modules and must not start grpc-js (which loads node:http2 at once).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const CLI_DIR = join(ROOT, 'dist/coordinator/cli');
const temp = makeTempDir('lockstep-cli-modules-');
afterAll(() => temp.remove());

const hook = join(temp.dir, 'hook.mjs');
const register = join(temp.dir, 'register.mjs');
const program = join(temp.dir, 'program.mjs');
const requireLog = join(temp.dir, 'require-log.cjs');
writeFileSync(
  hook,
  "export async function resolve(s, c, n) { const r = await n(s, c); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) process.stderr.write('LOADED ' + m[1] + '\\n'); return r; }\n",
);
writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});\n`);
writeFileSync(program, `import { runCli } from ${JSON.stringify(pathToFileURL(join(CLI_DIR, 'program.js')).href)};\nawait runCli();\n`);
// Every require() the bundle makes of a package, and at exit whether node:http2 was loaded.
writeFileSync(
  requireLog,
  [
    "const Module = require('node:module');",
    'const load = Module._load;',
    "Module._load = function (request, ...rest) { const m = /^((?:@[^/]+\\/)?[^/.][^/]*)/.exec(request); if (m && !Module.isBuiltin(request)) process.stderr.write('LOADED ' + m[1] + '\\n'); return load.call(this, request, ...rest); };",
    "process.on('exit', () => { if (process.moduleLoadList.includes('NativeModule http2')) process.stderr.write('LOADED node:http2\\n'); });",
    '',
  ].join('\n'),
);

/** The packages under node_modules (and node:http2) resolved while running `argv` to answer `args`. */
function packagesLoadedBy(argv: readonly string[], args: readonly string[]): string[] {
  const result = spawnSync(process.execPath, [...argv, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout.length).toBeGreaterThan(0);
  return [...new Set([...result.stderr.matchAll(/^LOADED (\S+)$/gm)].map((match) => match[1] as string))].sort();
}

const QUICK_COMMANDS = [[['--version']], [['--help']], [['lab', 'up', '--help']], [['plan', '--help']], [['rehearse', '--help']]];

describe('what the CLI loads to answer at once', () => {
  it.each(QUICK_COMMANDS)('lockstep %j: its module graph loads no package but commander', (args) => {
    expect(packagesLoadedBy(['--import', pathToFileURL(register).href, program], args)).toEqual(['commander']);
  });

  it.each(QUICK_COMMANDS)('lockstep %j: the bundle requires no package and does not start grpc-js', (args) => {
    expect(packagesLoadedBy(['--require', requireLog, join(CLI_DIR, 'main.js')], args)).toEqual([]);
  });

  it('a status call does start grpc-js (the check above can see it)', () => {
    const result = spawnSync(process.execPath, ['--require', requireLog, join(CLI_DIR, 'main.js'), '--coordinator', `unix:${join(temp.dir, 'none.sock')}`, 'status', 'run-x'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/^LOADED node:http2$/m);
  });

  it("the build's code cache is accepted by this node (else every start compiles the bundle)", () => {
    const probe = `import(${JSON.stringify(pathToFileURL(join(CLI_DIR, 'cli-bundle.js')).href)}).then((m) => console.log(String(m.loadCliBundle().script.cachedDataRejected)))`;
    const result = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(result.stdout.trim(), result.stderr).toBe('false');
  });
});

// The coordinator runs from its bundle too (coordinator-bundle.ts): a restart resumes its runs
// without loading a few hundred modules one by one first (docs/PERFORMANCE.md §4.6).
describe('lockstep-coordinator starts from its bundle', () => {
  const COORDINATOR_DIR = join(ROOT, 'dist/coordinator');

  it('the bin answers --version from the bundle, and this node accepts its code cache', () => {
    const version = spawnSync(process.execPath, ['--require', requireLog, join(COORDINATOR_DIR, 'main.js'), '--version'], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(version.status, version.stderr).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    // zod, yaml, grpc-js and commander are inside the bundle: none is required from node_modules to start.
    expect(version.stderr).not.toMatch(/^LOADED (zod|yaml|@grpc\/grpc-js|commander)$/m);
    // What the bundle leaves outside is required as usual (and the check above can see it).
    expect(version.stderr).toMatch(/^LOADED pino$/m);
    const probe = `import(${JSON.stringify(pathToFileURL(join(COORDINATOR_DIR, 'coordinator-bundle.js')).href)}).then((m) => console.log(String(m.loadCoordinatorBundle().script.cachedDataRejected)))`;
    const cache = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(cache.stdout.trim(), cache.stderr).toBe('false');
  });
});

describe('loading a bundle (shared/code-bundle.ts)', () => {
  // A tree built with `tsc` alone (no bundle) must say what to run, not fail with a bare ENOENT.
  it('a missing bundle names the file and the build step that makes it', () => {
    const missing = join(temp.dir, 'not-built.cjs');
    const probe = `import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/shared/code-bundle.js')).href)}).then((m) => m.loadCodeBundle(${JSON.stringify(missing)}))`;
    const ran = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(ran.status).not.toBe(0);
    expect(ran.stderr).toContain(`${missing} is missing: this build was not bundled (run \`npm run build\``);
  });

  // An ASCII bundle (what esbuild writes) is read as latin1, anything else as UTF-8: the same text either way.
  it('evaluates an ASCII bundle and one with UTF-8 text to the same strings they hold', () => {
    const ascii = join(temp.dir, 'ascii.cjs');
    const utf8 = join(temp.dir, 'utf8.cjs');
    writeFileSync(ascii, 'module.exports = { text: "r\\u00e9sum\\u00e9 \\u2014 ok" };\n');
    writeFileSync(utf8, 'module.exports = { text: "résumé — ok" };\n', 'utf8');
    const probe = `import(${JSON.stringify(pathToFileURL(join(ROOT, 'dist/shared/code-bundle.js')).href)}).then((m) => console.log(JSON.stringify([${JSON.stringify(ascii)}, ${JSON.stringify(utf8)}].map((file) => m.loadCodeBundle(file).exports.text))))`;
    const ran = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
    expect(ran.status, ran.stderr).toBe(0);
    expect(JSON.parse(ran.stdout)).toEqual(['résumé — ok', 'résumé — ok']);
  });
});
