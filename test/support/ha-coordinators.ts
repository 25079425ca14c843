// Coordinator processes (dist/coordinator/main.js) sharing one etcd journal (docs/ha.md), each
// restarted when it exits as the systemd unit restarts it (a deposed leader exits 75); the
// tests SIGKILL, SIGSTOP and SIGCONT them and ask each its role on /healthz.
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { builtProgram, freePort, spawnNode, waitFor, type Spawned } from './processes.js';

export interface HaRole {
  role: 'leader' | 'follower';
  leader: string;
}

export class HaCoordinator {
  current: Spawned | undefined;
  /** Each exit: its code or signal, and when. */
  readonly exits: Array<{ code: number | null; signal: NodeJS.Signals | null; atMs: number; output: string }> = [];
  private supervised = true;
  private respawnTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    readonly address: string,
    readonly httpPort: number,
    readonly client: CoordinatorClient,
    private readonly args: string[],
  ) {}

  spawn(): void {
    const spawned = spawnNode(builtProgram('coordinator/main.js'), this.args);
    this.current = spawned;
    void spawned.exited.then(({ code, signal }) => {
      this.exits.push({ code, signal, atMs: Date.now(), output: spawned.output() });
      if (this.current === spawned) this.current = undefined;
      // systemd's Restart=always, RestartSec short: the tests' stand-in for the unit.
      if (this.supervised && signal !== 'SIGKILL') this.respawnTimer = setTimeout(() => this.current ?? this.spawn(), 200);
    });
  }

  /** Its /healthz, or undefined when it does not answer (stopped, starting, dead). */
  async role(): Promise<HaRole | undefined> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.httpPort}/healthz`, { signal: AbortSignal.timeout(500) });
      return response.ok ? ((await response.json()) as HaRole) : undefined;
    } catch {
      return undefined;
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const current = this.current;
    if (current === undefined) return;
    current.child.kill(signal);
    if (signal === 'SIGKILL' || signal === 'SIGTERM') await current.exited;
  }

  signal(signal: NodeJS.Signals): void {
    this.current?.child.kill(signal);
  }

  output(): string {
    return this.current?.output() ?? this.exits.at(-1)?.output ?? '';
  }

  async stop(): Promise<void> {
    this.supervised = false;
    if (this.respawnTimer) clearTimeout(this.respawnTimer);
    this.client.close();
    this.signal('SIGCONT');
    await this.kill('SIGKILL');
  }
}

export interface HaGroup {
  coordinators: HaCoordinator[];
  /** The one whose /healthz says leader (and whom the others name), waiting up to `timeoutMs`. */
  leader(timeoutMs?: number): Promise<HaCoordinator>;
  /** A coordinator of the group that answers reads now. */
  anyAnswering(timeoutMs?: number): Promise<HaCoordinator>;
  stop(): Promise<void>;
}

/** `count` coordinators on loopback (--insecure) over the etcd `endpoints`, all started; resolves once one leads. */
export async function startHaGroup(options: { count: number; endpoints: string[]; prefix: string; credentialsDir: string; leaseTtl?: string }): Promise<HaGroup> {
  const coordinators: HaCoordinator[] = [];
  for (let index = 0; index < options.count; index++) {
    const address = `127.0.0.1:${await freePort()}`;
    const httpPort = await freePort();
    const args = [
      '--listen', address, '--insecure', '--credentials-dir', options.credentialsDir, '--http', `127.0.0.1:${httpPort}`,
      '--etcd', options.endpoints.join(','), '--etcd-prefix', options.prefix, '--etcd-lease-ttl', options.leaseTtl ?? '2s', '--log-level', 'info',
    ];
    coordinators.push(new HaCoordinator(`coordinator${index + 1}`, address, httpPort, new CoordinatorClient(address, undefined, { deadlineMs: 5_000 }), args));
  }
  for (const coordinator of coordinators) coordinator.spawn();
  const group: HaGroup = {
    coordinators,
    leader: (timeoutMs = 30_000) =>
      waitFor('a leader among the coordinators', async () => {
        const roles = await Promise.all(coordinators.map((coordinator) => coordinator.role()));
        const leaders = coordinators.filter((_, index) => roles[index]?.role === 'leader');
        return leaders.length === 1 ? leaders[0] : undefined;
      }, timeoutMs, 50),
    anyAnswering: (timeoutMs = 30_000) =>
      waitFor('a coordinator that answers', async () => {
        for (const coordinator of coordinators) {
          if ((await coordinator.role()) !== undefined) return coordinator;
        }
        return undefined;
      }, timeoutMs, 50),
    stop: async () => {
      await Promise.all(coordinators.map((coordinator) => coordinator.stop()));
    },
  };
  await group.leader();
  return group;
}
