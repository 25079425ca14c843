// `npm run package`: the npm tarball, the agent's rpm, and the coordinator/CLI as rpm and .deb,
// all in out/, all from one clean build of the working tree and one `npm ci --omit=dev`.
// Reaches no network but the npm registry (native addons compile from source).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { buildDeb } from './build-deb.mjs';
import { buildRpm } from './build-rpm.mjs';
import { copySourceTree } from './copy-source-tree.mjs';
import { layOutInstallRoot } from './install-root.mjs';
import { PACKAGES } from './package-definitions.mjs';
import { buildProductionTree } from './production-tree.mjs';
import { runCommand } from './run-command.mjs';

const repo = resolve(dirname(new URL(import.meta.url).pathname), '../..');
const outDir = resolve(process.argv[2] ?? join(repo, 'out'));
const { name, version } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
// Inside out/: a build that was killed leaves nothing elsewhere, and the next one removes it.
const workDir = join(outDir, '.work');
const BUILDERS = { rpm: buildRpm, deb: buildDeb };

try {
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const source = join(workDir, 'source');
  copySourceTree(repo, source);
  // npm pack runs `prepare` (the build) in the copy, then packs package.json's `files`.
  runCommand(['npm', 'pack', '--pack-destination', outDir], { cwd: source });
  const tarball = join(outDir, `${name}-${version}.tgz`);
  console.log(`packed ${tarball}`);
  const production = join(workDir, 'production');
  buildProductionTree(tarball, join(source, 'package-lock.json'), production);
  for (const definition of PACKAGES) {
    const root = join(workDir, 'root', definition.name);
    layOutInstallRoot(definition, production, source, root);
    for (const format of definition.formats) console.log(`built ${BUILDERS[format](definition, { version, root, workDir, outDir })}`);
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
