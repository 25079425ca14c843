// docs/security.md, "Directories someone else made": a lab, a certificate directory, the
// coordinator's --db directory and the agent's --state-dir are the caller's own, private,
// and their files 0600 whatever the umask. Reproduced as the unprivileged user who attacked.
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../../agent/agent-server.js';
import { createLab } from '../../lab/lab-create.js';
import { isLockstepError } from '../../shared/errors.js';
import { silentLogger } from '../../shared/logger.js';
import { addAgentCertificates, initCertificates } from '../../shared/pki/certs-init.js';
import { preparePrivateDir, warnIfKeyExposed } from '../../shared/private-dir.js';
import { openDatabase } from '../../shared/sqlite.js';
import { agentConfig, makePki } from '../support/agent-harness.js';
import { makeTempDir } from '../support/temp-dir.js';
import { canCreateUsers, createUnprivilegedUser, type UnprivilegedUser } from '../support/unprivileged-user.js';

const mode = (path: string): number => statSync(path).mode & 0o7777;

/** A logger that keeps the message of every warning. */
function warningLogger(): { logger: ReturnType<typeof silentLogger>; warnings: string[] } {
  const warnings: string[] = [];
  const logger = silentLogger();
  logger.warn = ((first: unknown, second?: unknown) => warnings.push(typeof first === 'string' ? first : String(second))) as typeof logger.warn;
  return { logger, warnings };
}

function expectRefusal(error: unknown, field: string, reason: RegExp): void {
  expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG'), String(error)).toBe(true);
  expect(error).toMatchObject({ field, message: expect.stringMatching(reason) });
}

describe.skipIf(!canCreateUsers())('directories another user made first (as mallory)', () => {
  let mallory: UnprivilegedUser;
  let temp: ReturnType<typeof makeTempDir>;

  beforeAll(() => {
    mallory = createUnprivilegedUser();
    temp = makeTempDir('lockstep-mallory-');
    // mallory can reach the temp dir, as she reaches /tmp, but owns nothing in it.
    chmodSync(temp.dir, 0o1777);
  });

  afterAll(() => {
    temp?.remove();
    mallory?.remove();
  });

  it('lab up refuses a directory mallory made, and writes nothing into it', async () => {
    const labM = join(temp.dir, 'labM');
    mallory.run(['mkdir', '-m', '0755', labM]);
    const error = await createLab({ dir: labM, nodes: 1, rpm: 'emulated', portBase: 40_001 }).catch((thrown: unknown) => thrown);
    expectRefusal(error, '--dir', /belongs to uid \d+, not to this user/);
    expect(readdirSync(labM)).toEqual([]);
  });

  it('certs init refuses a directory mallory made, and writes no CA for her to replace', async () => {
    const certsM = join(temp.dir, 'certsM');
    mallory.run(['mkdir', '-m', '0755', certsM]);
    const error = await initCertificates({ dir: certsM, coordinator: 'coordinator', agents: ['server1'] }).catch((thrown: unknown) => thrown);
    expectRefusal(error, '--dir', /belongs to uid/);
    expect(readdirSync(certsM)).toEqual([]);
  });

  it('certs add refuses an agents/ directory mallory owns inside our own certificate directory', async () => {
    const certs = join(temp.dir, 'certs');
    await initCertificates({ dir: certs, coordinator: 'coordinator', agents: ['server1'] });
    const agents = join(certs, 'agents');
    chmodSync(agents, 0o755);
    // As if agents/ had been handed over: she could swap a certificate between our writes.
    await import('node:fs').then(({ chownSync }) => chownSync(agents, mallory.uid, mallory.gid));
    const error = await addAgentCertificates(certs, ['server2']).catch((thrown: unknown) => thrown);
    expectRefusal(error, '--dir', /agents: it belongs to uid/);
    expect(existsSync(join(agents, 'server2.key'))).toBe(false);
  });

  it('the agent refuses a --state-dir mallory owns, whatever its mode', async () => {
    const pki = await makePki(join(temp.dir, 'pki'), ['server1']);
    const config = agentConfig({ root: join(temp.dir, 'agent'), pki });
    const stateM = join(temp.dir, 'stateM');
    mallory.run(['mkdir', '-m', '0700', stateM]);
    const error = await startAgent({ ...config, stateDir: stateM }, silentLogger()).catch((thrown: unknown) => thrown);
    expectRefusal(error, '--state-dir', /belongs to uid/);
  });

  it('a symlink mallory planted where the lab goes is refused, not followed', async () => {
    const target = join(temp.dir, 'target');
    mkdirSync(target, { mode: 0o700 });
    const link = join(temp.dir, 'labLink');
    mallory.run(['ln', '-s', target, link]);
    const error = await createLab({ dir: link, nodes: 1, rpm: 'emulated', portBase: 40_001 }).catch((thrown: unknown) => thrown);
    expectRefusal(error, '--dir', /symbolic link/);
    expect(readdirSync(target)).toEqual([]);
  });
});

