import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCertsCommand } from '../../coordinator/cli/certs-command.js';
import { isLockstepError } from '../../shared/errors.js';
import { readCertificateIdentity } from '../../shared/pki/certificate-identity.js';
import { addAgentCertificates, initCertificates } from '../../shared/pki/certs-init.js';
import { issueOperatorCertificates } from '../../shared/pki/operator-certificates.js';
import { parseRoles } from '../../shared/pki/roles.js';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const YEAR_MS = 365 * DAY_MS;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lockstep-pki-'));
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}

async function readCert(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(join(dir, path)));
}

async function expectConfigError(promise: Promise<unknown>, field: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
  expect(isLockstepError(error) && error.field).toBe(field);
  expect(isLockstepError(error) && error.message).toContain(field);
}

describe('certs init (SPEC §8)', () => {
  it('writes exactly the documented layout, and nothing else', async () => {
    const { files } = await initCertificates({ dir, coordinator: 'admin1', agents: ['server1', 'server2'] });
    const expected = [
      'agents/server1.key',
      'agents/server1.pem',
      'agents/server2.key',
      'agents/server2.pem',
      'ca.key',
      'ca.pem',
      'coordinator.key',
      'coordinator.pem',
    ];
    expect(files.map((file) => relative(dir, file)).sort()).toEqual(expected);
    expect(await listFiles(dir)).toEqual(expected);
  });

  it('creates every key readable by its owner only', async () => {
    const { files } = await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    for (const file of files.filter((path) => path.endsWith('.key'))) {
      expect(((await stat(file)).mode & 0o777).toString(8), file).toBe('600');
    }
    expect((await stat(join(dir, 'agents'))).mode & 0o077).toBe(0);
  });

  it('gives the coordinator clientAuth and serverAuth, and agents serverAuth only', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    const coordinator = await readCert('coordinator.pem');
    const agent = await readCert('agents/server1.pem');

    expect(coordinator.subject).toContain('CN=admin1');
    expect(coordinator.subject).toContain('OU=coordinator');
    expect(coordinator.keyUsage.sort()).toEqual([SERVER_AUTH, CLIENT_AUTH].sort());
    expect(coordinator.subjectAltName).toBe('DNS:admin1');

    expect(agent.subject).toContain('CN=server1');
    expect(agent.subject).toContain('OU=agent');
    expect(agent.keyUsage).toEqual([SERVER_AUTH]);
    expect(agent.subjectAltName).toBe('DNS:server1');
  });

  it('reads back the identity the coordinator checks against the runbook', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    expect(readCertificateIdentity(await readFile(join(dir, 'coordinator.pem'), 'utf8'))).toEqual({
      commonName: 'admin1',
      role: 'coordinator',
      dnsNames: ['admin1'],
      operatorRoles: [],
    });
    expect(readCertificateIdentity((await readCert('agents/server1.pem')).raw)).toEqual({
      commonName: 'server1',
      role: 'agent',
      dnsNames: ['server1'],
      operatorRoles: [],
    });
    expect(readCertificateIdentity((await readCert('ca.pem')).raw).role).toBe('unknown');
  });

  it('issues an operator certificate that carries its roles, with which no agent would let it in', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    const { files } = await issueOperatorCertificates({ dir, operator: 'alice', roles: parseRoles('approver, operator', '--roles') });
    expect(files).toEqual([join(dir, 'operators', 'alice.pem'), join(dir, 'operators', 'alice.key')]);
    expect((await stat(join(dir, 'operators', 'alice.key'))).mode & 0o777).toBe(0o600);
    const identity = readCertificateIdentity((await readCert('operators/alice.pem')).raw);
    expect(identity).toMatchObject({ commonName: 'alice', role: 'unknown', operatorRoles: ['operator', 'approver'] });
    expect(() => parseRoles('operator,root', '--roles')).toThrow(/--roles: "root" is not a role \(roles: viewer, operator, approver\)/);
    await expect(issueOperatorCertificates({ dir, operator: 'alice', roles: ['viewer'] })).rejects.toThrow(/--operator: .*alice.pem already exists/);
    await expect(issueOperatorCertificates({ dir, operator: '-rf', roles: ['viewer'] })).rejects.toThrow(/--operator: "-rf" is not a valid name/);
  });

  it('signs every leaf with the CA, which is a CA, with the documented validity', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    const ca = await readCert('ca.pem');
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(Date.parse(ca.validTo) - Date.now()).toBeGreaterThan(9.9 * YEAR_MS);

    const serials = new Set([ca.serialNumber]);
    for (const name of ['coordinator', 'agents/server1']) {
      const leaf = await readCert(`${name}.pem`);
      expect(leaf.ca).toBe(false);
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.checkPrivateKey(createPrivateKey(await readFile(join(dir, `${name}.key`))))).toBe(true);
      expect(Date.now() - Date.parse(leaf.validFrom)).toBeGreaterThan(0.9 * HOUR_MS);
      expect(Math.round((Date.parse(leaf.validTo) - Date.now()) / DAY_MS)).toBe(397);
      serials.add(leaf.serialNumber);
    }
    expect(serials.size).toBe(3);
  });

  it('puts loopback names only on lab certificates (issue 21 §4)', async () => {
    await initCertificates({ dir, coordinator: 'coordinator', agents: ['server1'], loopbackNames: true });
    expect((await readCert('agents/server1.pem')).subjectAltName).toBe('DNS:server1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  });

  it('honours --days for the leaves and --ca-days for the CA', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'], days: 30, caDays: 400 });
    const daysLeft = async (file: string) => Math.round((Date.parse((await readCert(file)).validTo) - Date.now()) / DAY_MS);
    expect(await daysLeft('ca.pem')).toBe(400);
    expect(await daysLeft('coordinator.pem')).toBe(30);
    expect(await daysLeft('agents/server1.pem')).toBe(30);
  });

  it.each([
    ['--days', { days: 0 }],
    ['--days', { days: 1.5 }],
    ['--ca-days', { caDays: 100_000 }],
    // A leaf that outlives its CA would stop working on the CA's last day.
    ['--days', { days: 400, caDays: 300 }],
  ])('refuses a validity it cannot honour, naming %s, and writes nothing', async (field, validity) => {
    await expectConfigError(initCertificates({ dir, coordinator: 'admin1', agents: ['server1'], ...validity }), field);
    expect(await listFiles(dir)).toEqual([]);
  });

  it('refuses to replace an existing CA unless forced', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    const before = await readFile(join(dir, 'ca.pem'), 'utf8');

    await expectConfigError(initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] }), '--dir');
    expect(await readFile(join(dir, 'ca.pem'), 'utf8')).toBe(before);

    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'], force: true });
    expect(await readFile(join(dir, 'ca.pem'), 'utf8')).not.toBe(before);
  });

  it.each([
    ['--coordinator', { coordinator: 'admin 1', agents: ['server1'] }],
    ['--coordinator', { coordinator: '', agents: ['server1'] }],
    ['--agents', { coordinator: 'admin1', agents: ['server1', '-rf'] }],
    ['--agents', { coordinator: 'admin1', agents: ['../etc/passwd'] }],
    ['--agents', { coordinator: 'admin1', agents: ['a'.repeat(64)] }],
    ['--agents', { coordinator: 'admin1', agents: ['server1', 'server1'] }],
    ['--agents', { coordinator: 'admin1', agents: [] }],
    ['--agents', { coordinator: 'admin1', agents: ['localhost'] }],
    ['--agents', { coordinator: 'admin1', agents: ['10.0.0.1'] }],
    ['--coordinator', { coordinator: 'localhost', agents: ['server1'] }],
  ])('refuses a bad name, naming %s, and writes nothing', async (field, names) => {
    await expectConfigError(initCertificates({ dir, ...names }), field);
    expect(await listFiles(dir)).toEqual([]);
  });
});

