// The real coordinator process (dist/coordinator/main.js) on a lab, for the tests that kill it,
// cut its nodes off or feed it bad input: start, SIGKILL, restart on the same --db.
import { join } from 'node:path';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { builtProgram, freePort, spawnNode, waitFor, type Spawned } from './processes.js';

export class CoordinatorProcess {
  private current: Spawned | undefined;
  /** How often it was killed with SIGKILL. */
  kills = 0;
  /** When each SIGKILL was sent, epoch ms. */
  readonly killedAt: number[] = [];

  private constructor(
    readonly address: string,
    readonly httpPort: number,
    readonly dbFile: string,
    readonly client: CoordinatorClient,
    private readonly credentialsDir: string,
  ) {}

  /** A coordinator on free loopback ports (--insecure) with its database in `dir`, runbook credentials from there too; answers before this resolves. */
  static async start(dir: string): Promise<CoordinatorProcess> {
    const address = `127.0.0.1:${await freePort()}`;
    const coordinator = new CoordinatorProcess(address, await freePort(), join(dir, 'coordinator.sqlite'), new CoordinatorClient(address, undefined, { deadlineMs: 5_000 }), dir);
    await coordinator.restart();
    return coordinator;
  }

  /** Starts the process without waiting for it to answer (a chaos test may kill it mid-start). */
  spawn(): Spawned {
    this.current = spawnNode(builtProgram('coordinator/main.js'), ['--listen', this.address, '--insecure', '--credentials-dir', this.credentialsDir, '--http', `127.0.0.1:${this.httpPort}`, '--db', this.dbFile, '--log-level', 'warn']);
    return this.current;
  }

  async answers(timeoutMs = 20_000): Promise<void> {
    await waitFor('the coordinator to answer', () => this.client.listRuns(1).then(() => true), timeoutMs, 50);
  }

  async restart(): Promise<void> {
    this.spawn();
    await this.answers();
  }

  async kill(): Promise<void> {
    const current = this.current;
    if (current === undefined) return;
    this.killedAt.push(Date.now());
    current.child.kill('SIGKILL');
    await current.exited;
    this.current = undefined;
    this.kills += 1;
  }

  /** Is the process still alive (a crash in the middle of a test is a finding). */
  alive(): boolean {
    return this.current !== undefined && this.current.child.exitCode === null && this.current.child.signalCode === null;
  }

  output(): string {
    return this.current?.output() ?? '';
  }

  async stop(): Promise<void> {
    this.client.close();
    await this.kill();
  }
}
