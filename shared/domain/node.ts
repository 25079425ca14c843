// What an agent says about its node (SPEC §3.1 GetNodeInfo): read before a plan is compiled,
// and read again across a reboot, which shows as a new boot id.

export interface DriverInfo {
  /** "package", "service" or "cluster". */
  role: string;
  /** e.g. "rpm", "sysv", "systemd", "clusterpro". */
  name: string;
}

export interface NodeInfo {
  hostname: string;
  /** `uname -m`: i686, x86_64, ia64, ppc64… */
  platform: string;
  kernelRelease: string;
  bootId: string;
  agentVersion: string;
  drivers: DriverInfo[];
  uptimeSeconds: number;
  /** "linux" or "solaris". Strings, not a union: a peer's newer value passes through. */
  os: string;
}
