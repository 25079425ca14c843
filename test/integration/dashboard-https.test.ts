// A dashboard off loopback (docs/operator-guide.md, "The dashboard"): refused without the API's
// TLS files; with them, HTTPS that admits a browser only with an operator certificate from the
// CA. The real coordinator (engine, SQLite) on a real socket; requests with node:https.
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveCoordinatorConfig } from '../../coordinator/coordinator-config.js';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { silentLogger } from '../../shared/logger.js';
import { issueOperatorCertificates } from '../../shared/pki/operator-certificates.js';
import { makePki, type Pki } from '../support/agent-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

const temp = makeTempDir('lockstep-dashboard-https-');
let pki: Pki;
let coordinator: RunningCoordinator;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** GET over HTTPS to the coordinator, checking its certificate names "coordinator"; `client` is the cert and key presented, if any. */
function get(path: string, client?: { cert: string; key: string }): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const call = request(
      {
        host: '127.0.0.1',
        port: coordinator.httpPort,
        path,
        servername: 'coordinator',
        ca: readFileSync(pki.ca),
        ...(client && { cert: readFileSync(client.cert), key: readFileSync(client.key) }),
        timeout: 10_000,
      },
      (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
      },
    );
    call.on('timeout', () => call.destroy(new Error(`GET ${path} timed out`)));
    call.on('error', reject);
    call.end();
  });
}

const operator = (name: string): { cert: string; key: string } => ({ cert: join(pki.dir, 'operators', `${name}.pem`), key: join(pki.dir, 'operators', `${name}.key`) });

beforeAll(async () => {
  pki = await makePki(join(temp.dir, 'pki'));
  await issueOperatorCertificates({ dir: pki.dir, operator: 'victor', roles: ['viewer'] });
  const config = resolveCoordinatorConfig(undefined, {
    listen: '127.0.0.1:0',
    http: '0.0.0.0:0',
    'tls-ca': pki.ca,
    'tls-cert': pki.coordinator.cert,
    'tls-key': pki.coordinator.key,
    db: join(temp.dir, 'db', 'runs.sqlite'),
    'credentials-dir': [pki.dir],
    'log-level': 'silent',
  });
  coordinator = await startCoordinator(config, silentLogger(), { createRunService: createEngine });
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  temp.remove();
});

describe('the dashboard off loopback', () => {
  it('is refused at start without the TLS files, naming --http', () => {
    expect(() => resolveCoordinatorConfig(undefined, { http: '0.0.0.0:7452' })).toThrow(/--http: 0\.0\.0\.0:7452 is not a loopback address.*--tls-ca, --tls-cert and --tls-key/);
    expect(resolveCoordinatorConfig(undefined, { http: '[::1]:7452' }).http).toBe('[::1]:7452');
  });

  it("serves HTTPS to an operator's certificate, under the CSP", async () => {
    const runs = await get('/api/runs', operator('victor'));
    expect(runs.status).toBe(200);
    expect(JSON.parse(runs.body)).toEqual([]);
    const page = await get('/', operator('victor'));
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'none'; script-src 'self'/);
    expect(page.body).toContain('<script type="module" src="/assets/runs-page.js"></script>');
  });

  it("answers 403 to the coordinator's own certificate (no operator role), and refuses an agent's or none in the handshake", async () => {
    const coordinatorCert = await get('/api/runs', pki.coordinator);
    expect(coordinatorCert.status).toBe(403);
    expect(coordinatorCert.body).toMatch(/operator certificate/);
    // An agent's certificate is not for client authentication: the handshake fails.
    await expect(get('/api/runs', pki.agent('server1'))).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
    await expect(get('/api/runs')).rejects.toThrow(/certificate|socket hang up|ECONNRESET/i);
  });
});
