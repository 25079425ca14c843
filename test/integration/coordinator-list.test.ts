// `--coordinator h1:7450,h2:7450,h3:7450` (issue 15) against real gRPC servers on loopback:
// fake coordinators of an HA group that share one book of runs — a leader, a follower that
// refuses mutating calls naming the leader, and an address where nothing listens. The CLI's
// client follows the leader, moves reads on past the dead, never sends SubmitRun twice, and a
// watch survives its coordinator.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { connectCoordinators } from '../../coordinator/cli/coordinator-connection.js';
import { CoordinatorList, parseCoordinatorList, type CoordinatorListOptions } from '../../coordinator/cli/coordinator-list.js';
import type { RunEvent, SubmitInput } from '../../shared/domain/run.js';
import { LockstepError } from '../../shared/errors.js';
import { createCertificateAuthority, issueCoordinatorCertificate, issueOperatorCertificate, type KeyAndCertificate } from '../../shared/pki/certificate-authority.js';
import type { TlsMaterial } from '../../shared/tls.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { SharedRuns, startFakeCoordinator, type FakeCoordinator, type FakeCoordinatorOptions } from '../support/fake-coordinators.js';
import { builtProgram, freePort, waitFor } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

const SUBMIT: SubmitInput = { runbookYaml: 'cluster: lab\n', runbookPath: '/srv/rb.yaml', dryRun: false, autoApprove: false, requestedBy: 'alice' };

