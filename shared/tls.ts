// SPEC §8: mTLS between coordinator and agents, and the rule that plaintext stays on loopback.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { checkServerIdentity, createSecureContext, TLSSocket, type PeerCertificate } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { LockstepError, describeError } from './errors.js';
import { readCertificateIdentity, type CertificateIdentity, type CertificateRole } from './pki/certificate-identity.js';
import { readRevocationList, verifiedBy } from './pki/revocation-list.js';

export interface TlsPaths {
  ca: string;
  cert: string;
  key: string;
  /** A CRL signed by `ca` (--tls-crl): peers whose certificates it lists are refused in the handshake. */
  crl?: string;
}

/** PEM contents: the CA that peers must chain to, and this program's own certificate and key. */
export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  crl?: Buffer;
}

/** Reads and cross-checks the three files, so a mistake shows at startup rather than at the first handshake. */
export async function loadTlsMaterial(paths: TlsPaths): Promise<TlsMaterial> {
  const material = {
    ca: await readTlsFile('CA certificate', paths.ca),
    cert: await readTlsFile('certificate', paths.cert),
    key: await readTlsFile('private key', paths.key),
  };
  const cert = parsePem('certificate', paths.cert, () => new X509Certificate(material.cert));
  parsePem('CA certificate', paths.ca, () => new X509Certificate(material.ca));
  const key = parsePem('private key', paths.key, () => createPrivateKey(material.key));
  if (!cert.checkPrivateKey(key)) {
    throw new LockstepError('LOCKSTEP_E_TLS', `the private key ${paths.key} does not belong to the certificate ${paths.cert}`);
  }
  if (paths.crl === undefined) return material;
  const crl = await readTlsFile('CRL', paths.crl);
  checkRevocationList(crl, paths, new X509Certificate(material.ca), cert);
  return { ...material, crl };
}

/**
 * OpenSSL refuses every peer when the CRL is not the CA's, not yet valid or expired, and its
 * refusals reach no log: each of those, and our own certificate on the list, fails at start.
 */
function checkRevocationList(crl: Buffer, paths: TlsPaths, ca: X509Certificate, own: X509Certificate): void {
  const path = paths.crl ?? '';
  const list = readRevocationList(crl.toString('latin1'), `the TLS CRL ${path}`);
  const now = new Date();
  const problem = !verifiedBy(list, ca)
    ? `is not signed by the CA ${paths.ca}`
    : list.thisUpdate > now
      ? `is valid only from ${list.thisUpdate.toISOString()}: is this host's clock right?`
      : list.nextUpdate !== undefined && list.nextUpdate < now
        ? `expired on ${list.nextUpdate.toISOString()}`
        : list.entries.some((entry) => entry.serialNumber === own.serialNumber)
          ? `revokes this program's own certificate ${paths.cert} (serial ${own.serialNumber}): install a renewed one (lockstep certs renew)`
          : undefined;
  if (problem !== undefined) throw new LockstepError('LOCKSTEP_E_TLS', `the TLS CRL ${path} ${problem}`, { field: '--tls-crl' });
}

async function readTlsFile(what: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_TLS', `cannot read the TLS ${what} ${path}: ${describeError(error)}`, { cause: error });
  }
}

function parsePem<T>(what: string, path: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_TLS', `the TLS ${what} ${path} is not valid PEM: ${describeError(error)}`, { cause: error });
  }
}

export interface ServerTlsOptions {
  /** Refuse, in the handshake, clients without a certificate from `ca`. Default true. */
  requireClientCert?: boolean;
}

export function serverCredentials(material: TlsMaterial, options: ServerTlsOptions = {}): grpc.ServerCredentials {
  return new RevocationAwareServerCredentials(material, options.requireClientCert ?? true);
}

/**
 * grpc-js's createSsl takes no CRL, but its server hands these two option sets to Node's
 * http2.createSecureServer, whose TLS context takes `crl` (and then checks every client
 * certificate against it in the handshake). The same options createSsl sets, plus the CRL.
 */
