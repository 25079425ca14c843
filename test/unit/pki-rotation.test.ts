// Issue 21 §4: certificates are renewed from the same CA, keeping names and roles, and
// revoked through a CRL the agents and the coordinator load with --tls-crl.
import { X509Certificate } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerCertsCommand } from '../../coordinator/cli/certs-command.js';
import { isLockstepError } from '../../shared/errors.js';
import { readCertificateIdentity } from '../../shared/pki/certificate-identity.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { renewCertificates } from '../../shared/pki/certs-renew.js';
import { revokeCertificates } from '../../shared/pki/certs-revoke.js';
import { readRevocationList, verifiedBy } from '../../shared/pki/revocation-list.js';
import { loadTlsMaterial } from '../../shared/tls.js';
import { makeTempDir } from '../support/temp-dir.js';

const DAY_MS = 24 * 3_600_000;

let temp: ReturnType<typeof makeTempDir>;
let dir: string;

beforeEach(async () => {
  temp = makeTempDir('lockstep-rotation-');
  dir = temp.dir;
  await initCertificates({ dir, coordinator: 'admin1', agents: ['server1', 'server2'] });
});

afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  temp.remove();
});

const cert = async (file: string): Promise<X509Certificate> => new X509Certificate(await readFile(join(dir, file)));
const crl = async () => readRevocationList(await readFile(join(dir, 'crl.pem'), 'latin1'), 'crl.pem');

async function refusal(promise: Promise<unknown>): Promise<{ field: string | undefined; message: string }> {
  const error: unknown = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isLockstepError(error)) throw new Error(`expected a LockstepError, got ${String(error)}`);
  return { field: error.field, message: error.message };
}

describe('certs renew', () => {
  it('re-issues from the same CA with a new key, keeping name, role and SANs', async () => {
    const ca = await cert('ca.pem');
    const before = { cert: await cert('agents/server1.pem'), key: await readFile(join(dir, 'agents/server1.key'), 'utf8') };
    const untouched = await readFile(join(dir, 'agents/server2.pem'), 'utf8');

    const { files, renewed } = await renewCertificates({ dir, agents: ['server1'], days: 90 });

    expect(files.map((file) => file.slice(dir.length + 1))).toEqual(['agents/server1.pem', 'agents/server1.key']);
    expect(renewed).toEqual([{ name: 'server1', role: 'agent', oldSerial: before.cert.serialNumber, oldNotAfter: new Date(before.cert.validTo).toISOString() }]);
    const after = await cert('agents/server1.pem');
    expect(after.serialNumber).not.toBe(before.cert.serialNumber);
    expect(await readFile(join(dir, 'agents/server1.key'), 'utf8')).not.toBe(before.key);
    expect(after.checkIssued(ca) && after.verify(ca.publicKey)).toBe(true);
    expect(readCertificateIdentity(after.raw)).toEqual({ commonName: 'server1', role: 'agent', dnsNames: ['server1'], operatorRoles: [] });
    expect(after.subjectAltName).toBe(before.cert.subjectAltName);
    expect(Math.round((Date.parse(after.validTo) - Date.now()) / DAY_MS)).toBe(90);
    expect(await readFile(join(dir, 'agents/server2.pem'), 'utf8')).toBe(untouched);
    // The renewed files load as a program's TLS material: the new key belongs to the new certificate.
    await loadTlsMaterial({ ca: join(dir, 'ca.pem'), cert: join(dir, 'agents/server1.pem'), key: join(dir, 'agents/server1.key') });
  });

  it('renews the coordinator and every agent with --all', async () => {
    const { renewed } = await renewCertificates({ dir, all: true });
    expect(renewed.map((each) => `${each.role} ${each.name}`)).toEqual(['coordinator admin1', 'agent server1', 'agent server2']);
    expect(readCertificateIdentity((await cert('coordinator.pem')).raw).role).toBe('coordinator');
  });

  it('keeps the validity the replaced certificate was issued for, unless --days says otherwise', async () => {
    const short = makeTempDir('lockstep-rotation-short-');
    try {
      await initCertificates({ dir: short.dir, coordinator: 'admin1', agents: ['server1'], days: 30 });
      await renewCertificates({ dir: short.dir, all: true });
      for (const file of ['coordinator.pem', 'agents/server1.pem']) {
        const renewed = new X509Certificate(await readFile(join(short.dir, file)));
        expect(Math.round((Date.parse(renewed.validTo) - Date.now()) / DAY_MS), file).toBe(30);
      }
    } finally {
      short.remove();
    }
  });

  it('keeps the loopback names of a lab certificate', async () => {
    const lab = makeTempDir('lockstep-rotation-lab-');
    try {
      await initCertificates({ dir: lab.dir, coordinator: 'coordinator', agents: ['server1'], loopbackNames: true });
      await renewCertificates({ dir: lab.dir, agents: ['server1'] });
      expect(new X509Certificate(await readFile(join(lab.dir, 'agents/server1.pem'))).subjectAltName).toContain('DNS:localhost');
    } finally {
      lab.remove();
    }
  });

  it.each([
    ['--agents', {}, /say what to renew/],
    ['--dir', { agents: ['server9'] }, /cannot read .*server9\.pem/],
    ['--agents', { agents: ['../ca'] }, /not a valid node name/],
    ['--days', { agents: ['server1'], days: 4000 }, /the CA expires/],
  ])('refuses, naming %s, and changes nothing', async (field, options, message) => {
    const before = await readFile(join(dir, 'agents/server1.pem'), 'utf8');
    const refused = await refusal(renewCertificates({ dir, ...options }));
    expect(refused.field).toBe(field);
    expect(refused.message).toMatch(message);
    expect(await readFile(join(dir, 'agents/server1.pem'), 'utf8')).toBe(before);
  });

  it('refuses a certificate another CA signed', async () => {
    const other = makeTempDir('lockstep-rotation-other-');
    try {
      await initCertificates({ dir: other.dir, coordinator: 'admin1', agents: ['server1'] });
      await writeFile(join(dir, 'agents/server1.pem'), await readFile(join(other.dir, 'agents/server1.pem')));
      expect((await refusal(renewCertificates({ dir, agents: ['server1'] }))).message).toMatch(/not signed by the CA in this directory/);
    } finally {
      other.remove();
    }
  });
});