describe('--coordinator: one address or a list', () => {
  it('takes HOST:PORT, [IPV6]:PORT, unix:PATH, a socket path, and lists of them', () => {
    expect(parseCoordinatorList('127.0.0.1:7450')).toEqual(['127.0.0.1:7450']);
    expect(parseCoordinatorList('unix:/run/lockstep/coordinator.sock')).toEqual(['unix:/run/lockstep/coordinator.sock']);
    expect(parseCoordinatorList('/run/lockstep/coordinator.sock')).toEqual(['unix:/run/lockstep/coordinator.sock']);
    expect(parseCoordinatorList('h1:7450, h2.example.net:7450 ,[::1]:7450')).toEqual(['h1:7450', 'h2.example.net:7450', '[::1]:7450']);
  });

  it.each([
    ['h1:7450,,h2:7450', /^--coordinator: entry 2 of "h1:7450,,h2:7450" is empty: expected HOST:PORT/],
    ['h1:7450,', /^--coordinator: entry 2 of "h1:7450," is empty/],
    ['', /^--coordinator: the address is empty/],
    ['h1:7450,h2:99999', /^--coordinator: entry 2 \("h2:99999"\) of "h1:7450,h2:99999": port "99999" is not a number from 1 to 65535/],
    ['h1:0', /^--coordinator: "h1:0": port "0" is not a number from 1 to 65535/],
    ['h1:http', /^--coordinator: "h1:http": port "http" is not a number/],
    ['h1:7450,h2', /^--coordinator: entry 2 \("h2"\) of "h1:7450,h2": not HOST:PORT: expected HOST:PORT\[,HOST:PORT…\]/],
    ['unix:', /^--coordinator: "unix:": unix: needs the socket's path/],
  ])('refuses %j, naming the flag and the entry', (value, message) => {
    const refusal = (() => {
      try {
        parseCoordinatorList(value);
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(refusal).toBeInstanceOf(LockstepError);
    expect(refusal).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', field: '--coordinator', message: expect.stringMatching(message) });
  });
});

describe('a CoordinatorList over an HA group of fake coordinators', () => {
  let shared: SharedRuns;
  let leader: FakeCoordinator;
  let follower: FakeCoordinator;
  let dead: string;
  let notices: string[];
  const started: FakeCoordinator[] = [];
  const lists: CoordinatorList[] = [];

  const start = async (options: FakeCoordinatorOptions): Promise<FakeCoordinator> => {
    const coordinator = await startFakeCoordinator(shared, options);
    started.push(coordinator);
    return coordinator;
  };
  const listOf = (addresses: string[], options: CoordinatorListOptions = {}): CoordinatorList => {
    const list = new CoordinatorList(addresses, (address) => new CoordinatorClient(address, credentials.createInsecure(), { deadlineMs: 5_000 }), {
      dialTimeoutMs: 2_000,
      leaderWaitMs: 5_000,
      pollMs: 20,
      notice: (line) => notices.push(line),
      ...options,
    });
    lists.push(list);
    return list;
  };
  const count = (coordinator: FakeCoordinator, rpc: string): number => coordinator.calls.filter((call) => call === rpc).length;

  beforeEach(async () => {
    shared = new SharedRuns();
    notices = [];
    leader = await start({ role: 'leader', leader: () => leader.address });
    follower = await start({ role: 'follower', leader: () => leader.address });
    dead = `127.0.0.1:${await freePort()}`;
  });

  afterEach(() => {
    for (const list of lists.splice(0)) list.close();
    for (const coordinator of started.splice(0)) coordinator.stop();
  });

  it('sends a mutating call a follower refuses to the leader it names, where it runs exactly once', async () => {
    const list = listOf([dead, follower.address, leader.address]);
    const submitted = await list.submit(SUBMIT);
    expect(submitted.runId).toBe('r-1');
    expect(shared.runs.size).toBe(1);
    expect(count(follower, 'SubmitRun')).toBe(1);
    expect(count(leader, 'SubmitRun')).toBe(1);

    // The leader answered last: the next mutating call goes straight to it.
    expect((await list.cancel('r-1')).state).toBe('cancelled');
    expect(count(follower, 'Cancel')).toBe(0);
    expect(count(leader, 'Cancel')).toBe(1);
    expect(notices).toEqual([]);
  });

  it('has a read served by the first coordinator that answers, a follower too', async () => {
    shared.create();
    const runs = await listOf([dead, follower.address, leader.address]).listRuns();
    expect(runs.map((run) => run.id)).toEqual(['r-1']);
    expect(count(follower, 'ListRuns')).toBe(1);
    expect(count(leader, 'ListRuns')).toBe(0);
  });

  it('moves a read on when its coordinator dies while answering it', async () => {
    shared.create();
    const dying: FakeCoordinator = await start({ role: 'follower', leader: () => leader.address, onCall: (rpc) => rpc === 'GetRun' && dying.stop() });
    const run = await listOf([dying.address, leader.address]).getRun('r-1');
    expect(run.id).toBe('r-1');
    expect(count(dying, 'GetRun')).toBe(1);
    expect(count(leader, 'GetRun')).toBe(1);
  });

  it('moves an idempotent call (pause) on past a coordinator that died under it', async () => {
    shared.create();
    const dying: FakeCoordinator = await start({ role: 'leader', leader: () => leader.address, onCall: (rpc) => rpc === 'Pause' && dying.stop() });
    expect((await listOf([dying.address, follower.address]).pause('r-1')).state).toBe('paused');
    expect(count(follower, 'Pause')).toBe(1);
    expect(count(leader, 'Pause')).toBe(1);
  });

  it.each([
    ['SubmitRun', (list: CoordinatorList) => list.submit(SUBMIT)],
    ['Rollback', (list: CoordinatorList) => list.rollback('r-1', 'alice')],
  ])('does not send %s again once it may have reached a coordinator that then died', async (rpc, call) => {
    shared.create();
    const dying: FakeCoordinator = await start({ role: 'leader', leader: () => undefined, onCall: (arrived) => arrived === rpc && dying.stop() });
    const failure = await call(listOf([dying.address, leader.address])).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'LOCKSTEP_E_UNAVAILABLE' });
    const message = (failure as Error).message;
    expect(message).toContain(`coordinator ${dying.address} failed while answering ${rpc}`);
    expect(message).toContain('Check `lockstep runs` before applying');
    expect(count(leader, rpc)).toBe(0);
    // It did run on the coordinator that died before answering: once, and nowhere else.
    expect(shared.runs.size).toBe(2);
  });

  it('while no leader is elected, waits (saying so once) and sends the call to the leader once one is named', async () => {
    let elected: string | undefined;
    let refusals = 0;
    const electing = await start({
      role: 'follower',
      leader: () => elected,
      // The election ends while the CLI is waiting: after the third refusal.
      onCall: (rpc) => rpc === 'Approve' && ++refusals === 3 && (elected = leader.address),
    });
    shared.create();
    const run = await listOf([electing.address]).approve('r-1', 'kernel', { operator: 'alice', planHash: 'p1' });
    expect(run.id).toBe('r-1');
    expect(count(electing, 'Approve')).toBe(3);
    expect(count(leader, 'Approve')).toBe(1);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^no coordinator leader answers yet \(this coordinator is a follower and no leader is elected yet .*\); waiting up to 5 s for one$/);
  });

  it('waits while followers still name a leader that died, and follows the new one once they name it', async () => {
    let named = dead;
    const stale = await start({ role: 'follower', leader: () => named, onCall: (rpc) => rpc === 'Resume' && count(stale, 'Resume') === 2 && (named = leader.address) });
    shared.create();
    expect((await listOf([stale.address]).resume('r-1')).state).toBe('running');
    expect(count(stale, 'Resume')).toBe(2);
    expect(count(leader, 'Resume')).toBe(1);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`the leader is ${dead}, which does not answer: coordinator ${dead}: No connection established`);
  });

  it('gives up with LOCKSTEP_E_NOT_LEADER when no leader is elected within the wait', async () => {
    const electing = await start({ role: 'follower', leader: () => undefined });
    shared.create();
    const started = Date.now();
    const failure = await listOf([electing.address], { leaderWaitMs: 300 }).cancel('r-1').catch((error: unknown) => error);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(failure).toMatchObject({ code: 'LOCKSTEP_E_NOT_LEADER', message: expect.stringMatching(/no leader is elected yet .*; waited 0.3 s for a leader: check the coordinators and etcd/) });
    expect(shared.get('r-1').state).toBe('running');
  });

  it('fails UNAVAILABLE naming every address when none answers; a lone address fails as a plain client does', async () => {
    const other = `127.0.0.1:${await freePort()}`;
    const failure = await listOf([dead, other]).listRuns().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'LOCKSTEP_E_UNAVAILABLE', message: expect.stringContaining(`none of the coordinators ${dead}, ${other} answers`) });

    const plain = new CoordinatorClient(dead, credentials.createInsecure(), { deadlineMs: 5_000 });
    const alone = await listOf([dead]).listRuns().catch((error: unknown) => error);
    const direct = await plain.listRuns().catch((error: unknown) => error);
    plain.close();
    expect(alone).toMatchObject({ code: 'LOCKSTEP_E_UNAVAILABLE', message: (direct as Error).message });
  });

  it('goes on with a watch at another coordinator when its own dies: from the next event, none twice, none missed', async () => {
    const run = shared.create();
    const seen: RunEvent[] = [];
    const watching = listOf([follower.address, leader.address]).watch(run.id, 0, (event) => seen.push(event));
    shared.append(run.id, 'step.dispatched', 'running');
    shared.append(run.id, 'step.succeeded', 'running');
    await waitFor('the first three events', () => (seen.length === 3 ? true : undefined));
    expect(follower.openWatches()).toBe(1);

    follower.stop();
    // Events that happen while the watch is down come from the leader's replay, later ones live.
    shared.append(run.id, 'step.dispatched', 'running');
    shared.append(run.id, 'step.succeeded', 'running');
    await waitFor('the watch to go on at the leader', () => (leader.openWatches() === 1 ? true : undefined));
    shared.append(run.id, 'barrier.passed', 'running');
    shared.append(run.id, 'run.succeeded', 'succeeded');
    await watching;

    expect(seen.map((event) => event.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.at(-1)?.runState).toBe('succeeded');
    expect(notices).toEqual([`the watch of run ${run.id} broke with coordinator ${follower.address}; going on from event 4 with coordinator ${leader.address}`]);
  });
});

