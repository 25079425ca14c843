// SPEC §8 against a real grpc-js server on loopback: who gets through the mTLS handshake,
// and who is refused, and at which layer.
import { X509Certificate, webcrypto } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readCertificateIdentity, type CertificateIdentity } from '../../shared/pki/certificate-identity.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial, peerIdentity, requirePeerRole, serverCredentials, type TlsMaterial } from '../../shared/tls.js';
import { checkHealth } from '../../shared/wire/health-client.js';
import { HealthImplementation } from '../../agent/grpc/health-implementation.js';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

interface Pki {
  dir: string;
  coordinator: TlsMaterial;
  server1: TlsMaterial;
  server2: TlsMaterial;
}

let pki: Pki;
let otherPki: Pki;
let server: grpc.Server | undefined;
// As the coordinator dials: naming the node it expects, since no certificate names an address.
const ASKING_SERVER1 = { expectedServerName: 'server1' };

async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'lockstep-mtls-'));
  await initCertificates({ dir, coordinator: 'admin1', agents: ['server1', 'server2'] });
  const load = (name: string) => loadTlsMaterial({ ca: join(dir, 'ca.pem'), cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) });
  return { dir, coordinator: await load('coordinator'), server1: await load('agents/server1'), server2: await load('agents/server2') };
}

beforeAll(async () => {
  pki = await makePki();
  otherPki = await makePki();
});

afterAll(async () => {
  await rm(pki.dir, { recursive: true, force: true });
  await rm(otherPki.dir, { recursive: true, force: true });
});

afterEach(() => {
  server?.forceShutdown();
  server = undefined;
});

