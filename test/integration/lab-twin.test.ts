// Issue 17: a twin of the real cluster. A 3-node lab with Replicator stands in for production;
// `lockstep plan --save-facts` keeps what its preflight read, and `lockstep lab up --like`
// (through the agents) or `--from-facts` (from that file) builds a second lab with the same
// servers, groups, mirrors and versions, whose runbook — the original pointed at the twin —
// applies. Real processes throughout: the CLI, a coordinator, one agent per node.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFactsFile, type FactsFile } from '../../shared/facts-file.js';
import { readClusterState, type ClusterState } from '../../lab/state/lab-state.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { freePortBase, lockstepCli } from '../support/lab-harness.js';
import { makeTempDir } from '../support/temp-dir.js';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

const temp = makeTempDir('lockstep-twin-');
const production = join(temp.dir, 'production');
const labs: string[] = [];
let coordinator: CoordinatorProcess;

beforeAll(async () => {
  await labUp(production, ['--nodes', '3', '--replicator']);
  // Every lab of this test lives under temp.dir: the coordinator's one credentials directory.
  coordinator = await CoordinatorProcess.start(temp.dir);
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  for (const dir of labs) await lockstepCli(['lab', 'down', '--dir', dir]);
  temp.remove();
});

async function labUp(dir: string, args: string[]): Promise<string> {
  const result = await lockstepCli(['--coordinator', coordinator?.address ?? 'unix:/nonexistent', 'lab', 'up', '--dir', dir, '--detach', '--port-base', String(await freePortBase(3)), ...args]);
  expect(result.code, `lab up ${args.join(' ')}: ${result.stderr}`).toBe(0);
  labs.push(dir);
  return result.stdout;
}

async function cli(...args: string[]): Promise<string> {
  const result = await lockstepCli(['--coordinator', coordinator.address, ...args]);
  expect(result.code, `lockstep ${args.join(' ')}: ${result.stderr}`).toBe(0);
  return result.stdout;
}

async function saveFacts(runbook: string, file: string): Promise<FactsFile> {
  const out = await cli('plan', runbook, '--save-facts', file);
  expect(out).toContain(`facts saved to ${file}`);
  return parseFactsFile(await readFile(file, 'utf8'), file);
}

/** What a twin copies of cluster.json: servers, where each group runs (and starts), its mirrors, the mirrors' colours. */
function shapeOf(cluster: ClusterState): object {
  return {
    servers: cluster.servers,
    groups: Object.fromEntries(Object.entries(cluster.groups).map(([name, group]) => [name, { current: group.current, home: group.home, state: group.state, mirrors: group.mirrors, firstServer: group.servers[0] }])),
    mirrors: cluster.mirrors,
  };
}

function versions(facts: FactsFile): Record<string, string> {
  return Object.fromEntries(facts.nodes.map((node) => [node.name, `${node.installed?.version}-${node.installed?.release}`]));
}

