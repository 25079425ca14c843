// The coordinator's HTTP port (SPEC §4.5): each route handed in (the dashboard, /metrics, an HA
// coordinator's /healthz) in turn, then a plain /healthz. HTTPS with client certificates when
// given TLS material (a non-loopback --http, coordinator-config.ts), plain HTTP on loopback.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { LockstepError } from '../../shared/errors.js';
import type { Logger } from '../../shared/logger.js';
import type { TlsMaterial } from '../../shared/tls.js';
import type { TLSSocket } from 'node:tls';
import { readCertificateIdentity } from '../../shared/pki/certificate-identity.js';

/** Answers the request and returns true, or returns false to leave it to the next route. */
export type HttpRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

export interface HttpServerOptions {
  routes?: readonly HttpRoute[];
  /** Serve HTTPS, asking every client for a certificate from `ca` (and refusing those in `crl`). */
  tls?: TlsMaterial;
}

export interface RunningHttpServer {
  /** HOST:PORT actually bound. */
  address: string;
  port: number;
  close(): Promise<void>;
}

export async function startHttpServer(listen: string, logger: Logger, options: HttpServerOptions = {}): Promise<RunningHttpServer> {
  const { host, port } = splitHostPort(listen);
  const handle = handler(options.routes ?? [], logger, options.tls !== undefined);
  const tls = options.tls;
  const server =
    tls === undefined
      ? createServer(handle)
      : createTlsServer({ ca: tls.ca, cert: tls.cert, key: tls.key, ...(tls.crl !== undefined && { crl: tls.crl }), requestCert: true, rejectUnauthorized: true }, handle);
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

function handler(routes: readonly HttpRoute[], logger: Logger, tls: boolean): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    if (tls && !isOperatorPeer(request)) {
      response.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' }).end('this port needs an operator certificate (lockstep certs issue --roles viewer): an agent\'s or the coordinator\'s is refused\n');
      return;
    }
    try {
      if (routes.some((route) => route(request, response))) return;
    } catch (error) {
      logger.error({ err: error, url: request.url }, 'http request failed');
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('internal error\n');
      return;
    }
    // A single coordinator is healthy when it answers; one of an HA group hands in health-route.ts, which answers first.
    if (request.url === '/healthz' && (request.method === 'GET' || request.method === 'HEAD')) {
      response.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('ok');
      return;
    }
    response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  };
}

/** The handshake proved the certificate chains to the CA; as on the gRPC API (caller.ts), any operator role may read. */
function isOperatorPeer(request: IncomingMessage): boolean {
  try {
    const raw = (request.socket as TLSSocket).getPeerCertificate().raw as Buffer | undefined;
    return raw !== undefined && readCertificateIdentity(raw).operatorRoles.length > 0;
  } catch {
    return false;
  }
}

/** "127.0.0.1:7452" or "[::1]:7452" → host and port for net.listen. */
function splitHostPort(listen: string): { host: string; port: number } {
  const colon = listen.lastIndexOf(':');
  const host = listen.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(listen.slice(colon + 1)) };
}