describe('adding agents to an existing CA', () => {
  it('signs new agents with the CA already in the directory', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    const { files } = await addAgentCertificates(dir, ['server3']);
    expect(files.map((file) => relative(dir, file))).toEqual(['agents/server3.pem', 'agents/server3.key']);
    expect((await readCert('agents/server3.pem')).checkIssued(await readCert('ca.pem'))).toBe(true);
  });

  it('refuses to replace an agent that already has a certificate', async () => {
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
    await expectConfigError(addAgentCertificates(dir, ['server1']), '--agents');
  });

  it('refuses when there is no CA yet', async () => {
    await expectConfigError(addAgentCertificates(dir, ['server1']), '--dir');
  });
});

describe('lockstep certs init', () => {
  async function run(...args: string[]): Promise<{ out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
    const program = new Command('lockstep').exitOverride();
    registerCertsCommand(program);
    await program.parseAsync(['certs', 'init', ...args], { from: 'user' });
    vi.restoreAllMocks();
    return { out, err };
  }

  afterEach(() => {
    process.exitCode = undefined;
  });

  it('prints every file it wrote', async () => {
    const { out } = await run('--dir', dir, '--coordinator', 'admin1', '--agents', 'server1, server2');
    expect(out).toContain(`wrote ${join(dir, 'agents', 'server2.key')}\n`);
    expect(out.trim().split('\n')).toHaveLength(8);
    expect(process.exitCode).toBeUndefined();
  });

  it('reports bad input on stderr with exit code 2', async () => {
    const { out, err } = await run('--dir', dir, '--coordinator', 'admin1', '--agents', 'server1,bad/name');
    expect(out).toBe('');
    expect(err).toContain('--agents: "bad/name" is not a valid node name');
    expect(process.exitCode).toBe(2);
  });
});
