// Issue 20, reproduced as an unprivileged local user would try it: the coordinator's API on its
// Unix socket names callers by the kernel, grants roles by group, reads credentials only from
// its --credentials-dir, and enforces four-eyes approvals. CI runs as root: the test creates
// users and groups, drops to them with setpriv, and removes them afterwards.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import { RunStore } from '../../coordinator/store/run-store.js';
import { readHistory } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { labRunbookFacts, type LabRunbookFacts } from '../support/custom-runbook.js';
import { startLab, type CliResult, type TestLab } from '../support/lab-harness.js';
import { builtProgram } from '../support/processes.js';
import { haveTools, isRoot } from '../support/require-tool.js';

const run = promisify(execFile);
const suffix = Math.random().toString(16).slice(2, 7);
const GROUPS = { socket: `lsk${suffix}`, operator: `lso${suffix}`, approver: `lsa${suffix}` };
// operator+approver, approver, viewer, and someone outside every group.
const USERS = {
  olga: { name: `lso${suffix}u`, groups: [GROUPS.socket, GROUPS.operator, GROUPS.approver] },
  axel: { name: `lsa${suffix}u`, groups: [GROUPS.socket, GROUPS.approver] },
  vera: { name: `lsv${suffix}u`, groups: [GROUPS.socket] },
  nora: { name: `lsn${suffix}u`, groups: [] as string[] },
};
type User = keyof typeof USERS;

function canRun(): boolean {
  if (!isRoot()) {
    if (process.env.CI === 'true') throw new Error('CI=true and not root: the local-API tests create users and must run');
    console.warn('SKIPPING: the local-API tests create users and need root');
    return false;
  }
  return haveTools('setpriv', 'useradd', 'groupadd', 'userdel', 'groupdel');
}

let lab: TestLab;
let facts: LabRunbookFacts;
let store: RunStore;
let engine: Engine;
let coordinator: RunningCoordinator;
let socket: string;

