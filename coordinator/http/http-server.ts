// The coordinator's HTTP port (SPEC §4.5): /healthz, and the routes the composition root
// hands it (/metrics, the dashboard), each answering the requests it knows.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';

export interface RunningHttpServer {
  /** HOST:PORT actually bound. */
  address: string;
  port: number;
  close(): Promise<void>;
}

/** Answers the request and returns true, or returns false and leaves it to the next route. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

export async function startHttpServer(listen: string, logger: Logger, routes: readonly HttpRoute[] = []): Promise<RunningHttpServer> {
  const { host, port } = splitHostPort(listen);
  const server = createServer((request, response) => {
    if (!routes.some((route) => route(request, response))) handle(request, response);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(new LockstepError('LOCKSTEP_E_CONFIG', `--http: cannot listen on ${listen}: ${error.message}`, { field: '--http', cause: error })),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ http: `${host}:${bound}` }, 'http listening');
  return {
    address: `${listen.slice(0, listen.lastIndexOf(':'))}:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Dashboard clients hold server-sent-event connections open; do not wait for them.
        server.closeAllConnections();
      }),
  };
}

function handle(request: IncomingMessage, response: ServerResponse): void {
  if (request.url === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
    response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
    return;
  }
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
}

/** "127.0.0.1:7452" or "[::1]:7452" → host and port for net.listen. */
function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)) };
}
