// gRPC's standard health service (grpc.health.v1, grpc/doc/health-checking.md) from stubs
// generated like the agent's own. grpc-health-check did the same but loaded its .proto at
// start through @grpc/proto-loader and protobufjs: ~5 MB of an idle agent (PERFORMANCE.md §3).
import * as grpc from '@grpc/grpc-js';
import {
  HealthCheckResponse_ServingStatus as ServingStatus,
  HealthService,
  type HealthCheckRequest,
  type HealthCheckResponse,
  type HealthServer,
} from '../../shared/gen/grpc/health/v1/health.js';

type Watcher = (status: ServingStatus) => void;

export class HealthImplementation {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly watches = new Set<grpc.ServerWritableStream<HealthCheckRequest, HealthCheckResponse>>();

  /** `services`: each service name ("" is the whole server) and whether it serves now. */
  constructor(services: Record<string, boolean>) {
    for (const [service, serving] of Object.entries(services)) this.statuses.set(service, serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
  }

  addToServer(server: grpc.Server): void {
    const implementation: HealthServer = {
      check: (call, callback) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) callback({ code: grpc.status.NOT_FOUND, details: `no health status for service "${call.request.service}"` });
        else callback(null, { status });
      },
      // The current status at once (SERVICE_UNKNOWN for a name not known yet), then each change.
      watch: (call) => {
        const { service } = call.request;
        const send: Watcher = (status) => call.write({ status });
        this.watches.add(call);
        this.watchersOf(service).add(send);
        call.on('cancelled', () => {
          this.watchers.get(service)?.delete(send);
          this.watches.delete(call);
        });
        send(this.statuses.get(service) ?? ServingStatus.SERVICE_UNKNOWN);
      },
      list: (_call, callback) => {
        callback(null, { statuses: Object.fromEntries([...this.statuses].map(([service, status]) => [service, { status }])) });
      },
    };
    server.addService(HealthService, implementation);
  }

  /**
   * Every service NOT_SERVING, said to every watcher, and every Watch ended: a server's
   * tryShutdown waits for its open calls, and a Watch never ends by itself.
   */
  shutdown(): void {
    for (const service of this.statuses.keys()) this.setStatus(service, ServingStatus.NOT_SERVING);
    for (const call of this.watches) call.end();
    this.watches.clear();
    this.watchers.clear();
  }

  private setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const send of this.watchers.get(service) ?? []) send(status);
  }

  private watchersOf(service: string): Set<Watcher> {
    let watchers = this.watchers.get(service);
    if (watchers === undefined) this.watchers.set(service, (watchers = new Set()));
    return watchers;
  }
}
