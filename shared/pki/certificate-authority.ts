// SPEC §8: the private CA behind lockstep's mTLS. Certificates are made in-process with
// WebCrypto (@peculiar/x509), so `certs init` needs no openssl on the admin host.
import { webcrypto } from 'node:crypto';
// @peculiar/x509 registers its algorithms with tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { LockstepError } from '../errors.js';
import { roleUnits, type OperatorRole } from './roles.js';

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface KeyAndCertificate {
  certPem: string;
  keyPem: string;
}

const KEY_ALGORITHM: webcrypto.EcKeyImportParams = { name: 'ECDSA', namedCurve: 'P-256' };
const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };
const HOUR_MS = 60 * 60 * 1000;
const YEAR_MS = 365 * 24 * HOUR_MS;
const CA_LIFETIME_MS = 10 * YEAR_MS;
const LEAF_LIFETIME_MS = 2 * YEAR_MS;
// Every name we sign may also be reached on loopback: the lab and the CLI on the admin host.
const LOOPBACK_NAMES: x509.JsonGeneralNames = [
  { type: 'dns', value: 'localhost' },
  { type: 'ip', value: '127.0.0.1' },
  { type: 'ip', value: '::1' },
];

export async function createCertificateAuthority(commonName: string): Promise<KeyAndCertificate> {
  const keys = await generateKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      name: [{ CN: [commonName] }],
      ...validity(CA_LIFETIME_MS),
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
export function issueCoordinatorCertificate(ca: KeyAndCertificate, name: string): Promise<KeyAndCertificate> {
  return issueLeaf(ca, name, ['coordinator'], [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]);
}

/**
 * serverAuth only: OpenSSL's purpose check then refuses an agent certificate presented as a
 * TLS client, so one compromised node cannot drive the others.
 */
export function issueAgentCertificate(ca: KeyAndCertificate, nodeName: string): Promise<KeyAndCertificate> {
  return issueLeaf(ca, nodeName, ['agent'], [x509.ExtendedKeyUsage.serverAuth]);
}

/** clientAuth only, and the person's roles on the coordinator's API as OU values (roles.ts): an agent refuses it. */
export function issueOperatorCertificate(ca: KeyAndCertificate, name: string, roles: readonly OperatorRole[]): Promise<KeyAndCertificate> {
  return issueLeaf(ca, name, roleUnits(roles), [x509.ExtendedKeyUsage.clientAuth]);
}

async function issueLeaf(
  ca: KeyAndCertificate,
  name: string,
  units: string[],
  usages: x509.ExtendedKeyUsage[],
): Promise<KeyAndCertificate> {
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await importSigningKey(ca.keyPem);
  const keys = await generateKeyPair();
  // No serialNumber: the generator draws 16 random bytes, as RFC 5280 §4.1.2.2 advises.
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: [{ CN: [name] }, ...units.map((unit) => ({ OU: [unit] }))],
      issuer: caCert.subjectName,
      ...validity(LEAF_LIFETIME_MS),
      signingAlgorithm: SIGNING_ALGORITHM,
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension(usages, false),
        new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: name }, ...LOOPBACK_NAMES], false),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, webcrypto),
        await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey, false, webcrypto),
      ],
    },
    webcrypto,
  );
  return { certPem: cert.toString('pem'), keyPem: await exportKey(keys.privateKey) };
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
