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

/**
 * One package transaction (SPEC §3.1 ApplyPackage): a package file to install, upgrade or
 * downgrade, or an installed package's name to remove. `testOnly` is rpm's `--test`.
 */
export type PackageRequest =
  | {
      action: Exclude<PackageAction, 'remove'>;
      /** The package file on the node: absolute, inside a package directory. */
      path: string;
      testOnly?: boolean;
      /** downgrade only: `--force` (the manual's section 6) instead of `--oldpackage`. */
      force?: boolean;
      /**
       * The file's sha256 when the plan was made (InspectPackageFile): the agent refuses a file
       * that differs (LOCKSTEP_E_DIGEST_MISMATCH). Absent: not pinned (a plan made before pins).
       */
      expectedSha256?: string;
    }
  | { action: 'remove'; name: string; testOnly?: boolean };

/** A package file on a node (SPEC §3.1 InspectPackageFile): its header, size and digest. */
export interface PackageFile {
  package: PackageInfo;
  size: number;
  sha256: string;
}

export function notInstalled(name: string): PackageInfo {
  return { installed: false, name, epoch: '', version: '', release: '', arch: '', summary: '', installTime: 0 };
}

/** "clusterpro-2.1.3-1.x86_64", as rpm names a package in its messages. */
export function packageLabel(info: PackageInfo): string {
  if (!info.installed && !info.version) return `${info.name} (not installed)`;
  const evr = `${info.epoch ? `${info.epoch}:` : ''}${info.version}-${info.release}`;
  return info.arch ? `${info.name}-${evr}.${info.arch}` : `${info.name}-${evr}`;
}
