// The platforms a lab can simulate: what `uname -m` says, how the product's rpm is built
// and named on each, after the seed manual's section 2 (CPRO-XL050-06).

export const LAB_PLATFORMS = ['x86_64', 'i686', 'ia64', 'ppc64', 'vmware'] as const;
export type LabPlatform = (typeof LAB_PLATFORMS)[number];

export interface PlatformFacts {
  /** `uname -m` on the node. */
  machine: string;
  /** rpm's architecture of the product's package. */
  rpmArch: string;
  /** What the product's Summary says in brackets: `CLUSTERPRO X 2.0 for Linux(x86_64)`. */
  summaryArch: string;
  /** A kernel release of the era (RHEL 5; ESX 3.5's service console is RHEL 3 based). */
  kernel: string;
  /** Part of the file name before the architecture, e.g. `.vmware` (2.1.10: clusterpro-2.1.3-1.vmware.i386.rpm). */
  fileInfix: string;
}

const RHEL5_KERNEL = '2.6.18-128.el5';

const PLATFORM_FACTS: Record<LabPlatform, PlatformFacts> = {
  x86_64: { machine: 'x86_64', rpmArch: 'x86_64', summaryArch: 'x86_64', kernel: RHEL5_KERNEL, fileInfix: '' },
  i686: { machine: 'i686', rpmArch: 'i686', summaryArch: 'i686', kernel: RHEL5_KERNEL, fileInfix: '' },
  ia64: { machine: 'ia64', rpmArch: 'ia64', summaryArch: 'ia64', kernel: RHEL5_KERNEL, fileInfix: '' },
  ppc64: { machine: 'ppc64', rpmArch: 'ppc64', summaryArch: 'ppc64', kernel: RHEL5_KERNEL, fileInfix: '' },
  // 2.1.5: `CLUSTERPRO X 2.0 for Linux(i386/vmware)`; the service console reports i686.
  vmware: { machine: 'i686', rpmArch: 'i386', summaryArch: 'i386/vmware', kernel: '2.4.21-57.ELvmnix', fileInfix: '.vmware' },
};

export function platformFacts(platform: LabPlatform): PlatformFacts {
  return PLATFORM_FACTS[platform];
}

export function isLabPlatform(value: string): value is LabPlatform {
  return (LAB_PLATFORMS as readonly string[]).includes(value);
}

/** The product's own words for one version on one platform: `CLUSTERPRO X 2.1 for Linux(x86_64)`. */
export function productSummary(platform: LabPlatform, version: string): string {
  const majorMinor = version.split('.').slice(0, 2).join('.');
  return `CLUSTERPRO X ${majorMinor} for Linux(${PLATFORM_FACTS[platform].summaryArch})`;
}

/** The file name the vendor ships, e.g. `clusterpro-2.1.3-1.x86_64.rpm`, `clusterpro-2.1.3-1.vmware.i386.rpm`. */
export function packageFileName(platform: LabPlatform, version: string, release: string): string {
  const facts = PLATFORM_FACTS[platform];
  return `clusterpro-${version}-${release}${facts.fileInfix}.${facts.rpmArch}.rpm`;
}
