// GET /healthz of an HA coordinator (issue 15) through the real HTTP port: the role and the
// leader as they are when asked, never a cached answer; without the route, the plain "ok".
import { afterEach, describe, expect, it } from 'vitest';
import { healthRoute, type CoordinatorRole } from '../../coordinator/http/health-route.js';
import { startHttpServer, type RunningHttpServer } from '../../coordinator/http/http-server.js';
import { silentLogger } from '../../shared/logger.js';

let server: RunningHttpServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('/healthz', () => {
  it('reports the role and the leader at the moment of asking, uncached', async () => {
    let now: CoordinatorRole = { role: 'follower', leader: '' };
    server = await startHttpServer('127.0.0.1:0', silentLogger(), { routes: [healthRoute(() => now)] });
    const url = `http://${server.address}/healthz`;

    const electing = await fetch(url);
    expect(electing.status).toBe(200);
    expect(electing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(electing.headers.get('cache-control')).toBe('no-store');
    expect(await electing.json()).toEqual({ role: 'follower', leader: '' });

    now = { role: 'follower', leader: '10.0.0.2:7450' };
    expect(await (await fetch(url)).json()).toEqual({ role: 'follower', leader: '10.0.0.2:7450' });
    now = { role: 'leader', leader: '10.0.0.1:7450' };
    expect(await (await fetch(`${url}?probe=1`)).json()).toEqual({ role: 'leader', leader: '10.0.0.1:7450' });

    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('leaves other paths and methods to the next route', async () => {
    server = await startHttpServer('127.0.0.1:0', silentLogger(), { routes: [healthRoute(() => ({ role: 'leader', leader: 'h1:7450' }))] });
    expect((await fetch(`http://${server.address}/healthz/x`)).status).toBe(404);
    expect((await fetch(`http://${server.address}/healthz`, { method: 'POST' })).status).toBe(404);
  });

  it('is the plain "ok" of a single coordinator without the route', async () => {
    server = await startHttpServer('127.0.0.1:0', silentLogger());
    const response = await fetch(`http://${server.address}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('ok');
  });
});
