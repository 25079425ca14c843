// SPEC §8: an agent serves only the coordinator role, checked on every call. The agent reads a
// connection's client certificate once, when its handshake is done (shared/tls.ts
// keepPeerCertificate), so these check that the answer stays each connection's own: two
// connections, two certificates, calls interleaved; and that a client cannot renegotiate into
// another certificate on a connection whose certificate was kept.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent, type RunningAgent } from '../../agent/agent-server.js';
import { silentLogger } from '../../shared/logger.js';
import { issueOperatorCertificates } from '../../shared/pki/operator-certificates.js';
import { agentChannelOptions, clientCredentials, keepPeerCertificate, loadTlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import { agentConfig, makePki, type Pki } from '../support/agent-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;
let agent: RunningAgent;
let address: string;

beforeAll(async () => {
  temp = makeTempDir();
  pki = await makePki(join(temp.dir, 'pki'));
  await issueOperatorCertificates({ dir: pki.dir, operator: 'alice', roles: ['operator', 'approver'] });
  agent = await startAgent(agentConfig({ root: temp.dir, pki }), silentLogger());
  address = `127.0.0.1:${agent.port}`;
});

afterAll(async () => {
  await agent?.stop();
  temp?.remove();
});

async function clientWith(cert: string, key: string): Promise<AgentClient> {
  const material = await loadTlsMaterial({ ca: pki.ca, cert, key });
  return new AgentClient(address, clientCredentials(material, { expectedServerName: 'server1' }), { deadlineMs: 5_000, channelOptions: agentChannelOptions('server1') });
}

describe("each connection keeps its own client certificate's identity", () => {
  it('serves the coordinator and denies an operator, call after call, on two connections at once', async () => {
    const coordinator = await clientWith(pki.coordinator.cert, pki.coordinator.key);
    const operator = await clientWith(join(pki.dir, 'operators', 'alice.pem'), join(pki.dir, 'operators', 'alice.key'));
    try {
      for (let round = 0; round < 5; round++) {
        const [served, denied] = await Promise.allSettled([coordinator.nodeInfo(), operator.nodeInfo()]);
        expect(served.status).toBe('fulfilled');
        expect(denied).toMatchObject({ status: 'rejected', reason: { cause: { code: status.PERMISSION_DENIED } } });
      }
    } finally {
      coordinator.close();
      operator.close();
    }
  });
});

describe('renegotiation', () => {
  it('ends a TLS 1.2 connection that tries it: the certificate read at the handshake cannot change under it', async () => {
    const server = createServer({ ca: readFileSync(pki.ca), ...agentPair(), requestCert: true, rejectUnauthorized: true });
    const accepted = new Promise<TLSSocket>((resolve) =>
      server.on('secureConnection', (socket: TLSSocket) => {
        keepPeerCertificate(socket);
        resolve(socket);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const client = await tls12Connection((server.address() as AddressInfo).port);
    try {
      const socket = await accepted;
      const certificate = socket.getPeerCertificate();
      expect(certificate.subject.CN).toBe('coordinator');
      expect(socket.getPeerCertificate()).toBe(certificate);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      client.renegotiate({ rejectUnauthorized: true }, () => undefined);
      await closed;
      expect(socket.destroyed).toBe(true);
    } finally {
      client.destroy();
      server.close();
    }
  });
});

function agentPair(): { cert: Buffer; key: Buffer } {
  const { cert, key } = pki.agent('server1');
  return { cert: readFileSync(cert), key: readFileSync(key) };
}

/** A TLS 1.2 connection with the coordinator's certificate, its handshake done. */
function tls12Connection(port: number): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect(
      {
        host: '127.0.0.1',
        port,
        ca: readFileSync(pki.ca),
        cert: readFileSync(pki.coordinator.cert),
        key: readFileSync(pki.coordinator.key),
        servername: 'server1',
        maxVersion: 'TLSv1.2',
      },
      () => resolve(socket),
    );
    socket.on('error', reject);
  });
}