describe('private directories and files, whatever the umask', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let umask: number;

  beforeAll(() => {
    temp = makeTempDir('lockstep-private-');
  });

  afterAll(() => temp?.remove());

  afterEach(() => {
    if (umask !== undefined) process.umask(umask);
  });

  const openUmask = (): void => {
    umask = process.umask(0);
  };

  it('under umask 000 a new lab is 0700, its keys 0600, and nothing in it is reachable by others', async () => {
    openUmask();
    const lab = await createLab({ dir: join(temp.dir, 'lab'), nodes: 1, rpm: 'emulated', portBase: 40_001 });
    expect(mode(lab.root)).toBe(0o700);
    expect(mode(join(lab.root, 'pki'))).toBe(0o700);
    expect(mode(join(lab.root, 'pki', 'ca.key'))).toBe(0o600);
    expect(mode(join(lab.root, 'pki', 'agents', 'server1.key'))).toBe(0o600);
  });

  it('under umask 000 a database and its -wal file are 0600, and an existing looser one is made 0600', () => {
    openUmask();
    const file = join(temp.dir, 'journal.sqlite');
    const db = openDatabase(file, ['CREATE TABLE t (x INTEGER);']);
    db.prepare('INSERT INTO t VALUES (1)').run();
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
    db.close();
    chmodSync(file, 0o666);
    openDatabase(file, ['CREATE TABLE t (x INTEGER);']).close();
    expect(mode(file)).toBe(0o600);
  });

  it('a database that is a symlink is refused', () => {
    const target = join(temp.dir, 'elsewhere.sqlite');
    writeFileSync(target, '');
    const link = join(temp.dir, 'linked.sqlite');
    symlinkSync(target, link);
    expect(() => openDatabase(link, [])).toThrow(/database: refusing .*symbolic link/);
  });

  it('a lab or certificate directory that group or others may write is refused', async () => {
    const open = join(temp.dir, 'open-lab');
    mkdirSync(open);
    chmodSync(open, 0o777);
    const lab = await createLab({ dir: open, nodes: 1, rpm: 'emulated', portBase: 40_001 }).catch((thrown: unknown) => thrown);
    expectRefusal(lab, '--dir', /group or others may write it \(mode 0777\)/);
    chmodSync(open, 0o775);
    const certs = await initCertificates({ dir: open, coordinator: 'coordinator', agents: ['server1'] }).catch((thrown: unknown) => thrown);
    expectRefusal(certs, '--dir', /mode 0775/);
    expect(readdirSync(open)).toEqual([]);
  });

  it('an existing empty lab directory of ours is accepted and closed to others', async () => {
    const mine = join(temp.dir, 'my-lab');
    mkdirSync(mine, { mode: 0o755 });
    const lab = await createLab({ dir: mine, nodes: 1, rpm: 'emulated', portBase: 40_001 });
    expect(mode(lab.root)).toBe(0o700);
  });

  it('the agent repairs a --state-dir of its own that others may write, and says so', async () => {
    const pki = await makePki(join(temp.dir, 'agent-pki'), ['server1']);
    const config = agentConfig({ root: join(temp.dir, 'agent'), pki });
    chmodSync(config.stateDir, 0o777);
    const { logger, warnings } = warningLogger();
    const agent = await startAgent(config, logger);
    await agent.stop();
    expect(mode(config.stateDir)).toBe(0o700);
    expect(mode(join(config.stateDir, 'journal.sqlite'))).toBe(0o600);
    expect(warnings).toContainEqual(expect.stringMatching(/--state-dir: .* was writable by group or others \(mode 0777\); made it 0700/));
  });

  it('a sticky shared directory such as /tmp is never repaired: it is refused', () => {
    const shared = join(temp.dir, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => preparePrivateDir(shared, { field: '--db', followSymlink: true, repair: () => undefined })).toThrow(/--db: refusing .*mode 01777/);
    expect(mode(shared)).toBe(0o1777);
  });

  it('--state-dir and --db may be symlinks of the operator’s own, to a private directory', () => {
    const real = join(temp.dir, 'volume');
    mkdirSync(real, { mode: 0o700 });
    const link = join(temp.dir, 'var-lib-link');
    symlinkSync(real, link);
    expect(() => preparePrivateDir(link, { field: '--db', followSymlink: true })).not.toThrow();
    expect(() => preparePrivateDir(link, { field: '--dir' })).toThrow(/symbolic link/);
  });

  it('a private key readable by others is warned about, a 0600 one is not', () => {
    const key = join(temp.dir, 'node.key');
    writeFileSync(key, 'key', { mode: 0o600 });
    const { logger, warnings } = warningLogger();
    warnIfKeyExposed(key, logger);
    expect(warnings).toEqual([]);
    chmodSync(key, 0o644);
    warnIfKeyExposed(key, logger);
    expect(warnings).toEqual([expect.stringMatching(/private key .*node.key is readable or writable by group or others/)]);
  });
});