describe('lockstep lab up --like (issue 17)', () => {
  it('saves the preflight facts of the production lab, schema-checked', async () => {
    const facts = await saveFacts(join(production, 'runbook.yaml'), join(temp.dir, 'facts.json'));
    expect(facts.nodes.map((node) => node.name)).toEqual(['server1', 'server2', 'server3']);
    expect(versions(facts)).toEqual({ server1: '2.0.0-1', server2: '2.0.0-1', server3: '2.0.0-1' });
    expect(facts.cluster?.groups.map((group) => [group.name, group.current])).toEqual([
      ['failover1', 'server1'],
      ['failover2', 'server2'],
    ]);
    expect(facts.mirrors.map((mirror) => mirror.name)).toEqual(['md1', 'md2']);
    expect(facts.nodes[0]?.services.map((service) => service.name)).toContain('clusterpro_md');
    expect(facts.nodes[0]?.packageFile).toMatchObject({ version: '2.1.3', release: '1' });
  }, 60_000);

  it("builds a twin through the agents whose cluster matches and whose runbook (the original's, pointed at the twin) applies", async () => {
    const twin = join(temp.dir, 'twin');
    await labUp(twin, ['--like', join(production, 'runbook.yaml')]);
    expect(shapeOf(readClusterState(twin))).toEqual(shapeOf(readClusterState(production)));
    const original = parse(await readFile(join(production, 'runbook.yaml'), 'utf8')) as Record<string, unknown>;
    const copy = parse(await readFile(join(twin, 'runbook.yaml'), 'utf8')) as Record<string, unknown> & { params: { package: string; order: string[] } };
    expect(copy.procedure).toBe(original.procedure);
    expect(copy.params.order).toEqual((original.params as { order: string[] }).order);
    expect(copy.params.package.startsWith(join(twin, 'packages'))).toBe(true);
    const twinFacts = await saveFacts(join(twin, 'runbook.yaml'), join(temp.dir, 'twin-facts.json'));
    expect(versions(twinFacts)).toEqual({ server1: '2.0.0-1', server2: '2.0.0-1', server3: '2.0.0-1' });
    // Exit 0 only when the run succeeded (SPEC §7).
    await cli('apply', join(twin, 'runbook.yaml'), '--yes', '--wait');
    // Every twin node now runs the target, as its preflight says: the plan is refused, nothing left to update.
    const after = await lockstepCli(['--coordinator', coordinator.address, 'plan', join(twin, 'runbook.yaml')]);
    expect(after.code).toBe(2);
    for (const node of ['server1', 'server2', 'server3']) expect(after.stderr).toContain(`[already-at-target] ${node}: clusterpro-2.1.3-1`);
    // The production lab was only read.
    expect(versions(await saveFacts(join(production, 'runbook.yaml'), join(temp.dir, 'facts-again.json')))).toEqual(versions(twinFacts));
  }, 180_000);

  it('builds the same twin from a saved facts file, without asking any agent', async () => {
    const twin = join(temp.dir, 'from-facts');
    // A coordinator that does not exist: the facts file is all it needs.
    const result = await lockstepCli(['--coordinator', 'unix:/nonexistent/coordinator.sock', 'lab', 'up', '--dir', twin, '--from-facts', join(temp.dir, 'facts.json'), '--like', join(production, 'runbook.yaml'), '--port-base', String(await freePortBase(3)), '--detach']);
    expect(result.code, result.stderr).toBe(0);
    labs.push(twin);
    expect(shapeOf(readClusterState(twin))).toEqual(shapeOf(readClusterState(production)));
    const copy = parse(await readFile(join(twin, 'runbook.yaml'), 'utf8')) as { nodes: Array<{ name: string }> };
    expect(copy.nodes.map((node) => node.name)).toEqual(['server1', 'server2', 'server3']);
  }, 60_000);

  it('refuses a bad facts file with exit 2, naming the field', async () => {
    const facts = JSON.parse(await readFile(join(temp.dir, 'facts.json'), 'utf8')) as FactsFile;
    const bad = join(temp.dir, 'bad-facts.json');
    writeFileSync(bad, JSON.stringify({ ...facts, nodes: [{ ...facts.nodes[0], name: '../etc' }, ...facts.nodes.slice(1)] }));
    const result = await lockstepCli(['lab', 'up', '--dir', join(temp.dir, 'bad'), '--from-facts', bad]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('nodes[0].name');
    writeFileSync(bad, JSON.stringify({ ...facts, version: 99 }));
    const newer = await lockstepCli(['lab', 'up', '--dir', join(temp.dir, 'bad'), '--from-facts', bad]);
    expect(newer.code).toBe(2);
    expect(newer.stderr).toContain('version');
    // A twin takes its shape from the cluster: a flag that would set it is refused, not ignored.
    const shaped = await lockstepCli(['lab', 'up', '--dir', join(temp.dir, 'bad'), '--from-facts', join(temp.dir, 'facts.json'), '--nodes', '5']);
    expect(shaped.code).toBe(2);
    expect(shaped.stderr).toContain('--nodes: a twin (--like, --from-facts) takes it from the cluster');
  }, 30_000);

  it('rehearses the runbook on a twin with faults on a fixed seed: the report lists each fault and the run\'s reaction', async () => {
    // --from-facts: nothing of production is touched; the rehearsal builds and removes its own twin.
    const faults = 'kill-agent:server1@upgrade,fail-once:server2=rpm -U,slow-mirror:2,kill-agent';
    const result = await lockstepCli(['rehearse', join(production, 'runbook.yaml'), '--from-facts', join(temp.dir, 'facts.json'), '--faults', faults, '--seed', '7'], { timeoutMs: 150_000 });
    expect(result.code, `${result.stdout}${result.stderr}`).toBe(0);
    const report = result.stdout;
    expect(report).toContain('; seed 7');
    // One retry for the failed rpm -U; one more for each kill that lands while an operation runs (its effect unknown: the run blocks).
    expect(report).toMatch(/run \S+ \(clusterpro\/rolling-update\) on the twin: succeeded after [123] retr(?:y|ies) by the rehearsal/);
    // The killed agent: the coordinator lost it mid-step, found it again, and the step succeeded with the same op.
    expect(report).toMatch(/- kill-agent: SIGKILL server1's agent when upgrade is dispatched to it \(at [^)]+\)\n {6}SIGKILL to server1's agent \(pid \d+\)/);
    expect(report).toMatch(/→ node\.unreachable upgrade on server1[^\n]*\n(?: {6}→ [^\n]*\n)*? {6}→ step\.succeeded upgrade on server1/);
    // The command failing once: the run blocked, the rehearsal retried as an operator would, attempt 2 succeeded.
    expect(report).toMatch(/- fail-once: "rpm -U" fails once on server2/);
    expect(report).toMatch(/→ step\.failed upgrade on server2: [^\n]*rehearsal: injected failure of rpm -U/);
    expect(report).toMatch(/→ run\.blocked upgrade on server2[^\n]*\n {6}→ run\.retry[^\n]*\n(?: {6}→ [^\n]*\n)*? {6}→ step\.succeeded upgrade on server2/);
    expect(report).toContain('- slow-mirror: every mirror resyncs 2 times slower');
    expect(report).toContain('mirror resync rate now 50 MB/s');
    // The fourth fault was drawn by seed 7: the same draw every time, and it was injected.
    const drawn = /- kill-agent: SIGKILL (server\d)'s agent when (\S+) is dispatched to it \(at /g;
    expect([...report.matchAll(drawn)]).toHaveLength(2);
    expect(report).toMatch(/duration per stage:\n {2}disable-services@server3 +\d+\.\d s/);
    expect(report).toContain('availability: held');
    expect(report.trim().split('\n').at(-1)).toBe('rehearsal passed');
  }, 150_000);

  it('rehearses a power loss: the node is powered off at its step, back after the hold, and the report says what the run did meanwhile', async () => {
    const result = await lockstepCli(['rehearse', join(production, 'runbook.yaml'), '--from-facts', join(temp.dir, 'facts.json'), '--faults', 'power-off:server3@disable-services=3', '--seed', '1'], { timeoutMs: 150_000 });
    const report = result.stdout;
    expect(result.code, `${report}${result.stderr}`).toBe(0);
    expect(report).toMatch(/- power-off: server3 loses power when disable-services is dispatched, for 3 s \(at [^)]+\)\n {6}server3 powered off; its agent stops/);
    // The reaction: the coordinator loses server3 (unless the step finished first), keeps the op, and the step succeeds once it is back.
    // A power loss while the step ran leaves its effect unknown: the run blocks, the rehearsal powers it on and retries.
    expect(report, report).toMatch(/server3 powered off[^\n]*\n(?: {6}→ [^\n]*\n)*? {6}→ step\.succeeded \S+ on server3/);
    expect(report, report).toContain('availability: held');
  }, 150_000);

  it('refuses a fault spec that does not fit the plan with exit 2, before the run starts', async () => {
    const result = await lockstepCli(['rehearse', join(production, 'runbook.yaml'), '--from-facts', join(temp.dir, 'facts.json'), '--faults', 'kill-agent:server9@upgrade']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--faults: kill-agent:server9@upgrade: "server9" is not a node of the runbook');
    expect(result.stdout).not.toContain('» run ');
  }, 60_000);
});

