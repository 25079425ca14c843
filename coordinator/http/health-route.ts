// GET /healthz of a coordinator in an HA group (issue 15): which role it plays now and who
// leads, for load balancers and operators. Asked on every request, never cached: the answer
// changes the moment an election does.
import type { HttpRoute } from './http-server.js';

export interface CoordinatorRole {
  role: 'leader' | 'follower';
  /** The leader's advertised gRPC address (HOST:PORT); "" while none is elected. */
  leader: string;
}

export function healthRoute(roleOf: () => CoordinatorRole): HttpRoute {
  return (request, response) => {
    if (new URL(request.url ?? '/', 'http://coordinator').pathname !== '/healthz' || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    const { role, leader } = roleOf();
    const body = `${JSON.stringify({ role, leader })}\n`;
    response
      .writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
      .end(request.method === 'HEAD' ? undefined : body);
    return true;
  };
}