/** The built CLI as `user`, with only that user's groups; never throws for a non-zero exit. */
async function cliAs(user: User, args: string[]): Promise<CliResult> {
  const { name } = USERS[user];
  try {
    const { stdout, stderr } = await run('setpriv', ['--reuid', name, '--regid', 'nogroup', '--init-groups', process.execPath, builtProgram('coordinator/cli/main.js'), '--coordinator', `unix:${socket}`, ...args], {
      timeout: 60_000,
      env: { PATH: process.env.PATH, HOME: '/', USER: 'claimed-name' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof failure.code === 'number' ? failure.code : -1, stdout: failure.stdout ?? '', stderr: failure.stderr ?? '' };
  }
}

/** A custom runbook in the lab, readable by every test user. */
function runbook(name: string, steps: unknown[], extra: Record<string, unknown> = {}): string {
  const pki = join(lab.dir, 'pki');
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, stringify({ cluster: 'lab', nodes: facts.nodes, procedure: 'custom', tls: { ca: join(pki, 'ca.pem'), cert: join(pki, 'coordinator.pem'), key: join(pki, 'coordinator.key') }, steps, ...extra }), { mode: 0o644 });
  return path;
}

const GATED = [
  { id: 'query', kind: 'package.query', on: 'all', with: { name: 'clusterpro' } },
  { id: 'kernel', kind: 'gate', with: { message: 'kernel updated on every server?' } },
];

describe.skipIf(!canRun())('the local API on a Unix socket (issue 20)', () => {
  beforeAll(async () => {
    for (const group of Object.values(GROUPS)) execFileSync('groupadd', [group]);
    for (const user of Object.values(USERS)) {
      execFileSync('useradd', ['-M', '-N', '-g', 'nogroup', '-s', '/usr/sbin/nologin', ...(user.groups.length > 0 ? ['-G', user.groups.join(',')] : []), user.name]);
    }
    lab = await startLab({ nodes: 2 });
    facts = labRunbookFacts(lab.dir);
    // The test users must reach the runbooks (and nothing else: pki/ stays root's, 0700).
    chmodSync(dirname(lab.dir), 0o755);
    chmodSync(lab.dir, 0o755);
    socket = join(lab.dir, 'run', 'coordinator.sock');
    store = new RunStore(join(lab.dir, 'coordinator.sqlite'));
    coordinator = await startCoordinator(
      {
        socket: { path: socket, group: GROUPS.socket, roleGroups: { viewer: GROUPS.socket, operator: GROUPS.operator, approver: GROUPS.approver } },
        listen: undefined,
        http: '127.0.0.1:0',
        dbFile: join(lab.dir, 'coordinator.sqlite'),
        tls: undefined,
        credentialsDirs: [join(lab.dir, 'pki')],
        fourEyes: false,
        logLevel: 'silent',
      },
      silentLogger(),
      {
        createRunService: async (options) => {
          engine = await createEngine({ ...options, store, dbFile: undefined });
          return engine;
        },
      },
    );
    chmodSync(dirname(socket), 0o755);
  }, 120_000);

  afterAll(async () => {
    await coordinator?.stop();
    await lab?.down();
    for (const user of Object.values(USERS)) execFileSync('userdel', [user.name], { stdio: 'ignore' });
    for (const group of Object.values(GROUPS)) execFileSync('groupdel', [group], { stdio: 'ignore' });
  });

  it('creates the socket 0660, owned by root and the socket group', () => {
    const [mode, owner] = execFileSync('stat', ['-c', '%a %U:%G', socket], { encoding: 'utf8' }).trim().split(' ');
    expect(mode).toBe('660');
    expect(owner).toBe(`root:${GROUPS.socket}`);
  });

  it('refuses a user outside the socket group at connect(), and nothing is created', async () => {
    const before = engine.listRuns(100).length;
    const result = await cliAs('nora', ['apply', runbook('nora', GATED)]);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/EACCES|Permission denied|permission denied/i);
    expect(engine.listRuns(100)).toHaveLength(before);
  });

  it('lets a user of the operator group start a run, journaled in the name the kernel gives, not $USER', async () => {
    const result = await cliAs('olga', ['apply', runbook('olga', GATED)]);
    expect(result.code, result.stderr).toBe(0);
    const runId = result.stdout.trim().split('\n').at(-1) ?? '';
    expect(store.getRun(runId).requestedBy).toBe(USERS.olga.name);
    expect(store.events(runId, 0, 1)[0]?.message).toMatch(new RegExp(`requested by ${USERS.olga.name}$`));
    await cliAs('olga', ['cancel', runId, '--comment', 'rehearsal over']);
    // The operator trail names the kernel's user too, proven, with the socket and the caller's pid.
    const socketAddress = expect.stringMatching(/^unix:\S+ pid \d+$/);
    expect(store.operatorActions({ runId, sinceMs: 0, limit: 10 })).toEqual([
      expect.objectContaining({ action: 'submit', operator: USERS.olga.name, authenticated: true, transport: 'socket', address: socketAddress }),
      expect.objectContaining({ action: 'cancel', operator: USERS.olga.name, authenticated: true, transport: 'socket', address: socketAddress, comment: 'rehearsal over' }),
    ]);
  });

  it('refuses a viewer what needs the operator role, naming it, and audits the refusal', async () => {
    const runs = await cliAs('vera', ['runs']);
    expect(runs.code, runs.stderr).toBe(0);
    const result = await cliAs('vera', ['apply', runbook('vera', GATED)]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/SubmitRun needs the operator role; .* has only viewer/);
    expect(store.auditEntries(10)).toContainEqual(expect.objectContaining({ caller: USERS.vera.name, transport: 'socket', rpc: 'SubmitRun', role: 'operator', allowed: false }));
  });

  it('grants each RPC to exactly the roles the issue lists', async () => {
    const gated = runbook('matrix', GATED);
    const started = await cliAs('olga', ['apply', gated]);
    const runId = started.stdout.trim().split('\n').at(-1) ?? '';
    const matrix = async (user: User): Promise<Record<string, string>> => {
      const { stdout } = await run('setpriv', ['--reuid', USERS[user].name, '--regid', 'nogroup', '--init-groups', process.execPath, join(import.meta.dirname, '../support/rpc-matrix-worker.mjs'), `unix:${socket}`, runId, gated], { timeout: 60_000 });
      return JSON.parse(stdout) as Record<string, string>;
    };
    const reads = { GetRun: 'allowed', ListRuns: 'allowed', WatchRun: 'allowed', ListNodes: 'allowed' };
    const changes = (answer: string) => ({ SubmitRun: answer, Pause: answer, Resume: answer, Retry: answer, Cancel: answer, Rollback: answer });
    expect(await matrix('vera')).toEqual({ ...reads, ...changes('denied'), Approve: 'denied' });
    expect(await matrix('axel')).toEqual({ ...reads, ...changes('denied'), Approve: 'allowed' });
    expect(await matrix('olga')).toEqual({ ...reads, ...changes('allowed'), Approve: 'allowed' });
    await cliAs('olga', ['cancel', runId]);
  }, 120_000);

  describe('the finding: a runbook naming a key outside the credentials directories', () => {
    it('is refused with exit 2 naming tls.key, nothing dispatched, the same for an existing and a missing file', async () => {
      const secret = join(dirname(lab.dir), 'root-only');
      mkdirSync(secret, { mode: 0o700, recursive: true });
      copyFileSync(join(lab.dir, 'pki', 'coordinator.key'), join(secret, 'coordinator.key'));
      const answers: string[] = [];
      for (const key of [join(secret, 'coordinator.key'), join(secret, 'missing.key')]) {
        const path = runbook(`finding-${answers.length}`, [{ id: 'update', kind: 'package.install', on: 'all', with: { package: facts.targetPackage } }]);
        const yaml = readFileSync(path, 'utf8').replace(join(lab.dir, 'pki', 'coordinator.key'), key);
        writeFileSync(path, yaml);
        const history = readHistory(lab.dir).length;
        const before = engine.listRuns(100).length;
        const result = await cliAs('olga', ['apply', path, '--wait', '--yes']);
        expect(result.code, result.stderr).toBe(2);
        expect(result.stderr).toMatch(/tls\.key \(.*\) is not inside a credentials directory of this coordinator/);
        expect(readHistory(lab.dir)).toHaveLength(history);
        expect(engine.listRuns(100)).toHaveLength(before);
        answers.push(result.stderr.replace(key, 'KEY'));
      }
      expect(answers[0]).toBe(answers[1]);
    }, 60_000);
  });

  describe('four-eyes approvals', () => {
    it("refuses the submitter's approval and apply --yes, and accepts another approver's", async () => {
      const fourEyes = runbook('four-eyes', GATED, { approvals: { 'distinct-from-submitter': true } });
      const yes = await cliAs('olga', ['apply', fourEyes, '--yes']);
      expect(yes.code).toBe(2);
      expect(yes.stderr).toMatch(/apply --yes: this run needs its gates approved by someone other than its submitter/);
      const started = await cliAs('olga', ['apply', fourEyes]);
      expect(started.code, started.stderr).toBe(0);
      const runId = started.stdout.trim().split('\n').at(-1) ?? '';
      await waitForState(runId, 'awaiting-approval');
      const own = await cliAs('olga', ['approve', runId, 'kernel']);
      expect(own.code).toBe(2);
      expect(own.stderr).toMatch(new RegExp(`four-eyes: ${USERS.olga.name} submitted run ${runId} and may not approve its gates`));
      const other = await cliAs('axel', ['approve', runId, 'kernel']);
      expect(other.code, other.stderr).toBe(0);
      expect(store.approvals(runId)).toEqual([expect.objectContaining({ gateId: 'kernel', operator: USERS.axel.name })]);
      expect(store.getRun(runId).requestedBy).toBe(USERS.olga.name);
    }, 60_000);
  });
});

async function waitForState(runId: string, state: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (engine.getRun(runId).state !== state) {
    if (Date.now() > deadline) throw new Error(`run ${runId} never became ${state}: ${engine.getRun(runId).state}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
