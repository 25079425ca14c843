// GET /metrics: the registry's text, in the content type Prometheus asks for.
import type { Registry } from 'prom-client';
import { describeError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { HttpRoute } from './http-server.js';

export function metricsRoute(registry: Registry, logger: Logger): HttpRoute {
  return (request, response) => {
    if (request.url?.split('?')[0] !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) return false;
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        logger.error({ err: describeError(error) }, 'metrics collection failed');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics collection failed\n');
      },
    );
    return true;
  };
}
