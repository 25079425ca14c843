// SPEC §8, §12 on a whole lab with the real coordinator process: every client but the
// coordinator is refused by the lab's agents before anything runs; an agent that presents
// another node's certificate stops `plan` and `apply`; package paths that climb or link out
// of the package directory are refused with the field named; shell metacharacters in any
// name are refused when the runbook is validated. Each case ends with history.jsonl showing
// that nothing ran.
import { copyFileSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, status, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLUSTERPRO_2X_SERVICES } from '../../shared/domain/clusterpro.js';
import { readHistory, type HistoryEntry } from '../../lab/state/lab-state.js';
import { agentChannelOptions } from '../../shared/tls.js';
import { pb } from '../../shared/wire/agent-wire.js';
import { makePki } from '../support/agent-harness.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { historySince, isCommand, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { awaitRestartedAgent, labAgentClient, signalAgent } from '../support/lab-agents.js';
import { lockstepCli, startLab, type TestLab } from '../support/lab-harness.js';
import { makeTempDir } from '../support/temp-dir.js';

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;
let foreign: ReturnType<typeof makeTempDir>;

const pkiFile = (...parts: string[]): string => join(lab.dir, 'pki', ...parts);
const addressOf = (node: string): string => facts.nodes.find((candidate) => candidate.name === node)?.address ?? '';
const upgrades = (since: number): string[] => historySince(lab.dir, since).filter((entry) => isCommand(entry, 'rpm', '-U')).map((entry) => entry.node);

beforeAll(async () => {
  lab = await startLab({ nodes: 2 });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
  foreign = makeTempDir('lockstep-foreign-ca-');
}, 120_000);

afterAll(async () => {
  await coordinator?.stop();
  await lab?.down();
  foreign?.remove();
});

/** An ApplyPackage(UPGRADE) of the real target, straight through the generated client. */
function upgradeWith(channel: ChannelCredentials, node = 'server1'): Promise<ServiceError | undefined> {
  const client = new pb.AgentClient(addressOf(node), channel, agentChannelOptions(node));
  const request: pb.ApplyPackageRequest = {
    op: { opId: `intruder-${nowMs()}`, runId: 'intruder', epoch: 1_000_000, plannedDowntime: false },
    action: pb.PackageAction.PACKAGE_ACTION_UPGRADE,
    path: facts.targetPackage,
    name: '',
    testOnly: false,
    force: false,
    expectedSha256: '',
  };
  return new Promise((resolve) => {
    client.applyPackage(request, new Metadata(), { deadline: new Date(Date.now() + 5_000) }, (error) => {
      client.close();
      resolve(error ?? undefined);
    });
  });
}

const pem = (path: string): Buffer => readFileSync(path);

describe('the lab agents serve the coordinator and nobody else', () => {
  it('refuses a plaintext client, a client without a certificate, a foreign CA and an agent certificate; nothing runs', async () => {
    const since = nowMs();
    const other = await makePki(foreign.dir, ['server1']);
    const labCa = pem(pkiFile('ca.pem'));
    const intruders: Record<string, ChannelCredentials> = {
      plaintext: credentials.createInsecure(),
      'TLS without a client certificate': credentials.createSsl(labCa),
      'a coordinator certificate from a foreign CA': credentials.createSsl(labCa, pem(other.coordinator.key), pem(other.coordinator.cert)),
      "server2's agent certificate used as a client": credentials.createSsl(labCa, pem(pkiFile('agents', 'server2.key')), pem(pkiFile('agents', 'server2.pem'))),
    };
    for (const [who, channel] of Object.entries(intruders)) {
      const refused = await upgradeWith(channel);
      expect(refused, who).toBeDefined();
      expect([status.UNAVAILABLE, status.UNAUTHENTICATED, status.PERMISSION_DENIED], `${who}: ${refused?.details}`).toContain(refused?.code);
    }
    // The same request with the coordinator's certificate is served: the refusals were about who asked.
    const coordinatorChannel = credentials.createSsl(labCa, pem(pkiFile('coordinator.key')), pem(pkiFile('coordinator.pem')));
    const served = await upgradeWith(coordinatorChannel);
    expect(served?.details).toBeUndefined();
    expect(upgrades(since)).toEqual(['server1']);
    expect(coordinator.alive()).toBe(true);
  });
});

