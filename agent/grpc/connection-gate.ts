// The agent's listening socket, in front of grpc-js (docs/security.md §6). grpc-js accepts
// every TCP connection and lets an idle one hold its descriptor for two minutes: 400 idle
// connections to an agent with 300 descriptors locked the coordinator out. Here a connection
// counts as unauthenticated until its TLS handshake, client certificate included, is done;
// those are capped per peer address and in total, and the handshake has a short deadline.
// Only an authenticated connection reaches gRPC (through its connection injector).
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '../../shared/logger.js';
import { keepPeerCertificate } from '../../shared/tls.js';

export interface ConnectionLimits {
  /** A TLS handshake (the client certificate included) not done within this is dropped. */
  handshakeTimeoutMs: number;
  /** Connections still in their handshake, from one address. */
  perPeer: number;
  /** Connections still in their handshake, from everywhere. */
  total: number;
}

/**
 * A coordinator makes one connection per agent and a CLI probe or two more; a handshake takes
 * milliseconds on a LAN and a few hundred on a slow WAN. 64 pending handshakes is well under
 * the unit's LimitNOFILE (systemd/lockstep-agent.service) with room for the journal and rpm.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = { handshakeTimeoutMs: 10_000, perPeer: 8, total: 64 };

export type RefusalReason = 'peer-limit' | 'total-limit' | 'handshake-timeout' | 'handshake-failed' | 'accept-failed';

/** At most one log line per interval, summing what was refused meanwhile. */
const LOG_INTERVAL_MS = 10_000;

export interface ConnectionGateOptions {
  server: grpc.Server;
  /** The agent's credentials; insecure ones (tests on loopback) skip the handshake and its limits. */
  credentials: grpc.ServerCredentials;
  logger: Logger;
  limits?: ConnectionLimits;
}

export class ConnectionGate {
  /** Refusals since start, by reason: the counters a metrics endpoint will export. */
  readonly refused: Record<RefusalReason, number> = { 'peer-limit': 0, 'total-limit': 0, 'handshake-timeout': 0, 'handshake-failed': 0, 'accept-failed': 0 };
  private readonly limits: ConnectionLimits;
  private readonly injector: grpc.ConnectionInjector;
  private readonly listener: NetServer;
  private readonly tls: TlsServer | undefined;
  /** Sockets in their handshake, by `address|port`; and how many per address. */
  private readonly pending = new Map<string, Socket>();
  private readonly pendingPerPeer = new Map<string, number>();
  private readonly unlogged = new Map<string, number>();
  private lastLog = 0;
  private logTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ConnectionGateOptions) {
    this.limits = options.limits ?? DEFAULT_CONNECTION_LIMITS;
    // The TLS is done here, so gRPC gets connections that are already authenticated.
    this.injector = options.server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
    this.tls = options.credentials._isSecure() ? this.tlsServer(options.credentials) : undefined;
    this.listener = createServer((socket) => this.accept(socket));
  }

  /** Listens on HOST:PORT; resolves to the port bound (the real one when 0 was asked for). */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const failed = (error: Error): void => reject(error);
      this.listener.once('error', failed);
      this.listener.listen({ host: host.replace(/^\[(.*)\]$/, '$1'), port }, () => {
        this.listener.off('error', failed);
        // From now on an error is a failed accept (EMFILE): counted and logged, never fatal.
        this.listener.on('error', (error) => this.refuse('accept-failed', error.message));
        const address = this.listener.address();
        resolve(typeof address === 'object' && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting and drops connections still in their handshake; gRPC's own shutdown ends the rest. */
  async close(): Promise<void> {
    clearTimeout(this.logTimer);
    for (const socket of this.pending.values()) socket.destroy();
    this.injector.destroy();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    socket.on('error', () => undefined);
    if (this.tls === undefined) return this.injector.injectConnection(socket);
    const peer = socket.remoteAddress ?? 'unknown';
    const fromPeer = this.pendingPerPeer.get(peer) ?? 0;
    if (fromPeer >= this.limits.perPeer) return this.drop(socket, 'peer-limit', peer);
    if (this.pending.size >= this.limits.total) return this.drop(socket, 'total-limit', peer);
    const key = `${peer}|${socket.remotePort}`;
    this.pending.set(key, socket);
    this.pendingPerPeer.set(peer, fromPeer + 1);
    socket.once('close', () => {
      if (this.pending.get(key) === socket) this.settle(key, peer);
    });
    this.tls.emit('connection', socket);
  }

  private tlsServer(credentials: grpc.ServerCredentials): TlsServer {
    const server = createTlsServer({
      ...credentials._getConstructorOptions(),
      ...credentials._getSecureContextOptions(),
      ALPNProtocols: ['h2'],
      handshakeTimeout: this.limits.handshakeTimeoutMs,
    });
    server.on('secureConnection', (socket: TLSSocket) => {
      this.settle(`${socket.remoteAddress}|${socket.remotePort}`, socket.remoteAddress ?? 'unknown');
      socket.on('error', () => undefined);
      keepPeerCertificate(socket);
      this.injector.injectConnection(socket);
    });
    server.on('tlsClientError', (error: Error & { code?: string }, socket: TLSSocket) => {
      const reason = error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'handshake-timeout' : 'handshake-failed';
      this.refuse(reason, `${socket.remoteAddress ?? 'unknown'}: ${error.message}`);
      socket.destroy();
    });
    return server;
  }

  /** The handshake is over (done, failed or timed out): the slot is free. Once per connection. */
  private settle(key: string, peer: string): void {
    if (!this.pending.delete(key)) return;
    const left = (this.pendingPerPeer.get(peer) ?? 1) - 1;
    if (left > 0) this.pendingPerPeer.set(peer, left);
    else this.pendingPerPeer.delete(peer);
  }

  private drop(socket: Socket, reason: RefusalReason, peer: string): void {
    socket.destroy();
    this.refuse(reason, peer);
  }

  private refuse(reason: RefusalReason, detail: string): void {
    this.refused[reason] += 1;
    const key = `${reason}: ${detail}`;
    this.unlogged.set(key, (this.unlogged.get(key) ?? 0) + 1);
    const wait = this.lastLog + LOG_INTERVAL_MS - Date.now();
    if (wait <= 0) this.flushLog();
    else this.logTimer ??= setTimeout(() => this.flushLog(), wait).unref();
  }

  private flushLog(): void {
    this.logTimer = undefined;
    if (this.unlogged.size === 0) return;
    this.lastLog = Date.now();
    const refused = Object.fromEntries([...this.unlogged].slice(0, 20));
    this.options.logger.warn({ refused, limits: this.limits, pending: this.pending.size, totals: { ...this.refused } }, 'refused unauthenticated connections');
    this.unlogged.clear();
  }
}