describe('lockstep --coordinator LIST', () => {
  let shared: SharedRuns;
  let leader: FakeCoordinator;
  let follower: FakeCoordinator;

  beforeEach(async () => {
    shared = new SharedRuns();
    leader = await startFakeCoordinator(shared, { role: 'leader', leader: () => leader.address });
    follower = await startFakeCoordinator(shared, { role: 'follower', leader: () => leader.address });
  });

  afterEach(() => {
    leader.stop();
    follower.stop();
  });

  /** The built CLI as an operator runs it, `LOCKSTEP_COORDINATOR` from `env`. */
  function lockstep(args: string[], env: Record<string, string> = {}, onStdout?: (text: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [builtProgram('coordinator/cli/main.js'), ...args], {
        env: { ...process.env, USER: 'alice', LOCKSTEP_TLS_CA: '', LOCKSTEP_TLS_CERT: '', LOCKSTEP_TLS_KEY: '', LOCKSTEP_DEBUG: '', LOCKSTEP_COORDINATOR: '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 30_000,
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        onStdout?.(stdout);
      });
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  it('follows the leader for a mutating command and reads from the first that answers', async () => {
    const dead = `127.0.0.1:${await freePort()}`;
    shared.create();
    const cancelled = await lockstep(['--coordinator', `${dead},${follower.address},${leader.address}`, 'cancel', 'r-1']);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toBe('run r-1 is cancelled\n');
    expect(follower.calls.filter((call) => call === 'Cancel')).toHaveLength(1);
    expect(leader.calls.filter((call) => call === 'Cancel')).toHaveLength(1);

    const listed = await lockstep(['runs'], { LOCKSTEP_COORDINATOR: `${dead},${follower.address}` });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(/r-1\s+cancelled\s+lab/);
  });

  it('lockstep watch goes on at another coordinator when its own dies, printing every event once', async () => {
    const run = shared.create();
    shared.append(run.id, 'step.dispatched', 'running');
    let stdout = '';
    const watching = lockstep(['--coordinator', `${follower.address},${leader.address}`, 'watch', run.id], {}, (text) => (stdout = text));
    await waitFor('the first two events on stdout', () => (stdout.includes('event 2') ? true : undefined), 15_000);
    follower.stop();
    shared.append(run.id, 'step.succeeded', 'running');
    await waitFor('the watch to go on at the leader', () => (leader.openWatches() === 1 ? true : undefined), 15_000);
    shared.append(run.id, 'run.succeeded', 'succeeded');
    const watched = await watching;

    expect(watched.code, watched.stderr).toBe(0);
    for (const seq of [1, 2, 3, 4]) expect(watched.stdout.split(`event ${seq}  `)).toHaveLength(2);
    expect(watched.stderr).toBe(`lockstep: the watch of run ${run.id} broke with coordinator ${follower.address}; going on from event 3 with coordinator ${leader.address}\n`);
  });

  it('exits 2 naming --coordinator for a bad list', async () => {
    const result = await lockstep(['--coordinator', `${leader.address},,${follower.address}`, 'runs']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('lockstep runs: --coordinator: entry 2 of');
    expect(leader.calls).toEqual([]);
  });
});

describe('--coordinator LIST under TLS', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let ca: KeyAndCertificate;
  const servers: FakeCoordinator[] = [];
  const saved = { ...process.env };

  /** The material of a coordinator whose certificate names `name`. */
  const coordinatorTls = async (name: string): Promise<TlsMaterial> => {
    const issued = await issueCoordinatorCertificate(ca, name);
    return { ca: Buffer.from(ca.certPem), cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem) };
  };
  /** A follower on localhost that names, as its leader, a coordinator on localhost whose certificate names `leaderName`. */
  const group = async (leaderName: string): Promise<{ follower: FakeCoordinator; leader: FakeCoordinator }> => {
    const shared = new SharedRuns();
    shared.create();
    const leader = await startFakeCoordinator(shared, { role: 'leader', leader: () => undefined, tls: await coordinatorTls(leaderName) });
    const onLocalhost = leader.address.replace('127.0.0.1:', 'localhost:');
    const follower = await startFakeCoordinator(shared, { role: 'follower', leader: () => onLocalhost, tls: await coordinatorTls('localhost') });
    servers.push(leader, follower);
    return { follower, leader };
  };

  beforeAll(async () => {
    temp = makeTempDir('lockstep-coordinator-list-tls-');
    ca = await createCertificateAuthority('lockstep test CA');
    const alice = await issueOperatorCertificate(ca, 'alice', ['operator']);
    const files = { LOCKSTEP_TLS_CA: ca.certPem, LOCKSTEP_TLS_CERT: alice.certPem, LOCKSTEP_TLS_KEY: alice.keyPem };
    for (const [variable, pem] of Object.entries(files)) {
      const path = join(temp.dir, `${variable}.pem`);
      writeFileSync(path, pem, { mode: 0o600 });
      process.env[variable] = path;
    }
  });

  afterAll(() => {
    for (const server of servers) server.stop();
    for (const variable of ['LOCKSTEP_TLS_CA', 'LOCKSTEP_TLS_CERT', 'LOCKSTEP_TLS_KEY']) {
      if (saved[variable] === undefined) delete process.env[variable];
      else process.env[variable] = saved[variable];
    }
    temp?.remove();
  });

  it("sends the call to the leader named when the leader's certificate names its host", async () => {
    const { follower, leader } = await group('localhost');
    const list = await connectCoordinators(follower.address.replace('127.0.0.1:', 'localhost:'), undefined, { leaderWaitMs: 2_000, pollMs: 20, notice: () => undefined });
    try {
      expect((await list.pause('r-1')).state).toBe('paused');
    } finally {
      list.close();
    }
    expect(follower.calls).toEqual(['Pause']);
    expect(leader.calls).toEqual(['Pause']);
  });

  it("refuses a leader whose certificate does not name the leader's host, saying why", async () => {
    const { follower, leader } = await group('elsewhere');
    const notices: string[] = [];
    const list = await connectCoordinators(follower.address.replace('127.0.0.1:', 'localhost:'), undefined, { leaderWaitMs: 300, pollMs: 20, notice: (line) => notices.push(line) });
    const failure = await list.pause('r-1').catch((error: unknown) => error);
    list.close();
    expect(failure).toMatchObject({ code: 'LOCKSTEP_E_NOT_LEADER', message: expect.stringContaining("does not match certificate's altnames") });
    expect(notices[0]).toContain('which does not answer');
    expect(leader.calls).toEqual([]);
  });
});
