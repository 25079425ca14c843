// The agent's standard gRPC health service (grpc.health.v1), as any health client sees it:
// Check, Watch and List over the agent's mTLS, and what watchers hear when the agent stops.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthCheckResponse_ServingStatus as Status, HealthClient, type HealthCheckResponse } from '../../shared/gen/grpc/health/v1/health.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { checkHealth } from '../../shared/wire/health-client.js';
import { makePki, startTestAgent, type Pki, type TestAgent } from '../support/agent-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let pki: Pki;

beforeAll(async () => {
  temp = makeTempDir();
  pki = await makePki(temp.dir);
});
afterAll(() => temp.remove());

async function healthClient(agent: TestAgent): Promise<{ client: HealthClient; credentials: grpc.ChannelCredentials }> {
  const material = await loadTlsMaterial({ ca: pki.ca, ...pki.coordinator });
  const credentials = clientCredentials(material, { expectedServerName: 'server1' });
  return { client: new HealthClient(`127.0.0.1:${agent.agent.port}`, credentials, agentChannelOptions('server1')), credentials };
}

const deadline = () => ({ deadline: Date.now() + 5_000 });

function check(client: HealthClient, service: string): Promise<Status | string> {
  return new Promise((resolve) =>
    client.check({ service }, new grpc.Metadata(), deadline(), (error, reply) => resolve(error ? grpc.status[error.code] : reply.status)),
  );
}

/** The statuses a Watch delivers until it ends, and a promise of the first `count`. */
function watch(client: HealthClient, service: string) {
  const statuses: Status[] = [];
  const stream = client.watch({ service });
  const ended = new Promise<string>((resolve) => {
    stream.on('error', (error: grpc.ServiceError) => resolve(grpc.status[error.code] ?? String(error.code)));
    stream.on('end', () => resolve('ended'));
  });
  stream.on('data', (reply: HealthCheckResponse) => statuses.push(reply.status));
  const first = async (count: number) => {
    while (statuses.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    return statuses.slice(0, count);
  };
  return { statuses, first, ended, cancel: () => stream.cancel() };
}

describe('agent health (grpc.health.v1)', () => {
  it('answers Check for the server and the agent service, NOT_FOUND for another name, and List', async () => {
    const agent = await startTestAgent({ root: temp.dir, pki });
    const { client, credentials } = await healthClient(agent);
    try {
      expect(await check(client, '')).toBe(Status.SERVING);
      expect(await check(client, 'lockstep.agent.v1.Agent')).toBe(Status.SERVING);
      expect(await check(client, 'no.such.Service')).toBe('NOT_FOUND');
      expect(await checkHealth(`127.0.0.1:${agent.agent.port}`, credentials, agentChannelOptions('server1'))).toBe('SERVING');
      const listed = await new Promise((resolve, reject) =>
        client.list({}, new grpc.Metadata(), deadline(), (error, reply) => (error ? reject(error) : resolve(reply.statuses))),
      );
      expect(listed).toEqual({ '': { status: Status.SERVING }, 'lockstep.agent.v1.Agent': { status: Status.SERVING } });
    } finally {
      client.close();
      await agent.stop();
    }
  });

  it('Watch sends the status at once, SERVICE_UNKNOWN for an unknown name, and NOT_SERVING when the agent stops', async () => {
    const agent = await startTestAgent({ root: temp.dir, pki });
    const { client } = await healthClient(agent);
    try {
      const server = watch(client, '');
      const unknown = watch(client, 'no.such.Service');
      expect(await server.first(1)).toEqual([Status.SERVING]);
      expect(await unknown.first(1)).toEqual([Status.SERVICE_UNKNOWN]);
      // A Watch never ends by itself: stopping must end it, or the server's shutdown would wait for ever.
      await agent.stop();
      expect(await server.ended).toBe('ended');
      expect(server.statuses).toEqual([Status.SERVING, Status.NOT_SERVING]);
      expect(await unknown.ended).toBe('ended');
      expect(unknown.statuses).toEqual([Status.SERVICE_UNKNOWN]);
    } finally {
      client.close();
    }
  });

  it('a cancelled Watch is forgotten: the agent still stops', async () => {
    const agent = await startTestAgent({ root: temp.dir, pki });
    const { client } = await healthClient(agent);
    try {
      const server = watch(client, '');
      expect(await server.first(1)).toEqual([Status.SERVING]);
      server.cancel();
      expect(await server.ended).toBe('CANCELLED');
      await agent.stop();
    } finally {
      client.close();
    }
  });
});