class RevocationAwareServerCredentials extends grpc.ServerCredentials {
  constructor(material: TlsMaterial, requireClientCert: boolean) {
    super(
      { requestCert: requireClientCert, rejectUnauthorized: true },
      { ca: material.ca, cert: [material.cert], key: [material.key], ...(material.crl !== undefined && { crl: material.crl }) },
    );
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}

export interface ClientTlsOptions {
  /**
   * The node the server's certificate must name (SAN dNSName), whatever address we dial:
   * the runbook says which node sits at an address, and another node's certificate is refused.
   */
  expectedServerName?: string;
  /** The role the server's certificate must carry: the CLI talks only to a coordinator. */
  requiredRole?: CertificateRole;
}

export function clientCredentials(material: TlsMaterial, options: ClientTlsOptions = {}): grpc.ChannelCredentials {
  return clientCredentialsFactory(material, options.requiredRole)(options.expectedServerName);
}

/**
 * Credentials for many agents that share one TLS context: the CA, key and certificate are
 * parsed once, not once per node (at a thousand nodes, 1.5 s of CPU and 50 MB), while each
 * node's credentials still refuse any certificate but the one naming that node.
 */
export function clientCredentialsFactory(material: TlsMaterial, requiredRole?: CertificateRole): (expectedServerName?: string) => grpc.ChannelCredentials {
  const context = createSecureContext({ ca: material.ca, key: material.key, cert: material.cert, ...(material.crl !== undefined && { crl: material.crl }) });
  return (expected) =>
    grpc.credentials.createFromSecureContext(
      context,
      expected === undefined && requiredRole === undefined
        ? {}
        : { checkServerIdentity: (host: string, cert: PeerCertificate) => checkServerIdentity(expected ?? host, cert) ?? roleMismatch(cert, requiredRole) },
    );
}

/** Issue 21 §4: a certificate from our CA is not enough; it must be the kind of peer we meant to reach. */
function roleMismatch(cert: PeerCertificate, role: CertificateRole | undefined): Error | undefined {
  if (role === undefined) return undefined;
  const identity = readCertificateIdentity(cert.raw);
  return identity.role === role ? undefined : new Error(`the server's certificate (CN=${identity.commonName}, role ${identity.role}) is not a certificate of the ${role} role`);
}

/**
 * Channel options to go with `expectedServerName`: TLS SNI then carries the node name rather
 * than the address dialled (Node warns, DEP0123, when SNI is an IP address). grpc-js also
 * passes this name to checkServerIdentity, which checks the same name either way.
 */
export function agentChannelOptions(expectedServerName: string): grpc.ChannelOptions {
  return { 'grpc.ssl_target_name_override': expectedServerName };
}

/** The identity of the client certificate on a server call; undefined on plaintext or without one. */
export function peerIdentity(call: Pick<grpc.ServerInterceptingCallInterface, 'getAuthContext'>): CertificateIdentity | undefined {
  const raw = call.getAuthContext().sslPeerCertificate?.raw;
  return raw === undefined ? undefined : (keptIdentities.get(raw) ?? cachedIdentity(raw));
}

/**
 * grpc-js reads the client certificate again on every call (getAuthContext calls
 * getPeerCertificate, which builds the certificate's names and fingerprints each time: 2–3 %
 * of an agent's busy time, issue 19). For a connection whose handshake is done, this reads it
 * once and answers every later call on that socket with the same object, whose identity is
 * then kept by that object: a socket only ever gets its own. It cannot go stale:
 * renegotiation, the one way a TLS 1.2 client could present another certificate on the same
 * connection, ends the connection instead (our clients never renegotiate; TLS 1.3 has none).
 */
export function keepPeerCertificate(socket: TLSSocket): void {
  socket.disableRenegotiation();
  // Node only reports the attempt; the handshake would go on unless the socket is destroyed here.
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'ERR_TLS_RENEGOTIATION_DISABLED') socket.destroy();
  });
  const peer = Object.freeze(socket.getPeerCertificate());
  try {
    if (peer.raw !== undefined) keptIdentities.set(peer.raw, frozenIdentity(peer.raw));
  } catch {
    // Unreadable: peerIdentity reads it again on each call, and requirePeerRole denies the call.
  }
  const read = TLSSocket.prototype.getPeerCertificate;
  socket.getPeerCertificate = ((detailed?: boolean) => (detailed === true ? read.call(socket, true) : peer)) as TLSSocket['getPeerCertificate'];
}

