// The standard gRPC health check, as a client: the lab waits on it, and so can operators'
// scripts. Answers "SERVING", "NOT_SERVING", … or the gRPC status name of the failure.
import * as grpc from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = grpc.makeClientConstructor(healthService as grpc.ServiceDefinition, 'grpc.health.v1.Health');
const SERVING_STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'] as const;

export function checkHealth(address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions = {}, deadlineMs = 3_000): Promise<string> {
  const client = new HealthClient(address, credentials, options);
  return new Promise<string>((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      // HealthCheckRequest{service: ""}: an empty message.
      () => Buffer.alloc(0),
      (reply: Buffer) => reply,
      {},
      { deadline: Date.now() + deadlineMs },
      (error: grpc.ServiceError | null, reply?: Buffer) => {
        if (error) return resolve(grpc.status[error.code] ?? String(error.code));
        // HealthCheckResponse{status = 1}: tag 0x08 then a one-byte varint; empty means UNKNOWN.
        const value = reply && reply.length >= 2 && reply[0] === 0x08 ? (reply[1] ?? 0) : 0;
        resolve(SERVING_STATUS[value] ?? 'UNKNOWN');
      },
    );
  }).finally(() => client.close());
}
