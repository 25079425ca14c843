// What the agent reports about its node. Read through an interface because the simulated
// node (lab/node) answers these from its own state: a simulated reboot must show a new
// boot id exactly as a real one does.
import { readFile } from 'node:fs/promises';
import os from 'node:os';

export interface NodeFacts {
  hostname(): Promise<string>;
  /** `uname -m`: i686, x86_64, ia64, ppc64… */
  machine(): Promise<string>;
  kernelRelease(): Promise<string>;
  bootId(): Promise<string>;
  uptimeSeconds(): Promise<number>;
  os(): 'linux' | 'solaris';
}

export class HostFacts implements NodeFacts {
  constructor(private readonly bootIdFile = '/proc/sys/kernel/random/boot_id') {}

  async hostname(): Promise<string> {
    return os.hostname();
  }

  async machine(): Promise<string> {
    return os.machine();
  }

  async kernelRelease(): Promise<string> {
    return os.release();
  }

  async bootId(): Promise<string> {
    return (await readFile(this.bootIdFile, 'utf8')).trim();
  }

  async uptimeSeconds(): Promise<number> {
    return Math.floor(os.uptime());
  }

  os(): 'linux' | 'solaris' {
    return os.platform() === 'sunos' ? 'solaris' : 'linux';
  }
}
