// An SVR4 package in directory format (pkgadd -d PARENT PKG, pkginfo -l -d PARENT PKG), as
// the Solaris lab writes it and its simulated pkgadd reads it: PARENT/PKG/pkginfo (KEY=value
// lines, pkginfo(4)), PARENT/PKG/pkgmap (one line per object, pkgmap(4)) and the objects
// under PARENT/PKG/root/. Two parameters of the lab's own say what the simulator needs to
// know about the package's effect on the cluster (pkginfo(4) lets a package carry any
// parameter): LAB_RT, the resource type whose methods it carries, and LAB_METHODS, how it
// replaces them (new-path, monitor-in-place, methods-in-place, rtr-only). The RTR files it
// installs are its pkgmap's objects of class `rtr`.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, normalize } from 'node:path';
import type { MethodReplacement, ScPackage } from './sc-model.js';

const REPLACEMENTS: readonly MethodReplacement[] = ['rtr-only', 'new-path', 'monitor-in-place', 'methods-in-place'];
const PKG_NAME = /^[A-Za-z][A-Za-z0-9+-]{0,31}$/;
/** An RTR file is a few kilobytes; a package file read whole is capped. */
const MAX_FILE_BYTES = 1024 * 1024;

export interface PackageObject {
  /** Where pkgadd installs it: an absolute path. */
  path: string;
  text: string;
  /** The pkgmap class: `rtr` marks a resource type registration file. */
  pkgClass: 'rtr' | 'none';
  mode: string;
}

export interface PackageDirInput {
  pkg: string;
  name: string;
  version: string;
  type: string;
  replaces: MethodReplacement;
  objects: PackageObject[];
}

/** System V `sum`: the byte sum folded to 16 bits, as pkgmap's checksum column. */
function sysvSum(bytes: Buffer): number {
  let sum = 0;
  for (const byte of bytes) sum += byte;
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/** Writes PARENT/PKG (pkginfo, pkgmap, root/…) and returns its path. */
export function writePackageDir(parent: string, input: PackageDirInput, now = Date.now()): string {
  const dir = join(parent, input.pkg);
  const mtime = Math.floor(now / 1000);
  const pkginfo = [
    `PKG=${input.pkg}`,
    `NAME=${input.name}`,
    'ARCH=sparc',
    `VERSION=${input.version}`,
    'CATEGORY=application',
    'VENDOR=LAB',
    'BASEDIR=/',
    'CLASSES=none rtr',
    `PSTAMP=lab${mtime}`,
    `LAB_RT=${input.type}`,
    `LAB_METHODS=${input.replaces}`,
    '',
  ].join('\n');
  const lines: string[] = [];
  const directories = new Set<string>();
  for (const object of input.objects) {
    const bytes = Buffer.from(object.text, 'utf8');
    for (let up = dirname(object.path); up !== '/' && !directories.has(up); up = dirname(up)) directories.add(up);
    lines.push(`1 f ${object.pkgClass} ${object.path} ${object.mode} root bin ${bytes.length} ${sysvSum(bytes)} ${mtime}`);
    const file = join(dir, 'root', object.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, object.text);
  }
  const pkginfoBytes = Buffer.from(pkginfo, 'utf8');
  const entries = [
    ...[...directories].sort().map((path) => `1 d none ${path} 0755 root bin`),
    ...lines,
    `1 i pkginfo ${pkginfoBytes.length} ${sysvSum(pkginfoBytes)} ${mtime}`,
  ];
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'pkginfo'), pkginfo);
  writeFileSync(join(dir, 'pkgmap'), `: 1 ${Math.max(1, Math.ceil(input.objects.reduce((total, object) => total + object.text.length, 0) / 512))}\n${entries.join('\n')}\n`);
  return dir;
}

/** pkginfo(4): KEY=value lines, values optionally quoted; comments and blank lines skipped. */
export function parsePkginfoFile(text: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    let value = line.slice(equals + 1);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    params[line.slice(0, equals)] = value;
  }
  return params;
}

export type ReadPackage = { ok: true; params: Record<string, string>; pkg: ScPackage } | { ok: false; reason: string };

/** What pkgadd -d PARENT PKG would install, or why it cannot (in pkgadd's words). */
export function readPackageDir(parent: string, pkgName: string): ReadPackage {
  if (!PKG_NAME.test(pkgName)) return { ok: false, reason: `ERROR: ${pkgName} is not a valid package instance name` };
  if (!isAbsolute(parent)) return { ok: false, reason: `ERROR: device ${parent} is not an absolute path` };
  const dir = join(parent, pkgName);
  const text = readSmall(join(dir, 'pkginfo'));
  if (text === undefined) return { ok: false, reason: `ERROR: no package associated with <${pkgName}> on device ${parent}` };
  const params = parsePkginfoFile(text);
  if (params.PKG !== pkgName) return { ok: false, reason: `ERROR: the package in ${dir} is <${params.PKG ?? ''}>, not <${pkgName}>` };
  const version = params.VERSION ?? '';
  if (version === '') return { ok: false, reason: `ERROR: ${dir}/pkginfo has no VERSION` };
  const replaces = params.LAB_METHODS as MethodReplacement | undefined;
  if (replaces === undefined || !REPLACEMENTS.includes(replaces)) {
    return { ok: false, reason: `ERROR: ${dir}/pkginfo: LAB_METHODS must be one of ${REPLACEMENTS.join(', ')} (the lab's package parameter), got "${params.LAB_METHODS ?? ''}"` };
  }
  const map = readSmall(join(dir, 'pkgmap'));
  if (map === undefined) return { ok: false, reason: `ERROR: unable to open ${dir}/pkgmap` };
  const rtrFiles: Record<string, string> = {};
  for (const line of map.split('\n')) {
    const [, ftype, pkgClass, path] = line.trim().split(/\s+/);
    if (ftype !== 'f' || pkgClass !== 'rtr' || path === undefined) continue;
    if (!isAbsolute(path) || normalize(path) !== path) return { ok: false, reason: `ERROR: ${dir}/pkgmap: "${path}" is not an absolute, normalised path` };
    const object = readSmall(join(dir, 'root', path));
    if (object === undefined) return { ok: false, reason: `ERROR: ${dir}/root${path} is missing or larger than ${MAX_FILE_BYTES} bytes` };
    rtrFiles[path] = object;
  }
  return { ok: true, params, pkg: { version, type: params.LAB_RT ?? '', replaces, rtrFiles } };
}

function readSmall(path: string): string | undefined {
  try {
    if (!statSync(path).isFile() || statSync(path).size > MAX_FILE_BYTES) return undefined;
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
