// The agent through its real gRPC API over mTLS: exactly-once operations, epochs, and the
// refusals of SPEC §3.3, each naming the field and running nothing.
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LockstepError } from '../../shared/errors.js';
import type { OpContext } from '../../shared/domain/operation.js';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { RecordingExecutor } from '../support/recording-executor.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let harness: TestAgent;
let executor: RecordingExecutor;
let packageDir: string;
let hooksDir: string;
let outside: string;
let opCounter = 0;

const op = (overrides: Partial<OpContext> = {}): OpContext => ({ opId: `run-a/step-${++opCounter}/server1/1`, runId: 'run-a', epoch: 2, ...overrides });

async function refusal(call: Promise<unknown>): Promise<{ code: string; grpc: string; message: string; field: string | undefined }> {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have been refused').toBeInstanceOf(LockstepError);
  const lockstep = error as LockstepError;
  return { code: lockstep.code, grpc: status[(lockstep.cause as ServiceError).code], message: lockstep.message, field: lockstep.field };
}

beforeAll(async () => {
  temp = makeTempDir();
  packageDir = join(temp.dir, 'packages');
  hooksDir = join(temp.dir, 'hooks');
  outside = join(temp.dir, 'outside');
  for (const dir of [packageDir, hooksDir, outside]) mkdirSync(dir);
  writeFileSync(join(outside, 'evil.rpm'), 'not a package');
  symlinkSync(join(outside, 'evil.rpm'), join(packageDir, 'link.rpm'));
  mkdirSync(join(packageDir, 'dir.rpm'));
  writeFileSync(join(packageDir, 'notes.txt'), '');
  // A hook that leaves a mark each time it really runs, slowly enough to overlap duplicates.
  writeFileSync(join(hooksDir, 'mark'), '#!/bin/sh\nsleep 0.3\necho "$1" >> "$2"\n');
  chmodSync(join(hooksDir, 'mark'), 0o755);
  writeFileSync(join(hooksDir, 'not-executable'), '#!/bin/sh\n');
  symlinkSync('/bin/true', join(hooksDir, 'escape'));
  const pki = await makePki(join(temp.dir, 'pki'));
  executor = new RecordingExecutor();
  harness = await startTestAgent({ root: temp.dir, pki, packageDirs: [packageDir], hooksDir, environment: { executor } });
});

afterAll(async () => {
  await harness?.stop();
  temp?.remove();
});

