// A network namespace the test makes itself (SPEC §12; the workplace allows traffic only to
// loopback and to namespaces a test creates): a veth pair, a /30 from 10.231.0.0/24 with the
// host end .1 and the namespace end .2, loopback up inside. Unique names per run; remove()
// deletes everything and never throws, so afterAll can call it after any failure.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { haveTools, isRoot } from './require-tool.js';

const run = promisify(execFile);

export interface TestNetns {
  name: string;
  /** The veth end on the host; taking it down cuts the namespace off. */
  hostLink: string;
  hostAddress: string;
  /** Where a process in the namespace listens. */
  address: string;
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  remove(): Promise<void>;
}

/** True when namespaces can be made; under CI=true a missing `ip` or root throws instead. */
export function canMakeNetns(): boolean {
  if (!haveTools('ip')) return false;
  if (isRoot()) return true;
  if (process.env.CI === 'true') throw new Error('CI=true and not root: the network-namespace tests must run in CI (as root)');
  console.warn('SKIPPING: network namespaces need root');
  return false;
}

async function ip(...args: string[]): Promise<void> {
  await run('ip', args, { timeout: 10_000 });
}

export async function createNetns(): Promise<TestNetns> {
  const tag = randomBytes(3).toString('hex');
  // 64 /30s in 10.231.0.0/24: .4k+1 on the host, .4k+2 in the namespace.
  const base = 4 * ((randomBytes(1)[0] ?? 0) % 64);
  const netns: TestNetns = {
    name: `lockstep-${tag}`,
    hostLink: `ls${tag}h`,
    hostAddress: `10.231.0.${base + 1}`,
    address: `10.231.0.${base + 2}`,
    linkDown: () => ip('link', 'set', netns.hostLink, 'down'),
    linkUp: () => ip('link', 'set', netns.hostLink, 'up'),
    remove: async () => {
      await ip('netns', 'del', netns.name).catch(() => undefined);
      // Deleting the namespace deletes its end of the pair, and with it ours; in case not:
      await ip('link', 'del', netns.hostLink).catch(() => undefined);
    },
  };
  const inside = `ls${tag}n`;
  try {
    await ip('netns', 'add', netns.name);
    await ip('link', 'add', netns.hostLink, 'type', 'veth', 'peer', 'name', inside);
    await ip('link', 'set', inside, 'netns', netns.name);
    await ip('addr', 'add', `${netns.hostAddress}/30`, 'dev', netns.hostLink);
    await ip('link', 'set', netns.hostLink, 'up');
    await ip('-n', netns.name, 'addr', 'add', `${netns.address}/30`, 'dev', inside);
    await ip('-n', netns.name, 'link', 'set', inside, 'up');
    await ip('-n', netns.name, 'link', 'set', 'lo', 'up');
  } catch (error) {
    await netns.remove();
    throw error;
  }
  return netns;
}
