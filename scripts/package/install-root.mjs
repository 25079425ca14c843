// Lays out one package's files as they will sit on the host, under `root`: the program
// under /usr/lib/lockstep/, its commands in /usr/bin, its unit, its configuration file and
// its state directory.
// rpmbuild and dpkg-deb both package this same tree.
import { chmodSync, cpSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const HERE = dirname(new URL(import.meta.url).pathname);

/** Fills `root` with `definition`'s files: the production tree's, and the unit from `source`. */
export function layOutInstallRoot(definition, production, source, root) {
  const lib = join(root, definition.libDir);
  for (const entry of definition.tree) cpSync(join(production, entry), join(lib, entry), { recursive: true, verbatimSymlinks: true });
  const { bin } = JSON.parse(readFileSync(join(production, 'package.json'), 'utf8'));
  mkdirSync(join(root, 'usr/bin'), { recursive: true });
  for (const name of definition.bins) {
    // Relative, so that the tree also runs where it is unpacked (rpm --root, dpkg -x).
    const target = join(lib, bin[name]);
    symlinkSync(relative(join(root, 'usr/bin'), target), join(root, 'usr/bin', name));
    chmodSync(target, 0o755);
  }
  mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
  cpSync(join(source, 'systemd', definition.unit), join(root, 'usr/lib/systemd/system', definition.unit));
  mkdirSync(join(root, 'etc/lockstep'), { recursive: true });
  cpSync(join(HERE, 'etc', definition.config), join(root, 'etc/lockstep', definition.config));
  mkdirSync(join(root, definition.stateDir), { recursive: true });
}