describe('GetNodeInfo', () => {
  it('reports the boot id the kernel reports, and the drivers in use', async () => {
    const info = await harness.client.nodeInfo();
    expect(info.bootId).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(info.drivers).toEqual([
      { role: 'package', name: 'rpm' },
      { role: 'service', name: 'sysv' },
      { role: 'cluster', name: 'clusterpro' },
    ]);
    expect(info.os).toBe('linux');
    expect(info.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('exactly-once operations (SPEC §3.2)', () => {
  it('the same op sent twice executes once, and the second answer comes from the journal', async () => {
    const marks = join(temp.dir, 'marks-sequential');
    const context = op();
    const first = await harness.client.runHook(context, 'mark', ['one', marks]);
    const second = await harness.client.runHook(context, 'mark', ['one', marks]);
    expect(first.state).toBe('SUCCEEDED');
    expect(second).toEqual(first);
    expect(readFileSync(marks, 'utf8')).toBe('one\n');
  });

  it('duplicates that arrive while the op runs wait for it and run nothing', async () => {
    const marks = join(temp.dir, 'marks-concurrent');
    const context = op();
    const answers = await Promise.all([1, 2, 3].map(() => harness.client.runHook(context, 'mark', ['x', marks])));
    expect(answers.map((answer) => answer.state)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(readFileSync(marks, 'utf8')).toBe('x\n');
  });

  it('GetOperation returns the journaled result, and UNKNOWN for an op never seen', async () => {
    const context = op();
    await harness.client.runHook(context, 'mark', ['y', join(temp.dir, 'marks-get')]);
    const stored = await harness.client.getOperation(context.opId);
    expect(stored.state).toBe('SUCCEEDED');
    expect(stored.kind).toBe('hook.run');
    expect(stored.result.commands[0]?.argv.slice(1)).toEqual(['y', join(temp.dir, 'marks-get')]);
    expect((await harness.client.getOperation('never-sent')).state).toBe('UNKNOWN');
  });

  it('a failing command is a FAILED operation with its exit code and output, not an RPC error', async () => {
    const operation = await harness.client.runHook(op(), 'mark', ['z', join(temp.dir, 'no-such-dir', 'file')]);
    expect(operation.state).toBe('FAILED');
    expect(operation.result.commands[0]?.exitCode).not.toBe(0);
    expect(operation.result.message).toMatch(/exited with/);
  });

  it('refuses a lower epoch than the highest seen for the run: FAILED_PRECONDITION, nothing run', async () => {
    await harness.client.runHook(op({ runId: 'run-epoch', epoch: 7 }), 'mark', ['e7', join(temp.dir, 'marks-epoch')]);
    const ran = executor.argvs.length;
    const refused = await refusal(harness.client.runHook(op({ runId: 'run-epoch', epoch: 6 }), 'mark', ['e6', join(temp.dir, 'marks-epoch')]));
    expect(refused).toMatchObject({ code: 'LOCKSTEP_E_STALE_EPOCH', grpc: 'FAILED_PRECONDITION', field: 'op.epoch' });
    expect(executor.argvs.length).toBe(ran);
    expect(readFileSync(join(temp.dir, 'marks-epoch'), 'utf8')).toBe('e7\n');
  });

  it('refuses an op_id reused for a different request', async () => {
    const context = op();
    await harness.client.runHook(context, 'mark', ['a', join(temp.dir, 'marks-conflict')]);
    const refused = await refusal(harness.client.runHook(context, 'mark', ['b', join(temp.dir, 'marks-conflict')]));
    expect(refused).toMatchObject({ code: 'LOCKSTEP_E_OP_CONFLICT', grpc: 'FAILED_PRECONDITION' });
  });
});

describe('refusals (SPEC §3.3): INVALID_ARGUMENT naming the field, nothing run, nothing journaled', () => {
  const cases: Array<[string, (context: OpContext) => Promise<unknown>, string, RegExp]> = [
    ['a relative package path', (c) => harness.client.applyPackage(c, { action: 'upgrade', path: 'clusterpro.rpm' }), 'path', /not absolute/],
    ['a path with ..', (c) => harness.client.applyPackage(c, { action: 'upgrade', path: `${packageDir}/../outside/evil.rpm` }), 'path', /not normalised/],
    ['a path outside the package directories', (c) => harness.client.applyPackage(c, { action: 'upgrade', path: join(outside, 'evil.rpm') }), 'path', /outside the package directories/],
    ['a symlink that escapes the package directory', (c) => harness.client.applyPackage(c, { action: 'upgrade', path: join(packageDir, 'link.rpm') }), 'path', /is a symbolic link; symbolic links are not followed/],
    ['a file not ending in .rpm', (c) => harness.client.applyPackage(c, { action: 'install', path: join(packageDir, 'notes.txt') }), 'path', /does not end in \.rpm/],
    ['a directory named like a package', (c) => harness.client.applyPackage(c, { action: 'install', path: join(packageDir, 'dir.rpm') }), 'path', /not a regular file/],
    ['a missing package file', (c) => harness.client.applyPackage(c, { action: 'install', path: join(packageDir, 'missing.rpm') }), 'path', /does not exist/],
    ['shell metacharacters in a package name', (c) => harness.client.applyPackage(c, { action: 'remove', name: 'clusterpro;reboot' }), 'name', /not a valid name/],
    ['--force on an upgrade', (c) => harness.client.applyPackage(c, { action: 'upgrade', path: join(packageDir, 'x.rpm'), force: true }), 'force', /DOWNGRADE only/],
    ['shell metacharacters in a service name', (c) => harness.client.controlService(c, 'clusterpro$(reboot)', 'disable'), 'name', /not a valid name/],
    ['a service not on the allow-list', (c) => harness.client.controlService(c, 'sshd', 'stop'), 'name', /not on this agent's allow-list/],
    ['a group name with a space', (c) => harness.client.clusterAction(c, { kind: 'move-group', group: 'failover1 -a x' }), 'group', /not a valid name/],
    ['a move without a group', (c) => harness.client.clusterAction(c, { kind: 'move-group' }), 'group', /is required for MOVE_GROUP/],
    ['a field the action does not take', (c) => harness.client.clusterAction(c, { kind: 'suspend', group: 'failover1' }), 'group', /does not apply to SUSPEND/],
    ['a hook name that is a path', (c) => harness.client.runHook(c, '../../bin/sh'), 'name', /not a valid name/],
    ['a hook that links out of the hooks directory', (c) => harness.client.runHook(c, 'escape'), 'name', /is a symbolic link; a hook must be a file in the hooks directory itself/],
    ['a hook that is not executable', (c) => harness.client.runHook(c, 'not-executable'), 'name', /not executable/],
    ['an oversize hook argument', (c) => harness.client.runHook(c, 'mark', ['x'.repeat(5000)]), 'args[0]', /at most 1024/],
    ['an oversize op_id', (c) => harness.client.runHook({ ...c, opId: 'o'.repeat(300) }, 'mark'), 'op.op_id', /at most 256/],
    ['a missing run id', (c) => harness.client.runHook({ ...c, runId: '' }, 'mark'), 'op.run_id', /is required/],
    ['epoch 0', (c) => harness.client.runHook({ ...c, epoch: 0 }, 'mark'), 'op.epoch', /positive integer/],
  ];

  it.each(cases)('%s', async (_name, call, field, pattern) => {
    const context = op();
    const ran = executor.argvs.length;
    const refused = await refusal(call(context));
    expect(refused.grpc).toBe('INVALID_ARGUMENT');
    expect(refused.field).toBe(field);
    expect(refused.message.startsWith(`${field}: `)).toBe(true);
    expect(refused.message).toMatch(pattern);
    expect(executor.argvs.length).toBe(ran);
    expect((await harness.client.getOperation(context.opId)).state).toBe('UNKNOWN');
  });

  it('a hook that does not exist is NOT_FOUND', async () => {
    const refused = await refusal(harness.client.runHook(op(), 'no-such-hook'));
    expect(refused).toMatchObject({ grpc: 'NOT_FOUND', field: 'name' });
  });

  it('a mutating request without an op context is refused', async () => {
    const refused = await refusal(harness.client.controlService(undefined, 'clusterpro', 'disable'));
    expect(refused).toMatchObject({ grpc: 'INVALID_ARGUMENT', field: 'op' });
  });
});
