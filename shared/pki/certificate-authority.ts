// SPEC §8: the private CA behind lockstep's mTLS. Certificates are made in-process with
// WebCrypto (@peculiar/x509), so `certs init` needs no openssl on the admin host.
import { webcrypto } from 'node:crypto';
// @peculiar/x509 registers its algorithms with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { LockstepError } from '../errors.js';
import { roleUnits, type OperatorRole } from './roles.js';
import { DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS } from './validity-defaults.js';

export { DEFAULT_CA_DAYS, DEFAULT_LEAF_DAYS };

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface KeyAndCertificate {
  certPem: string;
  keyPem: string;
}

const KEY_ALGORITHM: webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const MAX_DAYS = 36_500;

/** How long a certificate is valid, and whether it names loopback too. */
export interface CertificateOptions {
  /** Days from now (default DEFAULT_LEAF_DAYS for leaves, DEFAULT_CA_DAYS for the CA). */
  validityDays?: number;
  /**
   * Add localhost, 127.0.0.1 and ::1 to the SAN. Only the lab's certificates do: there every
   * node is on one host. Elsewhere a loopback name would let "localhost" match any agent.
   */
  loopbackNames?: boolean;
}

const LOOPBACK_NAMES: x509.JsonGeneralNames = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
];

export async function createCertificateAuthority(commonName: string, options: Pick<CertificateOptions, 'validityDays'> = {}): Promise<KeyAndCertificate> {
  const lifetimeMs = lifetime('--ca-days', options.validityDays ?? DEFAULT_CA_DAYS);
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [commonName] }],
      ...validity(lifetimeMs),
      signingAlgorithm: SIGNING_ALGORITHM,
      keys,
      extensions: [
        // pathLength 0: this CA signs leaves only, never another CA.
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

/** clientAuth to call the agents; serverAuth too, so the coordinator's own API can serve with it. */
export function issueCoordinatorCertificate(ca: KeyAndCertificate, name: string, options: CertificateOptions = {}): Promise<KeyAndCertificate> {
  return issueLeaf(ca, name, ['coordinator'], [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth], options);
}

/**
 * serverAuth only: OpenSSL's purpose check then refuses an agent certificate presented as a
 * TLS client, so one compromised node cannot drive the others.
 */
export function issueAgentCertificate(ca: KeyAndCertificate, nodeName: string, options: CertificateOptions = {}): Promise<KeyAndCertificate> {
  return issueLeaf(ca, nodeName, ['agent'], [x509.ExtendedKeyUsage.serverAuth], options);
}

/** clientAuth only, and the person's roles on the coordinator's API as OU values (roles.ts): an agent refuses it. */
export function issueOperatorCertificate(ca: KeyAndCertificate, name: string, roles: readonly OperatorRole[], options: CertificateOptions = {}): Promise<KeyAndCertificate> {
  return issueLeaf(ca, name, roleUnits(roles), [x509.ExtendedKeyUsage.clientAuth], options);
}

async function issueLeaf(
  ca: KeyAndCertificate,
  name: string,
  units: string[],
  usages: x509.ExtendedKeyUsage[],
  options: CertificateOptions,
): Promise<KeyAndCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const dates = validity(lifetime('--days', options.validityDays ?? DEFAULT_LEAF_DAYS));
  refuseOutlivingCa(caCert, dates.notAfter);
  const caKey = await importSigningKey(ca.keyPem);
  const keys = await generateKeyPair();
  // No serialNumber: the generator draws 16 random bytes, as RFC 5280 §4.1.2.2 advises.
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: [{ CN: [name] }, ...units.map((unit) => ({ OU: [unit] }))],
      issuer: caCert.subjectName,
      ...dates,
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(usages, false),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }, ...(options.loopbackNames === true ? LOOPBACK_NAMES : [])], false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
}

function lifetime(field: string, days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${field}: expected a whole number of days from 1 to ${MAX_DAYS}, got ${String(days)}`, { field });
  }
  return days * DAY_MS;
}

/** A leaf that outlived its CA would stop working on the CA's last day, whatever it says. */
function refuseOutlivingCa(caCert: x509.X509Certificate, notAfter: Date): void {
  if (notAfter <= caCert.notAfter) return;
  const daysLeft = Math.floor((caCert.notAfter.getTime() - Date.now()) / DAY_MS);
  throw new LockstepError(
    'LOCKSTEP_E_CONFIG',
    `--days: the CA expires on ${caCert.notAfter.toISOString()}, before this certificate would; give --days ${Math.max(daysLeft, 1)} or less, or make a new CA (certs init --force)`,
    { field: '--days' },
  );
}

function validity(lifetimeMs: number): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  // An hour of slack so a node whose clock runs a little behind still accepts a fresh certificate.
  return { notBefore: new Date(now - HOUR_MS), notAfter: new Date(now + lifetimeMs) };
}

function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return webcrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

async function exportKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

async function importSigningKey(keyPem: string): Promise<webcrypto.CryptoKey> {
  try {
    const der = x509.PemConverter.decodeFirst(keyPem);
    return await webcrypto.subtle.importKey('pkcs8', der, KEY_ALGORITHM, false, ['sign']);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_TLS', 'the CA key is not a PKCS#8 P-256 private key', { cause: error });
  }
}

/** A revoked certificate: its serial number (hex, as X509Certificate.serialNumber prints it) and when. */
export interface RevokedCertificate {
  serialNumber: string;
  revocationDate: Date;
}

const CRL_NUMBER_OID = '2.5.29.20';

/**
 * A CRL signed by the CA (PEM). thisUpdate is an hour back, as a certificate's notBefore, so a
 * node whose clock is behind still takes it; nextUpdate is the CA's own end, because OpenSSL
 * refuses every peer once a CRL's nextUpdate has passed, and this CRL is a file the operator
 * copies to the nodes, not one fetched on a schedule.
 */
export async function signRevocationList(ca: KeyAndCertificate, revoked: readonly RevokedCertificate[], crlNumber: number): Promise<string> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const crl = await x509.X509CrlGenerator.create(
    {
      issuer: caCert.subjectName,
      thisUpdate: new Date(Date.now() - HOUR_MS),
      nextUpdate: caCert.notAfter,
      signingAlgorithm: SIGNING_ALGORITHM,
      signingKey: await importSigningKey(ca.keyPem),
      entries: revoked.map((entry) => ({ serialNumber: entry.serialNumber, revocationDate: entry.revocationDate })),
      extensions: [
        // RFC 5280 §5.2.3: a CRL carries an increasing number, so an older copy can be told apart.
        new x509.Extension(CRL_NUMBER_OID, false, derInteger(crlNumber)),
        await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  // OpenSSL reads only the "X509 CRL" PEM label; the library's own label is "CRL".
  return x509.PemConverter.encode(crl.rawData, 'X509 CRL');
}

/** DER INTEGER of a non-negative number, big-endian, with a leading zero when the top bit is set. */
function derInteger(value: number): Uint8Array {
  const bytes: number[] = [];
  for (let rest = value; bytes.length === 0 || rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  if ((bytes[0] ?? 0) >= 0x80) bytes.unshift(0);
  return Uint8Array.from([0x02, bytes.length, ...bytes]);
}
