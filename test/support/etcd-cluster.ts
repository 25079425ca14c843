// A real etcd cluster for the HA tests (issue 15): Debian's etcd on free loopback ports, data
// dirs under the test's temp dir, election timings short enough for tests. Members can be
// killed and started again on their data dir; every member still running when the test
// process exits is killed then, however the test ended.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { freePort, waitFor } from './processes.js';
import { findOnPath } from './require-tool.js';

export const ETCD_BINARY = '/usr/bin/etcd';

/** Tests that need etcd: skip with the reason when it is missing, fail under CI=true. */
export function haveEtcd(): boolean {
  if (findOnPath('etcd') !== undefined) return true;
  const reason = 'missing etcd (install: apt-get install -y etcd-server)';
  if (process.env.CI === 'true') throw new Error(`CI=true and ${reason}: these tests must run in CI`);
  console.warn(`SKIPPING: ${reason}`);
  return false;
}

export interface EtcdMember {
  readonly name: string;
  /** http://127.0.0.1:PORT, what a client dials. */
  readonly clientUrl: string;
  readonly peerUrl: string;
  readonly dataDir: string;
  /** Whether the process is alive (a SIGSTOPped member still counts as running). */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL); for a signal that ends the process, resolves once it has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts the member again on the same data dir and ports; resolves once its client port answers (not once it has a leader). */
  start(): Promise<void>;
  /** The process's output so far (the last 64 KiB), for failure messages. */
  output(): string;
}

export interface EtcdCluster {
  /** Every member's client URL, for `--etcd` and the etcd3 client's `hosts`. */
  readonly endpoints: string[];
  readonly members: EtcdMember[];
  /** Resolves once every running member reports the same elected leader. */
  waitForLeader(timeoutMs?: number): Promise<void>;
  /** Kills every member and removes the data dirs it made; nothing else. */
  stop(): Promise<void>;
}

export interface EtcdClusterOptions {
  /** The test's temp dir: each member's data dir is made under it. */
  dir: string;
  members?: number;
  /** How long the cluster may take to elect its first leader. */
  timeoutMs?: number;
}

// Ten heartbeats per election timeout, as etcd advises; short enough that a test sees a new
// leader within about a second, long enough that a busy 2-core machine does not flap.
const HEARTBEAT_MS = 100;
const ELECTION_TIMEOUT_MS = 1_000;
const OUTPUT_CAP = 64 * 1024;
const LOOPBACK = '127.0.0.1';

const alive = new Set<ChildProcess>();
let exitHookInstalled = false;

/** However the test process ends, no etcd of it stays behind. */
function killOnExit(child: ChildProcess): void {
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = (): void => {
    for (const member of alive) member.kill('SIGKILL');
  };
  process.once('exit', killAll);
  // A test runner that ends its worker with a signal skips 'exit': kill them, then die of it.
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.kill(process.pid, signal);
    });
  }
}

export async function startEtcdCluster(options: EtcdClusterOptions): Promise<EtcdCluster> {
  const count = options.members ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`startEtcdCluster: members must be a whole number ≥ 1, got ${count}`);
  const token = `lockstep-test-${process.pid}-${Date.now()}`;
  const layout = [];
  for (let index = 1; index <= count; index += 1) {
    const name = `etcd${index}`;
    layout.push({ name, clientUrl: `http://${LOOPBACK}:${await freePort()}`, peerUrl: `http://${LOOPBACK}:${await freePort()}`, dataDir: join(options.dir, `${name}.etcd`) });
  }
  const initialCluster = layout.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  const members = layout.map((member) => new Member(member.name, member.clientUrl, member.peerUrl, member.dataDir, [`--initial-cluster=${initialCluster}`, '--initial-cluster-state=new', `--initial-cluster-token=${token}`]));
  const cluster: EtcdCluster = {
    endpoints: members.map((member) => member.clientUrl),
    members,
    waitForLeader: (timeoutMs = 20_000) => waitForLeader(members, timeoutMs),
    stop: async () => {
      await Promise.all(members.map((member) => member.kill('SIGKILL')));
      for (const member of members) if (member.madeDataDir) rmSync(member.dataDir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all(members.map((member) => member.start()));
    await cluster.waitForLeader(options.timeoutMs);
  } catch (error) {
    const outputs = members.map((member) => `--- ${member.name}\n${member.output().slice(-2_000)}`).join('\n');
    await cluster.stop();
    throw new Error(`the etcd cluster did not come up: ${String(error)}\n${outputs}`, { cause: error });
  }
  return cluster;
}

class Member implements EtcdMember {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private log = '';
  madeDataDir = false;

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    private readonly bootstrapFlags: readonly string[],
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.log;
  }

  async start(): Promise<void> {
    if (this.running) throw new Error(`etcd member ${this.name} is already running`);
    if (!this.madeDataDir) {
      mkdirSync(this.dataDir, { recursive: false, mode: 0o700 });
      this.madeDataDir = true;
    }
    // On a data dir that holds a member already, etcd ignores the --initial-* flags.
    const child = spawn(
      ETCD_BINARY,
      [
        `--name=${this.name}`,
        `--data-dir=${this.dataDir}`,
        `--listen-client-urls=${this.clientUrl}`,
        `--advertise-client-urls=${this.clientUrl}`,
        `--listen-peer-urls=${this.peerUrl}`,
        `--initial-advertise-peer-urls=${this.peerUrl}`,
        ...this.bootstrapFlags,
        `--heartbeat-interval=${HEARTBEAT_MS}`,
        `--election-timeout=${ELECTION_TIMEOUT_MS}`,
        '--logger=zap',
        '--log-level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
    );
    this.child = child;
    killOnExit(child);
    const keep = (chunk: Buffer): void => {
      this.log = `${this.log}${chunk.toString()}`.slice(-OUTPUT_CAP);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const spawnFailed = new Promise<never>((_resolve, reject) => child.once('error', reject));
    await Promise.race([spawnFailed, waitFor(`etcd member ${this.name} to answer on ${this.clientUrl}`, () => this.answers(), 10_000)]);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === undefined || !this.running) return;
    child.kill(signal);
    if (signal === 'SIGSTOP' || signal === 'SIGCONT') return;
    await this.exited;
  }

  /** /version answers as soon as the client port listens, quorum or not. */
  private async answers(): Promise<true | undefined> {
    if (!this.running) throw new Error(`etcd member ${this.name} exited: ${this.log.slice(-2_000)}`);
    const response = await fetch(`${this.clientUrl}/version`, { signal: AbortSignal.timeout(1_000) });
    return response.ok ? true : undefined;
  }
}

/** Every running member names the same leader (a member id; "0" is none). */
async function waitForLeader(members: readonly Member[], timeoutMs: number): Promise<void> {
  await waitFor(
    'the etcd cluster to elect a leader',
    async () => {
      const running = members.filter((member) => member.running);
      const leaders = await Promise.all(running.map((member) => leaderSeenBy(member.clientUrl)));
      const [first] = leaders;
      return first !== undefined && first !== '0' && leaders.every((leader) => leader === first) ? true : undefined;
    },
    timeoutMs,
    100,
  );
}

async function leaderSeenBy(clientUrl: string): Promise<string> {
  // One client per probe: the etcd3 client's circuit breaker would otherwise hold a member
  // that failed a probe closed for seconds after it recovered.
  const client = new Etcd3({ hosts: [clientUrl], dialTimeout: 1_000 });
  try {
    return (await client.maintenance.status({ deadline: Date.now() + 1_000 })).leader;
  } finally {
    client.close();
  }
}
