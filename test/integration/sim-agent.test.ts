// A real agent (gRPC, mTLS, journal) on a simulated node: the agent's own drivers and
// parsers read the lab, and a reboot shows a new boot id through GetNodeInfo (SPEC §9).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bootNode } from '../../lab/node/sim-boot.js';
import { SimExecutor } from '../../lab/node/sim-executor.js';
import { SimFacts } from '../../lab/node/sim-facts.js';
import { readClusterState, readHistory } from '../../lab/state/lab-state.js';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { writeSimLab } from '../support/sim-lab.js';
import { makeTempDir } from '../support/temp-dir.js';

describe('the agent on a simulated node', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let harness: TestAgent;
  let exits = 0;
  let step = 0;
  const op = () => ({ opId: `sim-run/step-${++step}/server2/1`, runId: 'sim-run', epoch: 1 });

  beforeEach(async () => {
    temp = makeTempDir('lockstep-sim-agent-');
    const lab = join(temp.dir, 'lab');
    writeSimLab(lab, ['server1', 'server2']);
    const pki = await makePki(join(temp.dir, 'pki'));
    const executor = new SimExecutor({ labDir: lab, node: 'server2', exitProcess: async (powerOff) => {
      await powerOff();
      exits += 1;
    } });
    harness = await startTestAgent({ root: temp.dir, pki, node: 'server2', environment: { executor, facts: new SimFacts(lab, 'server2') } });
  });

  afterEach(async () => {
    await harness.stop();
    temp.remove();
  });

  it('reports the simulated node, its cluster and its mirrors', async () => {
    expect(await harness.client.nodeInfo()).toMatchObject({ hostname: 'server2', bootId: 'boot-server2-0' });
    const status = await harness.client.clusterStatus();
    expect(status.servers.find((server) => server.local)?.name).toBe('server2');
    // Its resources cross the wire: the coordinator's availability proof reads where md1 must be GREEN.
    expect(status.groups[0]).toMatchObject({ name: 'failover1', currentServer: 'server1', resources: ['md1'] });
    const [md1] = await harness.client.mirrorStatus();
    expect(md1).toMatchObject({ name: 'md1', overall: 'normal' });
  });

  it('3.1.3.1: disable the cluster service, shut the server down, come back with a new boot id', async () => {
    const lab = join(temp.dir, 'lab');
    expect((await harness.client.controlService(op(), 'clusterpro', 'disable')).status.enabled).toBe(false);
    expect(await harness.client.clusterAction(op(), { kind: 'stop-server' })).toMatchObject({ state: 'SUCCEEDED' });
    expect(exits).toBe(1);
    expect(readClusterState(lab).servers.server2?.state).toBe('down');
    await bootNode(lab, 'server2', Date.now());
    expect(readClusterState(lab).servers.server2?.state).toBe('offline');
    expect((await harness.client.nodeInfo()).bootId).not.toBe('boot-server2-0');
    // Before clpdown the agent reads where the groups run and which mirror copies are current (its availability veto).
    expect(readHistory(lab).map((entry) => entry.argv.join(' '))).toEqual([
      'chkconfig --del clusterpro',
      'chkconfig clusterpro',
      '/etc/init.d/clusterpro status',
      'clpstat',
      'clpmdstat -l',
      'clpmdstat --mirror md1',
      'clpdown',
    ]);
  });
});
