// The HA coordinator on an etcd that serves clients over TLS and asks for client certificates
// (issue 15): with the right --etcd-tls-* files it is elected; with the wrong CA, or without a
// client certificate, it stops at start naming the flags. Certificates made with openssl; etcd
// is Debian's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haveEtcd, ETCD_BINARY } from '../support/etcd-cluster.js';
import { builtProgram, freePort, spawnNode, waitFor } from '../support/processes.js';
import { haveTools } from '../support/require-tool.js';
import { makeTempDir } from '../support/temp-dir.js';

const enabled = haveEtcd() && haveTools('openssl');
let temp: ReturnType<typeof makeTempDir>;
let etcd: ChildProcess | undefined;
let endpoint = '';
let dir = '';

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', timeout: 30_000 });
}

/** A CA, and a certificate it signs for `name` (an IP SAN for the server, a client one for us). */
function makeCa(name: string): void {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.pem`);
}

function issue(ca: string, name: string, extension: string): void {
  writeFileSync(join(dir, `${name}.ext`), `${extension}\n`);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
}

beforeAll(async () => {
  if (!enabled) return;
  temp = makeTempDir('lockstep-etcd-tls-');
  dir = temp.dir;
  makeCa('etcd-ca');
  makeCa('other-ca');
  issue('etcd-ca', 'server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth');
  issue('etcd-ca', 'client', 'extendedKeyUsage=clientAuth');
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  endpoint = `https://127.0.0.1:${clientPort}`;
  etcd = spawn(
    ETCD_BINARY,
    [
      '--name', 'tls1', '--data-dir', join(dir, 'tls1.etcd'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `tls1=http://127.0.0.1:${peerPort}`,
      '--cert-file', join(dir, 'server.pem'), '--key-file', join(dir, 'server.key'),
      '--client-cert-auth', '--trusted-ca-file', join(dir, 'etcd-ca.pem'),
    ],
    { stdio: 'ignore' },
  );
  process.once('exit', () => etcd?.kill('SIGKILL'));
}, 60_000);

afterAll(() => {
  etcd?.kill('SIGKILL');
  temp?.remove();
});

async function startCoordinator(tlsArgs: string[]): Promise<{ healthz: () => Promise<unknown>; exited: Promise<{ code: number | null }>; output: () => string; kill: () => void }> {
  const [api, http] = [await freePort(), await freePort()];
  const spawned = spawnNode(builtProgram('coordinator/main.js'), [
    '--listen', `127.0.0.1:${api}`, '--insecure', '--credentials-dir', dir, '--http', `127.0.0.1:${http}`,
    '--etcd', endpoint, '--etcd-prefix', '/tls-test/', ...tlsArgs,
  ]);
  return {
    healthz: async () => (await fetch(`http://127.0.0.1:${http}/healthz`, { signal: AbortSignal.timeout(500) })).json(),
    exited: spawned.exited,
    output: spawned.output,
    kill: () => spawned.child.kill('SIGKILL'),
  };
}

describe.skipIf(!enabled)('the HA coordinator on an etcd that speaks TLS', () => {
  it('is elected with the CA that signed the members and a client certificate', async () => {
    const coordinator = await startCoordinator(['--etcd-tls-ca', join(dir, 'etcd-ca.pem'), '--etcd-tls-cert', join(dir, 'client.pem'), '--etcd-tls-key', join(dir, 'client.key')]);
    try {
      const health = await waitFor('the coordinator to lead', async () => {
        const answer = await coordinator.healthz().catch(() => undefined);
        return (answer as { role?: string } | undefined)?.role === 'leader' ? answer : undefined;
      }, 30_000, 100);
      expect(health).toMatchObject({ role: 'leader' });
    } finally {
      coordinator.kill();
    }
  }, 60_000);

  it.each([
    ['a CA that did not sign the members', ['--etcd-tls-ca', 'other-ca.pem', '--etcd-tls-cert', 'client.pem', '--etcd-tls-key', 'client.key']],
    ['no client certificate where the members ask for one', ['--etcd-tls-ca', 'etcd-ca.pem']],
  ])('stops at start with %s, naming the flags', async (_, args) => {
    const coordinator = await startCoordinator(args.map((arg) => (arg.endsWith('.pem') || arg.endsWith('.key') ? join(dir, arg) : arg)));
    const { code } = await coordinator.exited;
    expect(code).toBe(2);
    expect(coordinator.output()).toMatch(/--etcd: no etcd member answered at https:\/\/127\.0\.0\.1:\d+ .*Check --etcd-tls-ca .* and --etcd-tls-cert\/--etcd-tls-key/s);
  }, 60_000);
});