describe('package paths that leave the package directory', () => {
  it('refuses a climbing path in a runbook at validation (exit 2, naming the field)', async () => {
    const since = nowMs();
    const packages = join(lab.dir, 'packages');
    const runbook = writeCustomRunbook(lab.dir, 'traversal', facts.nodes, [{ id: 'upgrade', kind: 'package.upgrade', with: { package: `${packages}/../../etc/x.rpm` } }]);
    const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', runbook]);
    expect(applied.code, applied.stdout).toBe(2);
    expect(applied.stderr).toMatch(/steps\[0\]\.with\.package.*normalised/);
    expect(upgrades(since)).toEqual([]);
  });

  it('refuses a climbing path sent straight to an agent: INVALID_ARGUMENT naming path', async () => {
    const since = nowMs();
    const client = await labAgentClient(lab.dir, 'server1', addressOf('server1'));
    try {
      const refusal = await client.applyPackage({ opId: `climb-${since}`, runId: 'climb', epoch: 1_000_000 }, { action: 'upgrade', path: `${join(lab.dir, 'packages')}/../../etc/x.rpm` }).catch((error: unknown) => error);
      expect(refusal).toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'path' });
    } finally {
      client.close();
    }
    expect(upgrades(since)).toEqual([]);
  });

  it('refuses symlinks in LAB/packages that point outside (a file and a directory): the plan is refused naming the link, no rpm -U', async () => {
    const since = nowMs();
    const outside = join(foreign.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    // The real update under another name: only where it lives is wrong.
    copyFileSync(facts.targetPackage, join(outside, 'evil.rpm'));
    const fileLink = join(lab.dir, 'packages', 'linked-evil.rpm');
    const dirLink = join(lab.dir, 'packages', 'linked-dir');
    symlinkSync(join(outside, 'evil.rpm'), fileLink);
    symlinkSync(outside, dirLink);
    for (const path of [fileLink, join(dirLink, 'evil.rpm')]) {
      const runbook = writeCustomRunbook(lab.dir, 'symlink', facts.nodes, [{ id: 'upgrade', kind: 'package.upgrade', on: { node: 'server2' }, timeout: '10s', with: { package: path } }]);
      // The preflight reads every package file to pin its digest: the link is refused there.
      const applied = await lockstepCli(['--coordinator', coordinator.address, 'apply', '--wait', runbook]);
      expect(applied.code, applied.stderr).toBe(2);
      expect(applied.stderr).toMatch(/\[package-missing\] server2: .* cannot be read on this node \(path: .* is a symbolic link/);
    }
    expect(upgrades(since)).toEqual([]);
  }, 60_000);
});

