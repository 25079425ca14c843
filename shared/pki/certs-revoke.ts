// `lockstep certs revoke`: adds certificates to --dir/crl.pem, signed by the CA there. The
// agents and the coordinator load that file with --tls-crl and refuse, in the TLS handshake,
// any peer it lists: the answer to a stolen node key (issue 21 §4).
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LockstepError, describeError } from '../errors.js';
import { signRevocationList, type RevokedCertificate } from './certificate-authority.js';
import { readCertificateIdentity } from './certificate-identity.js';
import { pairPaths, readCertificateAuthority, requireNodeName, writeFileAtomically } from './certs-init.js';
import { readRevocationList, verifiedBy, type RevocationList } from './revocation-list.js';

export const CRL_FILE = 'crl.pem';
// Public: every agent and the coordinator read it, like ca.pem.
const CRL_MODE = 0o644;

export interface CertsRevokeOptions {
  dir: string;
  /** Agents whose current certificate (agents/NAME.pem) is revoked. */
  agents?: string[];
  /** Revoke the current coordinator.pem. */
  coordinator?: boolean;
  /** Serial numbers (hex) of certificates no longer on disk, e.g. one `certs renew` replaced. */
  serials?: string[];
}

export interface RevokeResult {
  file: string;
  /** What this call added, as "NAME (serial S)" or "serial S". */
  added: string[];
  /** Asked for but already on the list. */
  already: string[];
  total: number;
  crlNumber: number;
}

interface Wanted {
  label: string;
  serialNumber: string;
}

export async function revokeCertificates(opts: CertsRevokeOptions): Promise<RevokeResult> {
  const ca = await readCertificateAuthority(opts.dir);
  const caCert = new X509Certificate(ca.certPem);
  const wanted = await wantedSerials(opts, caCert);
  const file = join(opts.dir, CRL_FILE);
  const existing = await readExistingList(file, caCert);
  const listed = new Set(existing?.entries.map((entry) => entry.serialNumber));
  const now = new Date();
  const added = wanted.filter((each) => !listed.has(each.serialNumber));
  const entries: RevokedCertificate[] = [...(existing?.entries ?? []), ...added.map((each) => ({ serialNumber: each.serialNumber, revocationDate: now }))];
  const crlNumber = (existing?.crlNumber ?? 0) + 1;
  await writeFileAtomically(file, await signRevocationList(ca, entries, crlNumber), CRL_MODE);
  return {
    file,
    added: added.map((each) => each.label),
    already: wanted.filter((each) => listed.has(each.serialNumber)).map((each) => each.label),
    total: entries.length,
    crlNumber,
  };
}

async function wantedSerials(opts: CertsRevokeOptions, ca: X509Certificate): Promise<Wanted[]> {
  const files = [
    ...(opts.coordinator === true ? [pairPaths(opts.dir, 'coordinator').cert] : []),
    ...(opts.agents ?? []).map((name) => pairPaths(join(opts.dir, 'agents'), requireNodeName('--agent', name)).cert),
  ];
  const wanted: Wanted[] = [];
  for (const path of files) {
    const cert = await readIssued(path, ca);
    wanted.push({ label: `${readCertificateIdentity(cert.raw).commonName} (serial ${cert.serialNumber})`, serialNumber: cert.serialNumber });
  }
  for (const serial of opts.serials ?? []) wanted.push({ label: `serial ${normalSerial(serial)}`, serialNumber: normalSerial(serial) });
  if (wanted.length === 0) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', '--agent: say what to revoke: --agent NAME, --coordinator or --serial HEX', { field: '--agent' });
  }
  return wanted;
}

/** As node:crypto prints serials: upper-case hex, no colons, no leading zero bytes. */
function normalSerial(serial: string): string {
  const hex = serial.replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--serial: "${serial}" is not a serial number: expected hex such as 3FDFC1B31E74CB68A78F898A2F1F7F23`, { field: '--serial' });
  }
  const even = hex.length % 2 === 0 ? hex : `0${hex}`;
  return even.replace(/^(00)+(?=..)/, '');
}

async function readIssued(path: string, ca: X509Certificate): Promise<X509Certificate> {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(await readFile(path));
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `cannot read ${path}: ${describeError(error)}`, { field: '--dir', cause: error });
  }
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${path} was not signed by the CA in this directory: this CRL could not revoke it`, { field: '--dir' });
  }
  return cert;
}

/** The list so far; a file that is not this CA's is refused rather than silently replaced. */
async function readExistingList(file: string, ca: X509Certificate): Promise<RevocationList | undefined> {
  let pem: string;
  try {
    pem = await readFile(file, 'latin1');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new LockstepError('LOCKSTEP_E_CONFIG', `cannot read ${file}: ${describeError(error)}`, { field: '--dir', cause: error });
  }
  const list = readRevocationList(pem, file);
  if (!verifiedBy(list, ca)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `${file} is not signed by the CA in this directory; move it away to start a new list`, { field: '--dir' });
  }
  return list;
}
