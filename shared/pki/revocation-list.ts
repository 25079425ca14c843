// Reading a CRL (RFC 5280 §5) with node:crypto alone: the agent checks its --tls-crl at start
// with this, and must not load the certificate-making library for it (docs/PERFORMANCE.md §3).
// OpenSSL enforces the list in every handshake; this read makes a wrong file fail at start,
// naming the flag, instead of silently refusing every peer.
import { X509Certificate, verify } from 'node:crypto';
import { LockstepError } from '../errors.js';

export interface RevocationEntry {
  /** Upper-case hex without leading zero bytes, as node:crypto's X509Certificate.serialNumber. */
  serialNumber: string;
  revocationDate: Date;
}

export interface RevocationList {
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: number | undefined;
  entries: RevocationEntry[];
  /** The signed part and its signature, for `verifiedBy`. */
  signed: { tbs: Buffer; hash: string; signature: Buffer };
}

interface Element {
  tag: number;
  content: Buffer;
  /** The whole element, tag and length included. */
  der: Buffer;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;
const EXTENSIONS = 0xa0;
const CRL_NUMBER_OID = '551d14';
// The signature algorithms a CRL may use: ECDSA (what `certs init` makes) and RSA, with SHA-2.
const SIGNATURE_HASHES: Record<string, string> = {
  '2a8648ce3d040302': 'sha256',
  '2a8648ce3d040303': 'sha384',
  '2a864886f70d01010b': 'sha256',
  '2a864886f70d01010c': 'sha384',
};

/** Parses a PEM CRL; `source` names it in errors. Throws LOCKSTEP_E_TLS. */
export function readRevocationList(pem: string, source: string): RevocationList {
  try {
    const [tbs, algorithm, signatureBits] = children(only(derOf(pem)), SEQUENCE);
    if (tbs === undefined || algorithm === undefined || signatureBits === undefined) throw new Error('not a CertificateList');
    const oid = children(algorithm, SEQUENCE)[0]?.content.toString('hex') ?? '';
    const hash = SIGNATURE_HASHES[oid];
    if (hash === undefined) throw new Error(`signed with an algorithm lockstep does not read (OID bytes ${oid})`);
    return { ...readTbs(children(tbs, SEQUENCE)), signed: { tbs: tbs.der, hash, signature: signatureBits.content.subarray(1) } };
  } catch (error) {
    if (error instanceof LockstepError) throw error;
    throw new LockstepError('LOCKSTEP_E_TLS', `${source} is not a PEM certificate revocation list: ${(error as Error).message}`, { cause: error });
  }
}

/** True when `ca`'s key signed the list. */
export function verifiedBy(list: RevocationList, ca: X509Certificate): boolean {
  try {
    return verify(list.signed.hash, list.signed.tbs, ca.publicKey, list.signed.signature);
  } catch {
    return false;
  }
}

function readTbs(fields: Element[]): Omit<RevocationList, 'signed'> {
  const rest = fields[0]?.tag === INTEGER ? fields.slice(1) : fields; // version v2 is optional
  const [, , thisUpdate, ...more] = rest; // signature algorithm, issuer
  if (thisUpdate === undefined) throw new Error('no thisUpdate');
  const nextUpdate = isTime(more[0]) ? more.shift() : undefined;
  const revoked = more[0]?.tag === SEQUENCE ? more.shift() : undefined;
  const extensions = more[0]?.tag === EXTENSIONS ? more.shift() : undefined;
  return {
    thisUpdate: readTime(thisUpdate),
    nextUpdate: nextUpdate === undefined ? undefined : readTime(nextUpdate),
    crlNumber: extensions === undefined ? undefined : crlNumberOf(extensions),
    entries: revoked === undefined ? [] : children(revoked, SEQUENCE).map(readEntry),
  };
}

function readEntry(entry: Element): RevocationEntry {
  const [serial, date] = children(entry, SEQUENCE);
  if (serial?.tag !== INTEGER || date === undefined) throw new Error('a revoked entry without serial number and date');
  return { serialNumber: serialHex(serial.content), revocationDate: readTime(date) };
}

function serialHex(content: Buffer): string {
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  return content.subarray(start).toString('hex').toUpperCase();
}

function crlNumberOf(extensions: Element): number | undefined {
  for (const extension of children(only(extensions.content), SEQUENCE)) {
    const parts = children(extension, SEQUENCE);
    if (parts[0]?.content.toString('hex') !== CRL_NUMBER_OID) continue;
    const value = only(parts[parts.length - 1]?.content ?? Buffer.alloc(0));
    return value.content.reduce((number, byte) => number * 256 + byte, 0);
  }
  return undefined;
}

function isTime(element: Element | undefined): boolean {
  return element?.tag === UTC_TIME || element?.tag === GENERALIZED_TIME;
}

/** UTCTime YYMMDDHHMMSSZ (years 1950-2049, RFC 5280 §4.1.2.5.1) or GeneralizedTime YYYYMMDDHHMMSSZ. */
function readTime(element: Element): Date {
  const text = element.content.toString('latin1');
  const match = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!isTime(element) || match === null) throw new Error(`not a time: ${JSON.stringify(text)}`);
  const [, y = '', mo = '', d = '', h = '', mi = '', s = ''] = match;
  const year = y.length === 4 ? Number(y) : Number(y) < 50 ? 2000 + Number(y) : 1900 + Number(y);
  return new Date(Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
}

function derOf(pem: string): Buffer {
  const match = /-----BEGIN X509 CRL-----([A-Za-z0-9+/=\s]+)-----END X509 CRL-----/.exec(pem);
  if (match?.[1] === undefined) throw new Error('no "-----BEGIN X509 CRL-----" block');
  return Buffer.from(match[1].replace(/\s+/g, ''), 'base64');
}

/** The one element `der` holds. */
function only(der: Buffer): Element {
  const [element, end] = elementAt(der, 0);
  if (end !== der.length) throw new Error('trailing bytes after the DER element');
  return element;
}

function children(element: Element, tag: number): Element[] {
  if (element.tag !== tag) throw new Error(`expected DER tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  const found: Element[] = [];
  for (let offset = 0; offset < element.content.length; ) {
    const [child, next] = elementAt(element.content, offset);
    found.push(child);
    offset = next;
  }
  return found;
}

/** The DER element at `offset` (single-byte tags, definite lengths) and where the next begins. */
function elementAt(der: Buffer, offset: number): [Element, number] {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined) throw new Error('truncated DER');
  let start = offset + 2;
  if (length >= 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported DER length');
    length = der.subarray(start, start + count).reduce((total, byte) => total * 256 + byte, 0);
    start += count;
  }
  const end = start + length;
  if (end > der.length) throw new Error('truncated DER');
  return [{ tag, content: der.subarray(start, end), der: der.subarray(offset, end) }, end];
}
