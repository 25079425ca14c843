// Builds one package's rpm from its laid-out install root with the spec beside this file.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { commandOutput, runCommand } from './run-command.mjs';

const HERE = dirname(new URL(import.meta.url).pathname);

/** Runs rpmbuild for `definition`; returns the rpm's path (in `outDir`). */
export function buildRpm(definition, { version, root, workDir, outDir }) {
  const topdir = join(workDir, 'rpmbuild');
  mkdirSync(topdir, { recursive: true });
  const defines = {
    _topdir: topdir,
    _rpmdir: outDir,
    _build_name_fmt: '%%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    lockstep_version: version,
    lockstep_root: root,
  };
  const argv = ['rpmbuild', '-bb', '--quiet', ...Object.entries(defines).flatMap(([name, value]) => ['--define', `${name} ${value}`])];
  // The distribution's systemd macros when this rpm has them; ours otherwise.
  if (commandOutput(['rpm', '--eval', '%{?systemd_post:yes}']).trim() !== 'yes') argv.push('--load', join(HERE, 'systemd-fallback.macros'));
  runCommand([...argv, join(HERE, `${definition.name}.spec`)]);
  const arch = commandOutput(['rpm', '--eval', '%{_arch}']).trim();
  return join(outDir, `${definition.name}-${version}-1.${arch}.rpm`);
}
