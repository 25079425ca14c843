// Issue 16 part 1, through the real agents of a 2-node Replicator lab (failover1 and its
// mirror md1 on server1): a server lost from outside (`lockstep lab power server2 off`)
// makes the agent on server1 refuse to shut itself down, whoever asks — unless the plan
// declares the downtime.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { labPaths, readClusterState, readNodeState } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { agentChannelOptions } from '../../shared/tls.js';
import { pb } from '../../shared/wire/agent-wire.js';
import { historySince, isCommand, nowMs } from '../support/custom-runbook.js';
import { agentPid, labAgentClient } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let engine: Engine;
let nodes: Array<{ name: string; address: string }>;

const addressOf = (node: string): string => nodes.find((each) => each.name === node)?.address as string;

beforeAll(async () => {
  lab = await startLab({ nodes: 2, replicator: true });
  nodes = (parseYaml(readFileSync(lab.runbook, 'utf8')) as { nodes: typeof nodes }).nodes;
  engine = await createEngine({ dbFile: join(lab.dir, 'coordinator.sqlite'), logger: silentLogger(), credentialsDirs: [lab.dir] });
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await lab?.down();
}, 60_000);

async function until(runId: string, states: Array<RunView['state']>): Promise<RunView> {
  return waitFor(`run ${runId} to reach ${states.join('/')}`, () => {
    const run = engine.getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, 60_000, 50);
}

/** ClusterAction straight through the generated client, with the coordinator's certificate. */
function clusterActionRaw(node: string, request: pb.ClusterActionRequest): Promise<ServiceError | pb.ClusterActionResponse> {
  const pki = labPaths(lab.dir).pki;
  const channel = credentials.createSsl(readFileSync(join(pki, 'ca.pem')), readFileSync(join(pki, 'coordinator.key')), readFileSync(join(pki, 'coordinator.pem')));
  const client = new pb.AgentClient(addressOf(node), channel, agentChannelOptions(node));
  return new Promise((resolve) => {
    client.clusterAction(request, new Metadata(), { deadline: new Date(Date.now() + 10_000) }, (error, response) => {
      client.close();
      resolve(error ?? response);
    });
  });
}

describe('the agent vetoes a shutdown that would leave a group with no server', () => {
  it('a run waiting at a gate before clpdown on server1; server2 loses power; approved: blocked naming failover1, no clpdown', async () => {
    const since = nowMs();
    const doc = {
      cluster: 'lab',
      nodes,
      procedure: 'custom',
      tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' },
      steps: [
        { id: 'go', kind: 'gate', with: { message: 'shut server1 down?' } },
        { id: 'shutdown', kind: 'server.shutdown', on: { node: 'server1' }, timeout: '30s' },
      ],
    };
    const path = join(lab.dir, 'veto.yaml');
    writeFileSync(path, stringify(doc));
    const { runId } = await engine.submit({ runbookYaml: stringify(doc), runbookPath: path, dryRun: false, autoApprove: false, requestedBy: 'test' });
    await until(runId as string, ['awaiting-approval']);

    const powered = await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server2', 'off']);
    expect(powered.code, powered.stderr).toBe(0);
    expect(powered.stdout).toMatch(/server2 powered off/);
    expect(readClusterState(lab.dir).servers.server2?.state).toBe('down');
    expect(readClusterState(lab.dir).mirrors.md1).toEqual({ server1: 'GREEN', server2: 'RED' });
    // The supervisor stops server2's agent and keeps it stopped.
    await waitFor('server2 agent to stop', () => (agentPid(lab.dir, 'server2') === undefined ? true : undefined), 20_000, 100);

    engine.approve(runId as string, 'go', 'operator1', 'go', engine.getRun(runId as string).planHash);
    const blocked = await until(runId as string, ['blocked', 'succeeded', 'failed']);
    expect(blocked.state).toBe('blocked');
    expect(blocked.blocker?.node).toBe('server1');
    expect(blocked.blocker?.message).toMatch(/availability check: group failover1 \(on server1\) would have no online server/);
    expect(blocked.blocker?.message).toMatch(/mirror md1 would have no up-to-date copy online/);
    const history = historySince(lab.dir, since);
    expect(history.filter((entry) => entry.node === 'server1' && isCommand(entry, 'clpstat')).length).toBeGreaterThan(0);
    expect(history.filter((entry) => isCommand(entry, 'clpdown'))).toEqual([]);
    expect(readClusterState(lab.dir).servers.server1?.state).toBe('online');
    engine.cancel(runId as string);
  }, 120_000);

  it('the same request sent straight to the agent: FAILED_PRECONDITION naming failover1; nothing run', async () => {
    const since = nowMs();
    const answer = await clusterActionRaw(
      'server1',
      pb.ClusterActionRequest.fromPartial({
        op: { opId: `veto-${since}`, runId: 'veto-direct', epoch: 1_000_000 },
        action: pb.ClusterActionKind.CLUSTER_ACTION_KIND_STOP_SERVER,
      }),
    );
    expect('code' in answer && answer.code).toBe(status.FAILED_PRECONDITION);
    expect((answer as ServiceError).details).toMatch(/group failover1/);
    expect(historySince(lab.dir, since).filter((entry) => isCommand(entry, 'clpdown'))).toEqual([]);
  }, 60_000);

  it('with planned_downtime the agent lets clpdown through and journals that it was planned', async () => {
    const since = nowMs();
    const before = readNodeState(lab.dir, 'server1').bootCount;
    const client = await labAgentClient(lab.dir, 'server1', addressOf('server1'));
    try {
      const context = { opId: `planned-${since}`, runId: 'veto-planned', epoch: 1_000_000, plannedDowntime: true };
      const operation = await client.clusterAction(context, { kind: 'stop-server' });
      expect(operation.state).toBe('SUCCEEDED');
      expect(operation.result.message).toMatch(/planned downtime \(declared by the plan\): the availability veto was not applied/);
    } finally {
      client.close();
    }
    expect(historySince(lab.dir, since).filter((entry) => entry.node === 'server1' && isCommand(entry, 'clpdown'))).toHaveLength(1);
    // server1 comes back (the lab powers a shut-down server on again); server2 stays off until powered on.
    await waitFor('server1 to boot again', () => (readNodeState(lab.dir, 'server1').bootCount > before ? true : undefined), 30_000, 100);
    expect(readNodeState(lab.dir, 'server2').power).toBe('down');
    const on = await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server2', 'on']);
    expect(on.code, on.stderr).toBe(0);
    await waitFor('server2 to boot again', () => (readNodeState(lab.dir, 'server2').power === 'up' ? true : undefined), 30_000, 100);
  }, 120_000);

  it('lab power refuses an unknown node and a state other than off|on (exit 2)', async () => {
    const unknown = await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server9', 'off']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/NODE: "server9" is not a node of the lab/);
    const badState = await lockstepCli(['lab', 'power', '--dir', lab.dir, 'server1', 'sideways']);
    expect(badState.code).toBe(2);
    expect(badState.stderr).toMatch(/STATE: expected off or on/);
  }, 60_000);
});
