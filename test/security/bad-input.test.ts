// SPEC §3.3, §12: malformed requests, at the wire level, to a lab's agent (through the
// generated client, so that nothing in our own client can tidy them up) and to the real
// coordinator process. Each is refused with the status that says why and the field named;
// nothing hangs (every call has a deadline, and must be answered well before it); the
// processes keep answering; and nothing runs on any node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../lab/state/lab-state.js';
import { agentChannelOptions } from '../../shared/tls.js';
import type { AgentClient } from '../../shared/wire/agent-client.js';
import { pb } from '../../shared/wire/agent-wire.js';
import type { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { CoordinatorProcess } from '../support/coordinator-process.js';
import { isCommand, labRunbookFacts, nowMs, writeCustomRunbook, type LabRunbookFacts } from '../support/custom-runbook.js';
import { labAgentClient } from '../support/lab-agents.js';
import { startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

const MiB = 1024 * 1024;
// A refusal must come back long before this: a slower answer is a hang.
const ANSWER_WITHIN_MS = 5_000;

let lab: TestLab;
let coordinator: CoordinatorProcess;
let facts: LabRunbookFacts;
let raw: pb.AgentClient;
let agent: AgentClient;

beforeAll(async () => {
  lab = await startLab({ nodes: 2 });
  facts = labRunbookFacts(lab.dir);
  coordinator = await CoordinatorProcess.start(lab.dir);
  const address = facts.nodes[0]?.address as string;
  const pki = (name: string): Buffer => readFileSync(join(lab.dir, 'pki', name));
  raw = new pb.AgentClient(address, credentials.createSsl(pki('ca.pem'), pki('coordinator.key'), pki('coordinator.pem')), {
    ...agentChannelOptions('server1'),
    'grpc.max_send_message_length': 4 * MiB,
  });
  agent = await labAgentClient(lab.dir, 'server1', address);
}, 120_000);

afterAll(async () => {
  raw?.close();
  agent?.close();
  await coordinator?.stop();
  await lab?.down();
});

type Unary<Req> = (request: Req, metadata: Metadata, options: { deadline: Date }, callback: (error: ServiceError | null) => void) => unknown;

/** Sends one request as it is; resolves with the refusal (undefined when it was served). */
function send<Req>(method: Unary<Req>, request: Req): Promise<ServiceError | undefined> {
  return new Promise((resolve) => {
    method.call(raw, request, new Metadata(), { deadline: new Date(Date.now() + ANSWER_WITHIN_MS) }, (error) => resolve(error ?? undefined));
  });
}

const op = (overrides: Partial<pb.OpContext> = {}): pb.OpContext => pb.OpContext.fromPartial({ opId: `bad-input-${nowMs()}`, runId: 'bad-input', epoch: 5, ...overrides });
const upgrade = (overrides: Partial<pb.ApplyPackageRequest>): pb.ApplyPackageRequest => ({
  op: op(),
  action: pb.PackageAction.PACKAGE_ACTION_UPGRADE,
  path: facts.targetPackage,
  name: '',
  testOnly: false,
  force: false,
  expectedSha256: '',
  ...overrides,
});

interface Case {
  what: string;
  call: () => Promise<ServiceError | undefined>;
  code: status;
  /** The field the message must name. */
  field: RegExp;
}

function agentCases(): Case[] {
  const huge = 'a'.repeat(MiB - 4096);
  const apply = (request: pb.ApplyPackageRequest) => () => send(raw.applyPackage, request);
  const INVALID = status.INVALID_ARGUMENT;
  return [
    { what: 'ApplyPackage without op', call: apply(upgrade({ op: undefined })), code: INVALID, field: /\bop\b/ },
    { what: 'ApplyPackage with an empty op_id', call: apply(upgrade({ op: op({ opId: '' }) })), code: INVALID, field: /op\.op_id/ },
    { what: 'ApplyPackage with a 1 MiB op_id', call: apply(upgrade({ op: op({ opId: huge }) })), code: INVALID, field: /op\.op_id/ },
    { what: 'ApplyPackage with epoch 0', call: apply(upgrade({ op: op({ epoch: 0 }) })), code: INVALID, field: /op\.epoch/ },
    { what: 'ApplyPackage without a path', call: apply(upgrade({ path: '' })), code: INVALID, field: /\bpath\b/ },
    { what: 'ApplyPackage with a 1 MiB path', call: apply(upgrade({ path: `/${huge}.rpm` })), code: INVALID, field: /\bpath\b/ },
    { what: 'ApplyPackage with a relative path', call: apply(upgrade({ path: 'clusterpro.rpm' })), code: INVALID, field: /\bpath\b/ },
    { what: 'ApplyPackage with an unknown action', call: apply(upgrade({ action: 99 as pb.PackageAction })), code: INVALID, field: /\baction\b/ },
    { what: 'ApplyPackage with action UNSPECIFIED', call: apply(upgrade({ action: 0 as pb.PackageAction })), code: INVALID, field: /\baction\b/ },
    { what: 'ApplyPackage REMOVE with a metacharacter name', call: apply(upgrade({ action: pb.PackageAction.PACKAGE_ACTION_REMOVE, path: '', name: 'clusterpro;reboot' })), code: INVALID, field: /\bname\b/ },
    { what: 'QueryPackage with a 1 MiB name', call: () => send(raw.queryPackage, { name: huge }), code: INVALID, field: /\bname\b/ },
    { what: 'QueryPackage with an empty name', call: () => send(raw.queryPackage, { name: '' }), code: INVALID, field: /\bname\b/ },
    { what: 'InspectPackageFile with a path outside', call: () => send(raw.inspectPackageFile, { path: '/etc/passwd.rpm' }), code: INVALID, field: /\bpath\b/ },
    {
      what: 'ControlService with an unknown action',
      call: () => send(raw.controlService, { op: op(), name: 'clusterpro', action: 42 as pb.ServiceAction }),
      code: INVALID,
      field: /\baction\b/,
    },
    {
      what: 'ControlService with a path as the name',
      call: () => send(raw.controlService, { op: op(), name: '../../bin/sh', action: pb.ServiceAction.SERVICE_ACTION_STOP }),
      code: INVALID,
      field: /\bname\b/,
    },
    {
      what: 'ControlService STOP of a service off the allow-list',
      call: () => send(raw.controlService, { op: op(), name: 'sshd', action: pb.ServiceAction.SERVICE_ACTION_STOP }),
      code: INVALID,
      field: /\bname\b/,
    },
    {
      what: 'ClusterAction with an unknown kind',
      call: () => send(raw.clusterAction, pb.ClusterActionRequest.fromPartial({ op: op(), action: 77 as pb.ClusterActionKind })),
      code: INVALID,
      field: /\baction\b/,
    },
    {
      what: 'ClusterAction MOVE_GROUP without a group',
      call: () => send(raw.clusterAction, pb.ClusterActionRequest.fromPartial({ op: op(), action: pb.ClusterActionKind.CLUSTER_ACTION_KIND_MOVE_GROUP })),
      code: INVALID,
      field: /\bgroup\b/,
    },
    { what: 'RunHook with a path as the name', call: () => send(raw.runHook, { op: op(), name: '../../../bin/sh', args: [] }), code: INVALID, field: /\bname\b/ },
    { what: 'RunHook with a 1 MiB argument', call: () => send(raw.runHook, { op: op(), name: 'check', args: [huge] }), code: INVALID, field: /\bargs\b/ },
    { what: 'Reboot without op', call: () => send(raw.reboot, { op: undefined }), code: INVALID, field: /\bop\b/ },
    { what: 'GetOperation with an empty op_id', call: () => send(raw.getOperation, { opId: '' }), code: INVALID, field: /op_id/ },
    { what: 'GetOperation with a 1 MiB op_id', call: () => send(raw.getOperation, { opId: huge }), code: INVALID, field: /op_id/ },
  ];
}

function expectRefused(refusal: ServiceError | undefined, expected: Pick<Case, 'what' | 'code' | 'field'>): void {
  expect(refusal, `${expected.what} was served`).toBeDefined();
  expect(status[refusal?.code ?? 0], `${expected.what}: ${refusal?.details}`).toBe(status[expected.code]);
  expect(refusal?.details, expected.what).toMatch(expected.field);
}

describe('malformed requests to an agent', () => {
  it('are refused with the field named, each answered in time, nothing run, the agent still serving', async () => {
    const before = readHistory(lab.dir).length;
    for (const candidate of agentCases()) expectRefused(await candidate.call(), candidate);
    // All at once, too: a burst of bad requests is no way to tip it over.
    const burst = agentCases();
    const refusals = await Promise.all(burst.map((candidate) => candidate.call()));
    refusals.forEach((refusal, index) => expectRefused(refusal, burst[index] as Case));
    expect(readHistory(lab.dir).slice(before)).toEqual([]);
    expect((await agent.nodeInfo()).hostname).toBe('server1');
  });

  it('refuses what the generated decoder cannot read (an epoch beyond 2^53): grpc-js answers INTERNAL, nothing runs', async () => {
    const before = readHistory(lab.dir).length;
    const refusal = await send(raw.applyPackage, upgrade({ op: op({ epoch: 2 ** 60 }) }));
    // grpc-js itself answers a request that fails to deserialize, always with INTERNAL.
    expect(status[refusal?.code ?? 0]).toBe('INTERNAL');
    expect(refusal?.details).toMatch(/deserializing request/);
    expect(readHistory(lab.dir).slice(before)).toEqual([]);
    expect((await agent.nodeInfo()).hostname).toBe('server1');
  });

  it('refuses a message over the size limit as a whole, and keeps serving', async () => {
    const refusal = await send(raw.applyPackage, upgrade({ path: `/${'a'.repeat(2 * MiB)}.rpm` }));
    expect(status[refusal?.code ?? 0]).toBe('RESOURCE_EXHAUSTED');
    expect((await agent.nodeInfo()).hostname).toBe('server1');
  });

  it('refuses a stale epoch for a run with FAILED_PRECONDITION naming op.epoch, and runs nothing for it', async () => {
    const service = 'clusterpro_webmgr';
    const current = op({ runId: 'epoch-check', epoch: 7 });
    expect(await send(raw.controlService, { op: current, name: service, action: pb.ServiceAction.SERVICE_ACTION_DISABLE })).toBeUndefined();
    const before = readHistory(lab.dir).length;
    const stale = await send(raw.controlService, { op: op({ runId: 'epoch-check', epoch: 6 }), name: service, action: pb.ServiceAction.SERVICE_ACTION_ENABLE });
    expectRefused(stale, { what: 'a stale epoch', code: status.FAILED_PRECONDITION, field: /op\.epoch/ });
    // The same op id again at the current epoch is answered from the journal: nothing runs twice.
    expect(await send(raw.controlService, { op: current, name: service, action: pb.ServiceAction.SERVICE_ACTION_DISABLE })).toBeUndefined();
    expect(readHistory(lab.dir).slice(before)).toEqual([]);
  });
});

describe('malformed requests to the coordinator', () => {
  let client: CoordinatorClient;
  let runbookPath: string;
  beforeAll(() => {
    client = coordinator.client;
    runbookPath = join(lab.dir, 'bad.yaml');
  });

  async function refusal(call: Promise<unknown>): Promise<{ code?: string; message?: string; field?: string }> {
    const started = Date.now();
    const outcome = await call.then(
      () => ({}),
      (error: { code?: string; message?: string; field?: string }) => error,
    );
    expect(Date.now() - started).toBeLessThan(ANSWER_WITHIN_MS);
    return outcome;
  }

  const submit = (runbookYaml: string) => client.submit({ runbookYaml, runbookPath, dryRun: false, autoApprove: true, requestedBy: 'mallory' });

  it('refuses garbage, oversized and hostile runbooks naming what is wrong; no run, nothing run', async () => {
    const before = readHistory(lab.dir).length;
    const runsBefore = (await client.listRuns(0)).length;
    const aliases = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    const cases: Array<[what: string, yaml: string, message: RegExp]> = [
      ['unparseable YAML', '{{{: ::\n  - ]]]', /bad\.yaml/],
      ['a YAML list, not a map', '- 1\n- 2\n', /bad\.yaml/],
      ['an empty document', '', /bad\.yaml/],
      ['binary junk', '\u0000\u0001\u00ff\ufffe garbage \u0007', /bad\.yaml/],
      ['a billion-laughs alias bomb', aliases, /bad\.yaml/],
      ['3 MiB of YAML', `cluster: lab\nnodes: []\n# ${'x'.repeat(3 * MiB)}\n`, /bad\.yaml/],
      ['a runbook without tls', `cluster: lab\nnodes: [{name: server1, address: "${facts.nodes[0]?.address}"}]\nprocedure: custom\nsteps: [{id: q, kind: package.query, with: {name: clusterpro}}]\n`, /tls/],
      ['an unknown step kind', readFileSync(writeCustomRunbook(lab.dir, 'bad-kind', facts.nodes, [{ id: 'x', kind: 'shell.exec', with: { command: 'reboot' } }]), 'utf8'), /steps\[0\]\.kind/],
      ['an unknown procedure', `cluster: lab\nnodes: [{name: server1, address: "${facts.nodes[0]?.address}"}]\nprocedure: ../../etc/passwd\ntls: {ca: pki/ca.pem, cert: pki/coordinator.pem, key: pki/coordinator.key}\n`, /procedure/],
    ];
    for (const [what, yaml, message] of cases) {
      const refused = await refusal(submit(yaml));
      expect(refused.code, `${what}: ${refused.message}`).toMatch(/LOCKSTEP_E_(CONFIG|INVALID_ARGUMENT)/);
      expect(refused.message, what).toMatch(message);
    }
    expect((await client.listRuns(0)).length).toBe(runsBefore);
    expect(readHistory(lab.dir).slice(before)).toEqual([]);
    expect(coordinator.alive()).toBe(true);
  }, 60_000);

  it('answers unknown run ids with NOT_FOUND, and an approval of a non-gate with the field named; nothing run', async () => {
    for (const runId of ['run-does-not-exist', '', "'; DROP TABLE runs; --", 'x'.repeat(MiB - 4096)]) {
      const calls = [() => client.getRun(runId), () => client.approve(runId, 'gate', { operator: 'mallory', planHash: '' }), () => client.cancel(runId), () => client.retry(runId), () => client.pause(runId)];
      for (const call of calls) {
        const refused = await refusal(call());
        expect(refused.code, `${runId.slice(0, 40)}: ${refused.message}`).toMatch(/LOCKSTEP_E_(NOT_FOUND|INVALID_ARGUMENT)/);
      }
      await expect(client.watch(runId, 0, () => undefined)).rejects.toMatchObject({ code: expect.stringMatching(/LOCKSTEP_E_(NOT_FOUND|INVALID_ARGUMENT)/) });
    }
    const since = nowMs();
    const runbook = writeCustomRunbook(lab.dir, 'gated', facts.nodes, [
      { id: 'first', kind: 'gate', with: { message: 'go?' } },
      { id: 'stop', kind: 'service.stop', with: { services: ['clusterpro_evt'] } },
    ]);
    const { runId = '' } = await client.submit({ runbookYaml: readFileSync(runbook, 'utf8'), runbookPath: runbook, dryRun: false, autoApprove: false, requestedBy: 'test' });
    await waitFor('the gate', async () => ((await client.getRun(runId)).state === 'awaiting-approval' ? true : undefined));
    for (const gate of ['stop', 'no-such-gate', '']) {
      const refused = await refusal(client.approve(runId, gate, { operator: 'mallory', planHash: (await client.getRun(runId)).planHash }));
      expect(refused, gate).toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'gate' });
    }
    expect((await refusal(client.retry(runId))).code).toBe('LOCKSTEP_E_UNSUPPORTED');
    expect((await client.getRun(runId)).state).toBe('awaiting-approval');
    await client.cancel(runId);
    expect(readHistory(lab.dir).filter((entry) => entry.t >= since && !isCommand(entry, 'rpm', '-q'))).toEqual([]);
    expect(coordinator.alive()).toBe(true);
  }, 60_000);
});
