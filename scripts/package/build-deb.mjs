// Builds one package's .deb from its laid-out install root, for Debian/Ubuntu admin hosts.
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandOutput, runCommand } from './run-command.mjs';

const HERE = dirname(new URL(import.meta.url).pathname);

/** Runs dpkg-deb for `definition`; returns the .deb's path (in `outDir`). */
export function buildDeb(definition, { version, root, workDir, outDir }) {
  const tree = join(workDir, 'deb', definition.name);
  cpSync(root, tree, { recursive: true, verbatimSymlinks: true });
  mkdirSync(join(tree, 'DEBIAN'));
  const arch = commandOutput(['dpkg', '--print-architecture']).trim();
  const installedKiB = commandOutput(['du', '-sk', '--apparent-size', root]).split('\t')[0];
  const control = {
    Package: definition.name,
    Version: `${version}-1`,
    Architecture: arch,
    Maintainer: 'lockstep <lockstep@localhost>',
    'Installed-Size': installedKiB,
    // Debian's and Ubuntu's own nodejs is older than 20 on their LTS releases: NodeSource's.
    Depends: 'nodejs (>= 20), adduser',
    Section: 'admin',
    Priority: 'optional',
    Description: `${definition.summary}\n The coordinator and CLI of lockstep; see /${definition.libDir}/docs/install.md.`,
  };
  writeFileSync(join(tree, 'DEBIAN/control'), Object.entries(control).map(([key, value]) => `${key}: ${value}\n`).join(''));
  writeFileSync(join(tree, 'DEBIAN/conffiles'), `/etc/lockstep/${definition.config}\n`);
  for (const script of ['postinst', 'prerm', 'postrm']) cpSync(join(HERE, 'deb', script), join(tree, 'DEBIAN', script));
  const deb = join(outDir, `${definition.name}_${version}-1_${arch}.deb`);
  runCommand(['dpkg-deb', '--root-owner-group', '-Zxz', '-z2', '--build', tree, deb]);
  return deb;
}
