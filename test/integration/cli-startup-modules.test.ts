// Issue 19: `lockstep --version` and `--help` load only what they need — commander and the
// CLI's own definitions — so every command answers without paying for zod, yaml, grpc-js or
// the lab. A module hook records every package the CLI resolves; a static import of a heavy
// module anywhere in a command's definition shows up here (one did: the facts schema).
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/temp-dir.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const temp = makeTempDir('lockstep-cli-modules-');
afterAll(() => temp.remove());

const hook = join(temp.dir, 'hook.mjs');
const register = join(temp.dir, 'register.mjs');
writeFileSync(
  hook,
  "export async function resolve(s, c, n) { const r = await n(s, c); const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)/.exec(r.url); if (m) process.stderr.write('LOADED ' + m[1] + '\\n'); return r; }\n",
);
writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});\n`);

/** The packages under node_modules the CLI resolved while answering `args`. */
function packagesLoadedBy(args: readonly string[]): string[] {
  const result = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, join(ROOT, 'dist/coordinator/cli/main.js'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 20_000 });
  expect(result.status, result.stderr).toBe(0);
  expect(result.stdout.length).toBeGreaterThan(0);
  return [...new Set([...result.stderr.matchAll(/^LOADED (\S+)$/gm)].map((match) => match[1] as string))].sort();
}

describe('what the CLI loads to answer at once', () => {
  it.each([[['--version']], [['--help']], [['lab', 'up', '--help']], [['plan', '--help']], [['rehearse', '--help']]])('lockstep %j loads no package but commander', (args) => {
    expect(packagesLoadedBy(args)).toEqual(['commander']);
  });
});