/** The identity of a kept certificate, by the very Buffer the socket hands out (never by its bytes). */
const keptIdentities = new WeakMap<Buffer, CertificateIdentity>();

// A client presents the same certificate on every call, and parsing X.509 was a measurable
// part of each agent operation (docs/PERFORMANCE.md §1). The key is the DER bytes themselves,
// not a digest, so a certificate can only ever get its own answer; a few entries suffice
// (one coordinator, an operator or two) and the oldest goes first.
const IDENTITY_CACHE_SIZE = 16;
const identities = new Map<string, CertificateIdentity>();

function cachedIdentity(raw: Buffer): CertificateIdentity {
  const key = raw.toString('latin1');
  const known = identities.get(key);
  if (known !== undefined) return known;
  const identity = frozenIdentity(raw);
  if (identities.size >= IDENTITY_CACHE_SIZE) identities.delete(identities.keys().next().value as string);
  identities.set(key, identity);
  return identity;
}

function frozenIdentity(raw: Buffer): CertificateIdentity {
  const identity = readCertificateIdentity(raw);
  Object.freeze(identity.dnsNames);
  Object.freeze(identity.operatorRoles);
  return Object.freeze(identity);
}

/**
 * A server interceptor that answers PERMISSION_DENIED to every call whose client certificate
 * lacks `role`. The handshake has already proved the certificate chains to our CA; this adds
 * what the CA cannot say alone (SPEC §8: agents accept only the coordinator role).
 */
export function requirePeerRole(role: CertificateRole): grpc.ServerInterceptor {
  return (_method, call) => {
    // The connection's certificate is known when the call is created: an allowed call goes on
    // unwrapped (grpc-js's wrapper per call showed 10 % self time in an agent under load, issue
    // 19), any other is denied before its request is read.
    const identity = peerIdentityOrUndefined(call);
    // grpc-js types an interceptor's result as the class, but chains and starts it by its interface.
    if (identity?.role === role) return call as grpc.ServerInterceptingCall;
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: () =>
            call.sendStatus({
              code: grpc.status.PERMISSION_DENIED,
              details: `this service accepts only ${role} certificates; the client presented ${describeIdentity(identity)}`,
            }),
        }),
    });
  };
}

// Inside the interceptor a throw would escape into grpc-js: an unreadable certificate is simply denied.
function peerIdentityOrUndefined(call: grpc.ServerInterceptingCallInterface): CertificateIdentity | undefined {
  try {
    return peerIdentity(call);
  } catch {
    return undefined;
  }
}

function describeIdentity(identity: CertificateIdentity | undefined): string {
  return identity === undefined ? 'no certificate' : `CN=${identity.commonName} (role ${identity.role})`;
}

/** True when `hostPort` (HOST:PORT, [V6]:PORT) names a loopback interface; an empty host means all interfaces. */
export function isLoopbackAddress(hostPort: string): boolean {
  const host = hostOf(hostPort).toLowerCase();
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

function hostOf(hostPort: string): string {
  const bracketed = /^\[([^\]]*)\](?::\d*)?$/.exec(hostPort);
  if (bracketed) return bracketed[1] ?? '';
  // One colon is HOST:PORT; more is a bare IPv6 address without a port.
  const colons = hostPort.split(':').length - 1;
  return colons === 1 ? hostPort.slice(0, hostPort.indexOf(':')) : hostPort;
}

export interface InsecureOptions {
  insecure: boolean;
  insecureAllowRemote: boolean;
}

/** SPEC §8: `--insecure` is refused on a non-loopback address unless `--insecure-allow-remote` is given too. */
export function assertInsecureAllowed(listen: string, options: InsecureOptions): void {
  if (!options.insecure || options.insecureAllowRemote || isLoopbackAddress(listen)) return;
  throw new LockstepError(
    'LOCKSTEP_E_CONFIG',
    `--insecure refuses to listen on ${listen}, which is not a loopback address: anyone who can reach it could ` +
      'drive this program without a certificate. Use --tls-ca/--tls-cert/--tls-key, listen on 127.0.0.1, ' +
      'or add --insecure-allow-remote to accept the risk.',
    { field: '--insecure' },
  );
}
