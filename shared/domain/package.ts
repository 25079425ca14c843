// Packages as lockstep reasons about them, independent of rpm's or pkginfo's text.

export interface PackageInfo {
  installed: boolean;
  name: string;
  /** Empty when the package has no epoch. */
  epoch: string;
  version: string;
  release: string;
  arch: string;
  summary: string;
  /** Seconds since the Unix epoch; 0 when unknown or not installed. */
  installTime: number;
}

export type PackageAction = 'install' | 'upgrade' | 'downgrade' | 'remove';

export const PACKAGE_ACTIONS: readonly PackageAction[] = ['install', 'upgrade', 'downgrade', 'remove'];

export function notInstalled(name: string): PackageInfo {
  return { installed: false, name, epoch: '', version: '', release: '', arch: '', summary: '', installTime: 0 };
}

/** "clusterpro-2.1.3-1.x86_64", as rpm names a package in its messages. */
export function packageLabel(info: PackageInfo): string {
  if (!info.installed && !info.version) return `${info.name} (not installed)`;
  const evr = `${info.epoch ? `${info.epoch}:` : ''}${info.version}-${info.release}`;
  return info.arch ? `${info.name}-${evr}.${info.arch}` : `${info.name}-${evr}`;
}
