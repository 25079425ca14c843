// The standard gRPC health check, as a client: the lab waits on it, and so can operators'
// scripts. Answers "SERVING", "NOT_SERVING", … or the gRPC status name of the failure.
import * as grpc from '@grpc/grpc-js';
import { HealthClient, healthCheckResponse_ServingStatusToJSON } from '../gen/grpc/health/v1/health.js';

export function checkHealth(address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}, deadlineMs = 3_000): Promise<string> {
  const client = new HealthClient(address, credentials, options);
  return new Promise<string>((resolve) => {
    client.check({ service: '' }, new grpc.Metadata(), { deadline: Date.now() + deadlineMs }, (error, reply) => {
      if (error) resolve(grpc.status[error.code] ?? String(error.code));
      else resolve(healthCheckResponse_ServingStatusToJSON(reply.status));
    });
  }).finally(() => client.close());
}
