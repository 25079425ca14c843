// Who a certificate speaks for, read with node:crypto alone: the agent checks every caller
// with this, and it must not pull the certificate-making library into the daemon.
import { X509Certificate } from 'node:crypto';
import { LockstepError } from '../errors.js';
import { rolesFromUnits, type OperatorRole } from './roles.js';

export type CertificateRole = 'coordinator' | 'agent';

export interface CertificateIdentity {
  commonName: string;
  role: CertificateRole | 'unknown';
  dnsNames: string[];
  /** What a person holding this certificate may do through the coordinator's API (roles.ts); none without clientAuth. */
  operatorRoles: OperatorRole[];
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/**
 * Reads a certificate (PEM, or DER as a TLS peer certificate carries it). The role needs both
 * the OU and the matching extended key usage, so an OU alone grants nothing.
 */
export function readCertificateIdentity(certificate: string | Uint8Array): CertificateIdentity {
  const cert = parseCertificate(certificate);
  const subject = distinguishedNameFields(cert.subject);
  const usages = cert.keyUsage ?? [];
  const dnsNames = (cert.subjectAltName ?? '')
    .split(/,\s*/)
    .filter((entry) => entry.startsWith('DNS:'))
    .map((entry) => entry.slice('DNS:'.length));
  const units = subject.get('OU') ?? [];
  const operatorRoles = usages.includes(CLIENT_AUTH) ? rolesFromUnits(units) : [];
  return { commonName: subject.get('CN')?.[0] ?? '', role: roleOf(units, usages), dnsNames, operatorRoles };
}

function roleOf(units: string[], usages: string[]): CertificateIdentity['role'] {
  if (units.includes('coordinator') && usages.includes(CLIENT_AUTH)) return 'coordinator';
  if (units.includes('agent') && usages.includes(SERVER_AUTH)) return 'agent';
  return 'unknown';
}

/** node:crypto prints a subject one `KEY=value` per line. */
function distinguishedNameFields(subject: string): Map<string, string[]> {
  const fields = new Map<string, string[]>();
  for (const line of subject.split('\n')) {
    const equals = line.indexOf('=');
    if (equals <= 0) continue;
    const key = line.slice(0, equals);
    fields.set(key, [...(fields.get(key) ?? []), line.slice(equals + 1)]);
  }
  return fields;
}

function parseCertificate(certificate: string | Uint8Array): X509Certificate {
  try {
    return new X509Certificate(typeof certificate === 'string' ? certificate : Buffer.from(certificate));
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_TLS', 'not a readable X.509 certificate', { cause: error });
  }
}
