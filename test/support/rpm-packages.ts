// Real, tiny .rpm files for tests and the lab (SPEC §9): an empty payload with the product's
// name, version, release, architecture and Summary, which is how the bundle recognises a
// platform (§5.1). rpmbuild makes one in a few tens of milliseconds.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RpmSpec {
  /** Default `clusterpro`. */
  name?: string;
  version: string;
  release: string;
  /** rpm's architecture: x86_64, i686, ia64, ppc64, i386… */
  arch: string;
  /** The product's own words, e.g. `CLUSTERPRO X 2.1 for Linux(x86_64)`. */
  summary: string;
}

const WORD = /^[A-Za-z0-9._+~^]+$/;

/**
 * Builds one .rpm per spec into `dir` and returns their paths keyed by rpm's label
 * (`clusterpro-2.1.3-1.x86_64`). Foreign architectures build with `--target ARCH` (a
 * `BuildArch:` line would make rpmbuild refuse them: "No compatible architectures found for
 * build"); installing ia64 or ppc64 on x86_64 then needs `--ignorearch`, i686 and i386 do not.
 */
export async function buildClusterproRpms(dir: string, specs: readonly RpmSpec[]): Promise<Record<string, string>> {
  const topdir = join(dir, 'rpmbuild');
  await mkdir(join(topdir, 'SPECS'), { recursive: true });
  const built: Record<string, string> = {};
  // One at a time: the machine has two cores and each build takes milliseconds.
  for (const spec of specs) {
    const label = `${spec.name ?? 'clusterpro'}-${spec.version}-${spec.release}.${spec.arch}`;
    const specFile = join(topdir, 'SPECS', `${label}.spec`);
    await writeFile(specFile, specText(spec));
    await rpmbuild(specFile, spec.arch, topdir, dir);
    built[label] = join(dir, `${label}.rpm`);
  }
  return built;
}

/** An empty rpm database in `dir`, for `rpm --dbpath DIR`. */
export async function initRpmDb(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await run('rpm', ['--initdb', '--dbpath', dir]);
}

function specText(spec: RpmSpec): string {
  const name = spec.name ?? 'clusterpro';
  for (const [field, value] of Object.entries({ name, version: spec.version, release: spec.release, arch: spec.arch })) {
    if (!WORD.test(value)) throw new Error(`buildClusterproRpms: bad ${field} ${JSON.stringify(value)}`);
  }
  if (/[\n%]/.test(spec.summary)) throw new Error(`buildClusterproRpms: the summary must be one line without '%'`);
  return [
    `Name: ${name}`,
    `Version: ${spec.version}`,
    `Release: ${spec.release}`,
    `Summary: ${spec.summary}`,
    'License: commercial',
    'Group: Applications/System',
    '',
    '%description',
    spec.summary,
    '',
    '%files',
    '',
  ].join('\n');
}

async function rpmbuild(specFile: string, arch: string, topdir: string, rpmdir: string): Promise<void> {
  await run('rpmbuild', [
    '-bb',
    '--quiet',
    '--target',
    arch,
    '--define',
    `_topdir ${topdir}`,
    '--define',
    `_rpmdir ${rpmdir}`,
    // rpmbuild's default puts each file under an ARCH/ directory; keep them side by side.
    '--define',
    '_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm',
    specFile,
  ]);
}
