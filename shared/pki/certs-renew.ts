// `lockstep certs renew`: new keys and certificates from the CA already in --dir, each with the
// name, role and SANs of the certificate it replaces, so agents and the coordinator need only
// the new files and a restart: the CA, and so every peer's trust, stays as it is.
import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockstepError, describeError } from '../errors.js';
import { issueAgentCertificate, issueCoordinatorCertificate, type KeyAndCertificate } from './certificate-authority.js';
import { readCertificateIdentity, type CertificateRole } from './certificate-identity.js';
import { pairPaths, readCertificateAuthority, requireNodeName, writeLeaves, type PairPaths, type SignedLeaf, type WrittenFiles } from './certs-init.js';

export interface CertsRenewOptions {
  dir: string;
  /** Agents to renew, by name (their files under agents/). */
  agents?: string[];
  coordinator?: boolean;
  /** The coordinator and every agent under agents/. */
  all?: boolean;
  /** Validity of the new certificates in days (default: each replaced certificate's). */
  days?: number;
}

export interface RenewedCertificate {
  name: string;
  role: CertificateRole;
  /** The serial of the certificate replaced: it stays valid until it expires unless revoked. */
  oldSerial: string;
  oldNotAfter: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

interface Target {
  role: CertificateRole;
  paths: PairPaths;
}

export async function renewCertificates(opts: CertsRenewOptions): Promise<WrittenFiles & { renewed: RenewedCertificate[] }> {
  const targets = await chooseTargets(opts);
  const ca = await readCertificateAuthority(opts.dir);
  const caCert = new X509Certificate(ca.certPem);
  const leaves: SignedLeaf[] = [];
  const renewed: RenewedCertificate[] = [];
  // Sign everything before writing anything: a refusal (a foreign certificate, --days past
  // the CA's end) leaves every file as it was.
  for (const target of targets) {
    const old = await readExisting(target.paths.cert, caCert);
    const identity = readCertificateIdentity(old.raw);
    if (identity.role !== target.role) {
      throw new LockstepError('LOCKSTEP_E_CONFIG', `${target.paths.cert} is not a ${target.role} certificate (role ${identity.role}); not renewing it`, { field: '--dir' });
    }
    const options = { validityDays: opts.days ?? lifetimeDays(old), loopbackNames: identity.dnsNames.includes('localhost') };
    leaves.push({ paths: target.paths, pair: await issue(ca, target.role, identity.commonName, options) });
    renewed.push({ name: identity.commonName, role: target.role, oldSerial: old.serialNumber, oldNotAfter: new Date(old.validTo).toISOString() });
  }
  return { files: await writeLeaves(opts.dir, leaves), renewed };
}

/** The days a certificate was issued for (its notBefore carries an hour of clock slack). */
function lifetimeDays(cert: X509Certificate): number {
  return Math.max(1, Math.round((Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / DAY_MS));
}

function issue(ca: KeyAndCertificate, role: CertificateRole, name: string, options: { validityDays?: number; loopbackNames: boolean }): Promise<KeyAndCertificate> {
  return role === 'coordinator' ? issueCoordinatorCertificate(ca, name, options) : issueAgentCertificate(ca, name, options);
}

async function chooseTargets(opts: CertsRenewOptions): Promise<Target[]> {
  const agents = opts.all === true ? await existingAgents(opts.dir) : (opts.agents ?? []);
  const coordinator = opts.all === true || opts.coordinator === true;
  if (!coordinator && agents.length === 0) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', '--agents: say what to renew: --agents NAME[,NAME…], --coordinator, or --all', { field: '--agents' });
  }
  return [
    ...(coordinator ? [{ role: 'coordinator' as const, paths: pairPaths(opts.dir, 'coordinator') }] : []),
    ...agents.map((name) => ({ role: 'agent' as const, paths: pairPaths(join(opts.dir, 'agents'), requireNodeName('--agents', name)) })),
  ];
}


async function existingAgents(dir: string): Promise<string[]> {
  const entries = await readdir(join(dir, 'agents')).catch(() => []);
  return entries.filter((entry) => entry.endsWith('.pem')).map((entry) => entry.slice(0, -'.pem'.length)).sort();
}

async function readExisting(path: string, ca: X509Certificate): Promise<X509Certificate> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(path));
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `cannot read ${path} (${describeError(error)}): renew replaces a certificate that exists, keeping its name and role`, {
      field: '--dir',
      cause: error,
    });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${path} was not signed by the CA in this directory; not renewing it`, { field: '--dir' });
  }
  return cert;
}