describe('certs revoke', () => {
  it('writes a CRL signed by the CA listing the revoked certificate, and adds to it later', async () => {
    const server2 = await cert('agents/server2.pem');
    const first = await revokeCertificates({ dir, agents: ['server2'] });
    expect(first).toMatchObject({ added: [`server2 (serial ${server2.serialNumber})`], already: [], total: 1, crlNumber: 1 });
    const list = await crl();
    expect(verifiedBy(list, await cert('ca.pem'))).toBe(true);
    expect(list.entries.map((entry) => entry.serialNumber)).toEqual([server2.serialNumber]);
    // Clock slack, as for certificates; valid until the CA's end, so it never expires under a running cluster.
    expect(list.thisUpdate.getTime()).toBeLessThan(Date.now() - 0.9 * 3_600_000);
    expect(list.nextUpdate?.toISOString()).toBe(new Date((await cert('ca.pem')).validTo).toISOString());

    const coordinator = await cert('coordinator.pem');
    const second = await revokeCertificates({ dir, agents: ['server2'], coordinator: true, serials: ['00:ab:CD'] });
    expect(second).toMatchObject({ added: [`admin1 (serial ${coordinator.serialNumber})`, 'serial ABCD'], already: [`server2 (serial ${server2.serialNumber})`], total: 3, crlNumber: 2 });
    expect((await crl()).entries.map((entry) => entry.serialNumber)).toEqual([server2.serialNumber, coordinator.serialNumber, 'ABCD']);
    expect((await crl()).crlNumber).toBe(2);
  });

  it('lets a renewed certificate through while the old one stays revoked', async () => {
    const old = await cert('agents/server1.pem');
    await revokeCertificates({ dir, agents: ['server1'] });
    await renewCertificates({ dir, agents: ['server1'] });
    const serials = (await crl()).entries.map((entry) => entry.serialNumber);
    expect(serials).toContain(old.serialNumber);
    expect(serials).not.toContain((await cert('agents/server1.pem')).serialNumber);
  });

  it.each([
    ['--agent', {}, /say what to revoke/],
    ['--serial', { serials: ['xyz'] }, /not a serial number/],
    ['--agent', { agents: ['../../etc/passwd'] }, /not a valid node name/],
    ['--dir', { agents: ['server9'] }, /cannot read/],
  ])('refuses, naming %s, and writes no CRL', async (field, options, message) => {
    const refused = await refusal(revokeCertificates({ dir, ...options }));
    expect(refused.field).toBe(field);
    expect(refused.message).toMatch(message);
    await expect(readFile(join(dir, 'crl.pem'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses to extend a crl.pem another CA signed', async () => {
    const other = makeTempDir('lockstep-rotation-other-');
    try {
      await initCertificates({ dir: other.dir, coordinator: 'admin1', agents: ['server1'] });
      await revokeCertificates({ dir: other.dir, agents: ['server1'] });
      await writeFile(join(dir, 'crl.pem'), await readFile(join(other.dir, 'crl.pem')));
      expect((await refusal(revokeCertificates({ dir, agents: ['server1'] }))).message).toMatch(/crl\.pem is not signed by the CA in this directory/);
    } finally {
      other.remove();
    }
  });
});

describe('--tls-crl at start: a wrong file fails loudly instead of refusing every peer', () => {
  const paths = (name: string) => ({ ca: join(dir, 'ca.pem'), cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`), crl: join(dir, 'crl.pem') });

  it('loads a CRL from this CA', async () => {
    await revokeCertificates({ dir, agents: ['server2'] });
    expect((await loadTlsMaterial(paths('coordinator'))).crl?.toString()).toContain('-----BEGIN X509 CRL-----');
  });

  it("refuses a CRL that revokes the program's own certificate", async () => {
    await revokeCertificates({ dir, coordinator: true });
    await expect(loadTlsMaterial(paths('coordinator'))).rejects.toThrow(/revokes this program's own certificate/);
  });

  it('refuses a CRL from another CA, and a file that is not a CRL', async () => {
    const other = makeTempDir('lockstep-rotation-other-');
    try {
      await initCertificates({ dir: other.dir, coordinator: 'admin1', agents: ['server1'] });
      await revokeCertificates({ dir: other.dir, agents: ['server1'] });
      await writeFile(join(dir, 'crl.pem'), await readFile(join(other.dir, 'crl.pem')));
      await expect(loadTlsMaterial(paths('coordinator'))).rejects.toThrow(/is not signed by the CA/);
      await writeFile(join(dir, 'crl.pem'), await readFile(join(dir, 'ca.pem')));
      await expect(loadTlsMaterial(paths('coordinator'))).rejects.toThrow(/not a PEM certificate revocation list/);
      await rm(join(dir, 'crl.pem'));
      await expect(loadTlsMaterial(paths('coordinator'))).rejects.toThrow(/cannot read the TLS CRL/);
    } finally {
      other.remove();
    }
  });
});

describe('reading a CRL without the certificate library (the agent does, at start)', () => {
  it('turns any bytes in a CRL block into a LOCKSTEP_E_TLS naming the file, never a crash', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const pem = `-----BEGIN X509 CRL-----\n${Buffer.from(bytes).toString('base64')}\n-----END X509 CRL-----\n`;
        try {
          readRevocationList(pem, 'fuzz.pem');
        } catch (error) {
          expect(isLockstepError(error, 'LOCKSTEP_E_TLS') && error.message).toMatch(/^fuzz\.pem is not a PEM certificate revocation list/);
        }
      }),
    );
  });

  it('refuses the PEM label OpenSSL would not read', async () => {
    await revokeCertificates({ dir, agents: ['server1'] });
    const pem = (await readFile(join(dir, 'crl.pem'), 'latin1')).replace(/X509 CRL/g, 'CRL');
    expect(() => readRevocationList(pem, 'crl.pem')).toThrow(/no "-----BEGIN X509 CRL-----" block/);
  });
});

describe('lockstep certs renew / revoke', () => {
  async function run(...args: string[]): Promise<{ out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
    const program = new Command('lockstep').exitOverride();
    registerCertsCommand(program);
    try {
      await program.parseAsync(['certs', ...args], { from: 'user' });
    } finally {
      vi.restoreAllMocks();
    }
    return { out, err };
  }

  it('renews and says how to revoke the certificate it replaced', async () => {
    const old = await cert('agents/server1.pem');
    const { out } = await run('renew', '--dir', dir, '--agents', 'server1', '--days', '30');
    expect(out).toContain(`wrote ${join(dir, 'agents', 'server1.pem')}\n`);
    expect(out).toContain(`lockstep certs revoke --dir ${dir} --serial ${old.serialNumber}`);
    expect(process.exitCode).toBeUndefined();
  });

  it('revokes, and says what to do next', async () => {
    const { out } = await run('revoke', '--dir', dir, '--agent', 'server1', '--agent', 'server2');
    expect(out).toMatch(/^revoked server1 \(serial [0-9A-F]+\)\nrevoked server2 /);
    expect(out).toContain(`wrote ${join(dir, 'crl.pem')} (CRL number 1, 2 revoked)`);
    expect(out).toContain('--tls-crl');
  });

  it('reports bad input on stderr with exit code 2', async () => {
    const { out, err } = await run('revoke', '--dir', dir);
    expect(out).toBe('');
    expect(err).toContain('lockstep certs revoke: --agent: say what to revoke');
    expect(process.exitCode).toBe(2);
  });

  it('refuses --days that is not a whole number before doing anything', async () => {
    await expect(run('init', '--dir', join(dir, 'new'), '--coordinator', 'a', '--agents', 'b', '--days', '1y')).rejects.toThrow(/whole number of days/);
  });
});