describe('shell metacharacters in names', () => {
  const payloads = ['x; reboot', 'x|sh', 'x&&id', '$(reboot)', '`id`', 'x>/etc/passwd', 'x<y', 'a b', "x'y", 'x"y', 'x\\y', 'x\nreboot', '*', '../x', '-rf'];
  // Every name a runbook passes to a node, in the step kind that carries it.
  const carriers: Array<[field: string, step: (bad: string) => Record<string, unknown>]> = [
    ['steps[0].with.services[1]', (bad) => ({ id: 's', kind: 'service.stop', with: { services: [CLUSTERPRO_2X_SERVICES[0], bad] } })],
    ['steps[0].with.group', (bad) => ({ id: 's', kind: 'group.move', with: { group: bad } })],
    ['steps[0].with.mirror', (bad) => ({ id: 's', kind: 'mirror.recover', with: { mirror: bad } })],
    ['steps[0].with.hook', (bad) => ({ id: 's', kind: 'hook.run', with: { hook: bad } })],
    ['steps[0].with.name', (bad) => ({ id: 's', kind: 'package.remove', with: { name: bad } })],
    ['steps[0].with.name', (bad) => ({ id: 's', kind: 'verify.package-version', with: { name: bad, version: '2.1.3-1' } })],
    ['steps[0].with.to', (bad) => ({ id: 's', kind: 'group.move', with: { group: 'failover1', to: bad } })],
  ];

  it('refuses every one at validation: exit 2 naming the field, no run created, nothing run', async () => {
    const since = nowMs();
    const runsBefore = (await coordinator.client.listRuns(0)).length;
    for (const [field, step] of carriers) {
      // The CLI once per field (its exit code and message), the API for every payload.
      const runbook = writeCustomRunbook(lab.dir, 'metacharacters', facts.nodes, [step(payloads[0] as string)]);
      const result = await lockstepCli(['--coordinator', coordinator.address, 'apply', runbook]);
      expect(result.code, `apply ${field}: ${result.stdout}${result.stderr}`).toBe(2);
      expect(result.stderr).toContain(field);
      for (const bad of payloads) {
        const yaml = readFileSync(writeCustomRunbook(lab.dir, 'metacharacters', facts.nodes, [step(bad)]), 'utf8');
        for (const dryRun of [true, false]) {
          const refusal = await coordinator.client.submit({ runbookYaml: yaml, runbookPath: runbook, dryRun, autoApprove: true, requestedBy: 'mallory' }).catch((error: unknown) => error);
          expect(refusal, `${field} = ${JSON.stringify(bad)}`).toMatchObject({ code: 'LOCKSTEP_E_CONFIG', message: expect.stringContaining(field) });
        }
      }
    }
    expect((await coordinator.client.listRuns(0)).length).toBe(runsBefore);
    expect(historySince(lab.dir, since)).toEqual([]);
    expect(coordinator.alive()).toBe(true);
  }, 60_000);
});

// Last: it restarts server2's agent with server1's certificate.
describe("an agent presenting another node's certificate", () => {
  it('stops plan and apply with a message naming the node and the mismatch; nothing runs', async () => {
    for (const suffix of ['pem', 'key']) copyFileSync(pkiFile('agents', `server1.${suffix}`), pkiFile('agents', `server2.${suffix}`));
    // server2's agent comes back with server1's identity; the lab's own check of it must fail.
    const oldPid = signalAgent(lab.dir, 'server2', 'SIGTERM');
    await expect(awaitRestartedAgent(lab.dir, 'server2', addressOf('server2'), oldPid, 8_000)).rejects.toThrow(/server2/);
    const since = nowMs();
    const historyBefore = readHistory(lab.dir).length;
    const runbook = writeCustomRunbook(lab.dir, 'impostor', facts.nodes, [{ id: 'upgrade', kind: 'package.upgrade', with: { package: facts.targetPackage } }]);
    for (const command of [['plan', runbook], ['apply', '--yes', runbook]]) {
      const result = await lockstepCli(['--coordinator', coordinator.address, ...command]);
      expect(result.code, `${command[0]}: ${result.stdout}${result.stderr}`).toBe(3);
      expect(result.stderr).toMatch(/server2/);
      expect(result.stderr).toMatch(/does not match certificate's altnames/);
    }
    expect(upgrades(since)).toEqual([]);
    // Reads only: server1 answers the preflight's queries (rpm -qp reads the package file to pin its digest).
    const readOnly = (entry: HistoryEntry): boolean => isCommand(entry, 'rpm', '-q') || isCommand(entry, 'rpm', '-qp');
    expect(readHistory(lab.dir).slice(historyBefore).filter((entry) => entry.node === 'server1' || entry.node === 'server2').filter((entry) => !readOnly(entry))).toEqual([]);
  }, 60_000);
});
