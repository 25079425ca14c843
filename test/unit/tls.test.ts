import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLockstepError } from '../../shared/errors.js';
import { initCertificates } from '../../shared/pki/certs-init.js';
import { assertInsecureAllowed, isLoopbackAddress, loadTlsMaterial } from '../../shared/tls.js';

describe('--insecure stays on loopback (SPEC §8)', () => {
  it.each(['127.0.0.1:7000', '127.1.2.3:7000', 'localhost:7000', 'LOCALHOST:1', '[::1]:7000', '::1', '[::ffff:127.0.0.1]:7000'])(
    '%s is loopback',
    (address) => expect(isLoopbackAddress(address)).toBe(true),
  );

  it.each(['0.0.0.0:7000', ':7000', '7000', '[::]:7000', '10.0.0.5:7000', 'server1:7000', '128.0.0.1:7000', 'localhost.evil:7000'])(
    '%s is not loopback',
    (address) => expect(isLoopbackAddress(address)).toBe(false),
  );

  it('refuses --insecure on a remote address, naming the way out', () => {
    let error: unknown;
    try {
      assertInsecureAllowed('0.0.0.0:7000', { insecure: true, insecureAllowRemote: false });
    } catch (thrown) {
      error = thrown;
    }
    expect(isLockstepError(error, 'LOCKSTEP_E_CONFIG')).toBe(true);
    expect(String(error)).toContain('--insecure-allow-remote');
  });

  it('allows --insecure on loopback, or anywhere with --insecure-allow-remote, and TLS anywhere', () => {
    expect(() => assertInsecureAllowed('127.0.0.1:7000', { insecure: true, insecureAllowRemote: false })).not.toThrow();
    expect(() => assertInsecureAllowed('0.0.0.0:7000', { insecure: true, insecureAllowRemote: true })).not.toThrow();
    expect(() => assertInsecureAllowed('0.0.0.0:7000', { insecure: false, insecureAllowRemote: false })).not.toThrow();
  });
});

describe('loading TLS material', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lockstep-tls-'));
    await initCertificates({ dir, coordinator: 'admin1', agents: ['server1'] });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function loadError(paths: { ca: string; cert: string; key: string }): Promise<string> {
    const error: unknown = await loadTlsMaterial(paths).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isLockstepError(error, 'LOCKSTEP_E_TLS')).toBe(true);
    return String(error);
  }

  it('loads a matching certificate and key', async () => {
    const material = await loadTlsMaterial({ ca: join(dir, 'ca.pem'), cert: join(dir, 'coordinator.pem'), key: join(dir, 'coordinator.key') });
    expect(material.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('names the file that is missing', async () => {
    const missing = join(dir, 'nope.key');
    expect(await loadError({ ca: join(dir, 'ca.pem'), cert: join(dir, 'coordinator.pem'), key: missing })).toContain(`private key ${missing}`);
  });

  it('names a file that is not PEM', async () => {
    const notPem = join(dir, 'coordinator.key');
    expect(await loadError({ ca: join(dir, 'ca.pem'), cert: notPem, key: notPem })).toContain(`certificate ${notPem} is not valid PEM`);
  });

  it('refuses a key that belongs to another certificate', async () => {
    const message = await loadError({ ca: join(dir, 'ca.pem'), cert: join(dir, 'coordinator.pem'), key: join(dir, 'agents', 'server1.key') });
    expect(message).toContain('does not belong to the certificate');
  });
});