/** The agent's side: a health service behind server credentials that require a client certificate. */
async function startAgent(material: TlsMaterial, interceptors: grpc.ServerInterceptor[] = []): Promise<string> {
  server = new grpc.Server({ interceptors });
  new HealthImplementation({ '': true }).addToServer(server);
  const started = server;
  const port = await new Promise<number>((resolve, reject) =>
    started.bindAsync('127.0.0.1:0', serverCredentials(material), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return `127.0.0.1:${port}`;
}

describe('agent side: who may call', () => {
  it('serves the coordinator, with a certificate from the same CA', async () => {
    const address = await startAgent(pki.server1);
    expect(await checkHealth(address, clientCredentials(pki.coordinator, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('SERVING');
  });

  it('refuses a plaintext client', async () => {
    const address = await startAgent(pki.server1);
    expect(await checkHealth(address, grpc.credentials.createInsecure(), agentChannelOptions('server1'))).toBe('UNAVAILABLE');
  });

  it('refuses a TLS client without a certificate', async () => {
    const address = await startAgent(pki.server1);
    expect(await checkHealth(address, grpc.credentials.createSsl(pki.server1.ca), agentChannelOptions('server1'))).toBe('UNAVAILABLE');
  });

  it('refuses a coordinator certificate from another CA', async () => {
    const address = await startAgent(pki.server1);
    const stranger = { ...otherPki.coordinator, ca: pki.coordinator.ca };
    expect(await checkHealth(address, clientCredentials(stranger, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('UNAVAILABLE');
  });

  it('refuses, in the TLS handshake, another agent certificate used as a client', async () => {
    const address = await startAgent(pki.server1);
    expect(await checkHealth(address, clientCredentials(pki.server2, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('UNAVAILABLE');
  });
});

describe('agent side: the per-call role check', () => {
  it('sees the coordinator identity on the call', async () => {
    const seen: (CertificateIdentity | undefined)[] = [];
    const record: grpc.ServerInterceptor = (_method, call) => {
      seen.push(peerIdentity(call));
      return new grpc.ServerInterceptingCall(call);
    };
    const address = await startAgent(pki.server1, [record, requirePeerRole('coordinator')]);
    expect(await checkHealth(address, clientCredentials(pki.coordinator, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('SERVING');
    expect(seen).toEqual([{ commonName: 'admin1', role: 'coordinator', dnsNames: ['admin1'], operatorRoles: [] }]);
  });

  it('denies a client certificate from our CA that does not carry the coordinator role', async () => {
    const address = await startAgent(pki.server1, [requirePeerRole('coordinator')]);
    const operator = await signClientCertificate(pki, 'someone', 'operator');
    expect(readCertificateIdentity(operator.cert.toString()).role).toBe('unknown');
    expect(await checkHealth(address, clientCredentials(operator, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('PERMISSION_DENIED');
  });

  it('answers each certificate with its own identity, call after call', async () => {
    const address = await startAgent(pki.server1, [requirePeerRole('coordinator')]);
    // The same CN as the coordinator's: only the certificate itself tells them apart.
    const impostor = await signClientCertificate(pki, 'admin1', 'operator');
    for (let round = 0; round < 3; round++) {
      expect(await checkHealth(address, clientCredentials(pki.coordinator, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('SERVING');
      expect(await checkHealth(address, clientCredentials(impostor, ASKING_SERVER1), agentChannelOptions('server1'))).toBe('PERMISSION_DENIED');
    }
    const callWith = (pem: Buffer) => ({
      getAuthContext: () => ({ sslPeerCertificate: { raw: new X509Certificate(pem).raw } as tls.PeerCertificate }),
    });
    for (let round = 0; round < 2; round++) {
      expect(peerIdentity(callWith(pki.coordinator.cert))?.role).toBe('coordinator');
      expect(peerIdentity(callWith(impostor.cert))).toEqual({ commonName: 'admin1', role: 'unknown', dnsNames: [], operatorRoles: [] });
    }
  });
});

describe('coordinator side: which agent answers', () => {
  it('accepts the node the runbook names at that address', async () => {
    const address = await startAgent(pki.server1);
    const credentials = clientCredentials(pki.coordinator, { expectedServerName: 'server1' });
    expect(await checkHealth(address, credentials, agentChannelOptions('server1'))).toBe('SERVING');
  });

  it("refuses an agent presenting another node's certificate", async () => {
    const address = await startAgent(pki.server1);
    const credentials = clientCredentials(pki.coordinator, { expectedServerName: 'server2' });
    expect(await checkHealth(address, credentials, agentChannelOptions('server2'))).toBe('UNAVAILABLE');
    expect(await checkHealth(address, credentials)).toBe('UNAVAILABLE');
  });

  // Issue 21 §4: every leaf used to carry localhost, 127.0.0.1 and ::1, so a runbook node
  // named localhost matched whichever agent answered.
  it('refuses an agent asked for by a loopback name: certs init signs no loopback name', async () => {
    const address = await startAgent(pki.server1);
    for (const name of ['localhost', '127.0.0.1']) {
      const credentials = clientCredentials(pki.coordinator, { expectedServerName: name });
      expect(await checkHealth(address, credentials, agentChannelOptions(name)), name).toBe('UNAVAILABLE');
    }
    expect(await checkHealth(address, clientCredentials(pki.coordinator)), 'dialled by address').toBe('UNAVAILABLE');
  });
});

describe('why an agent certificate cannot be a client (Node TLS, as under grpc-js)', () => {
  /** How a TLS server that requires client certificates judges `client`: its verification error, or "authorized". */
  async function verdictOn(client: TlsMaterial): Promise<string> {
    const material = pki.server1;
    // rejectUnauthorized off only to read the verdict; grpc-js keeps the default and hangs up instead.
    const tlsServer = tls.createServer({ ...material, requestCert: true, rejectUnauthorized: false });
    const verdict = new Promise<string>((resolve) =>
      tlsServer.once('secureConnection', (socket: tls.TLSSocket) => {
        resolve(socket.authorized ? 'authorized' : String(socket.authorizationError));
        socket.destroy();
      }),
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
    const { port } = tlsServer.address() as { port: number };
    const socket = tls.connect({ host: '127.0.0.1', port, ...client, servername: 'server1' });
    socket.on('error', () => undefined);
    try {
      return await verdict;
    } finally {
      socket.destroy();
      tlsServer.close();
    }
  }

  it("fails OpenSSL's purpose check: the agent certificate has no clientAuth usage", async () => {
    expect(await verdictOn(pki.coordinator)).toBe('authorized');
    expect(await verdictOn(pki.server2)).toBe('INVALID_PURPOSE');
  });
});

/** A clientAuth certificate signed by our CA but outside the coordinator role, made by hand. */
async function signClientCertificate(from: Pki, commonName: string, unit: string): Promise<TlsMaterial> {
  const caCert = new x509.X509Certificate(await readFile(join(from.dir, 'ca.pem'), 'utf8'));
  const caKeyDer = x509.PemConverter.decodeFirst(await readFile(join(from.dir, 'ca.key'), 'utf8'));
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const caKey = await webcrypto.subtle.importKey('pkcs8', caKeyDer, algorithm, false, ['sign']);
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.create(
    {
      subject: [{ CN: [commonName] }, { OU: [unit] }],
      issuer: caCert.subjectName,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      publicKey: keys.publicKey,
      signingKey: caKey,
      extensions: [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])],
    },
    webcrypto,
  );
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { ca: from.coordinator.ca, cert: Buffer.from(cert.toString('pem')), key: Buffer.from(keyPem) };
}
