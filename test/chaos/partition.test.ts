// SPEC §12: a node cut off at a barrier. server2's agent runs in a network namespace this test
// makes (node.json `netns`); while server2 is still running the last step before a barrier,
// the test takes its link down. The coordinator must report it unreachable within 5 s, must
// not pass the barrier while it is cut off, and must finish the run once the link is back —
// with server2's step run exactly once (the retry carries the same op id).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunEvent, RunView } from '../../shared/domain/run.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, isCommand, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { awaitRestartedAgent, changeNode, signalAgent } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { canMakeNetns, createNetns, type TestNetns } from '../support/netns.js';
import { waitFor } from '../support/processes.js';

const CUT_NODE = 'server2';
// server2's last step before the barrier runs this long on the node, so the link goes down mid-call.
const SLOW_STEP_MS = 9_000;
const REPORT_WITHIN_MS = 5_000;
const HELD_DOWN_MS = 8_000;

const enabled = canMakeNetns();
let lab: TestLab | undefined;
let netns: TestNetns | undefined;
let coordinator: CoordinatorProcess | undefined;
let facts: LabRunbookFacts;
const events: RunEvent[] = [];
const watching = new AbortController();

beforeAll(async () => {
  if (!enabled) return;
  lab = await startLab({ nodes: 3 });
  netns = await createNetns();
  facts = labRunbookFacts(lab.dir);
  const port = (facts.nodes.find((node) => node.name === CUT_NODE)?.address ?? '').split(':').pop() as string;
  const address = `${netns.address}:${port}`;
  // Move server2's agent into the namespace: the supervisor restarts it with the new node.json.
  await changeNode(lab.dir, CUT_NODE, (node) => ({ ...node, listen: address, netns: (netns as TestNetns).name }));
  await awaitRestartedAgent(lab.dir, CUT_NODE, address, signalAgent(lab.dir, CUT_NODE, 'SIGTERM'));
  facts.nodes = facts.nodes.map((node) => (node.name === CUT_NODE ? { ...node, address } : node));
  coordinator = await CoordinatorProcess.start(lab.dir);
}, 120_000);

afterAll(async () => {
  watching.abort();
  await coordinator?.stop();
  await lab?.down();
  await netns?.remove();
});

const eventsOf = (type: string): RunEvent[] => events.filter((event) => event.type === type && event.node === CUT_NODE);

async function runState(runId: string): Promise<RunView> {
  return (coordinator as CoordinatorProcess).client.getRun(runId);
}

describe.skipIf(!enabled)('a node cut off (network namespace link down) at a barrier', () => {
  it('is reported unreachable within 5 s, holds the barrier while down, and the run completes when the link is back', async () => {
    const { dir } = lab as TestLab;
    const link = netns as TestNetns;
    const client = (coordinator as CoordinatorProcess).client;
    await changeNode(dir, CUT_NODE, (node) => ({
      ...node,
      faults: [{ match: ['chkconfig', '--del', 'clusterpro_webmgr'], mode: 'slow', when: 'before', delayMs: SLOW_STEP_MS, exitCode: 1, stderr: '', times: 1 }],
    }));
    const since = nowMs();
    const runbook = writeCustomRunbook(dir, 'partition', facts.nodes, [
      { id: 'disable', kind: 'service.disable', timeout: '90s', with: { services: ['clusterpro_webmgr'] } },
      { id: 'disabled', kind: 'barrier' },
      { id: 'enable', kind: 'service.enable', timeout: '90s', with: { services: ['clusterpro_webmgr'] } },
    ]);
    const applied = await lockstepCli(['--coordinator', (coordinator as CoordinatorProcess).address, 'apply', runbook]);
    expect(applied.code, applied.stderr).toBe(0);
    const runId = applied.stdout.trim().split('\n').pop() as string;
    const watched = client.watch(runId, 0, (event) => events.push(event), { signal: watching.signal });

    // At the barrier: every other node has finished, server2 is still in its step.
    await waitFor('server2 to be the last one before the barrier', async () => {
      const steps = (await runState(runId)).steps.filter((step) => step.id === 'disable');
      return steps.every((step) => (step.node === CUT_NODE ? step.state === 'dispatched' : step.state === 'succeeded')) ? true : undefined;
    }, 30_000);
    // The call has been in flight for seconds with keepalive pings: the agent accepts them.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(eventsOf('node.unreachable')).toEqual([]);

    const cutAt = Date.now();
    await link.linkDown();
    const reported = await waitFor('node.unreachable for server2', () => eventsOf('node.unreachable')[0], 15_000, 20);
    const timeToUnreachable = reported.atMs - cutAt;
    console.log(`partition: ${CUT_NODE} reported unreachable ${timeToUnreachable} ms after its link went down: ${reported.message}`);
    expect(timeToUnreachable).toBeLessThanOrEqual(REPORT_WITHIN_MS);

    // Held down: the run stays at the barrier, whatever server2 finished meanwhile.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, cutAt + HELD_DOWN_MS - Date.now())));
    const held = await runState(runId);
    expect(held.steps.find((step) => step.id === 'disable' && step.node === CUT_NODE)?.state).toBe('dispatched');
    expect(held.steps.filter((step) => step.id === 'enable').map((step) => step.state)).toEqual(['pending', 'pending', 'pending']);
    expect(events.filter((event) => event.type === 'barrier.passed')).toEqual([]);
    expect(historySince(dir, since).filter((entry) => isCommand(entry, 'chkconfig', '--add'))).toEqual([]);

    const upAt = Date.now();
    await link.linkUp();
    const finished = await waitFor('the run to finish', async () => {
      const run = await runState(runId);
      return ['succeeded', 'failed', 'blocked', 'cancelled'].includes(run.state) ? run : undefined;
    }, 60_000, 100);
    console.log(`partition: link back up; run ${finished.state} ${Date.now() - upAt} ms later`);
    expect(finished.state).toBe('succeeded');
    expect(eventsOf('node.reachable').some((event) => event.atMs >= upAt)).toBe(true);
    expect(eventsOf('node.unreachable')).toHaveLength(1);

    const history = historySince(dir, since);
    const disables = history.filter((entry) => entry.node === CUT_NODE && isCommand(entry, 'chkconfig', '--del', 'clusterpro_webmgr'));
    expect(disables).toHaveLength(1);
    const lastDisable = Math.max(...history.filter((entry) => isCommand(entry, 'chkconfig', '--del')).map((entry) => entry.t));
    const enables = history.filter((entry) => isCommand(entry, 'chkconfig', '--add'));
    expect(enables.map((entry) => entry.node).sort()).toEqual(['server1', 'server2', 'server3']);
    expect(enables.every((entry) => entry.t > lastDisable && entry.t >= upAt)).toBe(true);
    watching.abort();
    await watched;
  }, 150_000);
});
