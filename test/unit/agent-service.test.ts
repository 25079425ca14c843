// The agent's service boundary checks every request once (SPEC §3.3), before anything is
// journaled or run: the drivers below it receive values that are already valid. These are
// the refusals the drivers used to repeat, now asserted where they happen.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ClusterAction } from '../../shared/domain/cluster.js';
import type { OpContext } from '../../shared/domain/operation.js';
import type { PackageRequest } from '../../shared/domain/package.js';
import { inProcessAgent, type InProcessAgent } from '../support/in-process-agent.js';
import { ScriptedExecutor } from '../support/scripted-executor.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let executor: ScriptedExecutor;
let agent: InProcessAgent;
let opCounter = 0;

const op = (): OpContext => ({ opId: `run-a/step-${++opCounter}/server1/1`, runId: 'run-a', epoch: 1 });
const refused = (field: string) => expect.objectContaining({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field });

function start(serviceManager: 'sysv' | 'systemd' = 'sysv'): void {
  agent?.close();
  agent = inProcessAgent({ executor, dir: temp.dir, serviceManager });
}

beforeEach(() => {
  temp = makeTempDir('lockstep-agent-service-');
  // Every command succeeds with no output; the tests below expect none to run.
  executor = new ScriptedExecutor(() => ({}));
  start();
});

afterEach(() => {
  agent.close();
  temp.remove();
});

describe('QueryPackage and InspectPackageFile', () => {
  it.each(['-e', '--eval=%(id)', 'clusterpro; reboot', ''])('refuses the name %j before running anything', async (name) => {
    await expect(agent.service.queryPackage(name)).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'name' });
    expect(executor.argvs).toEqual([]);
  });

  it('refuses a relative path before running anything', async () => {
    await expect(agent.service.inspectPackageFile('clusterpro-2.1.3-1.x86_64.rpm')).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field: 'path' });
    expect(executor.argvs).toEqual([]);
  });
});

describe('ApplyPackage', () => {
  it.each<[string, PackageRequest, string]>([
    ['an install without a path', { action: 'install', path: '' }, 'path'],
    ['a removal without a name', { action: 'remove', name: '' }, 'name'],
    ['a removal of an option', { action: 'remove', name: '--all' }, 'name'],
    ['a relative path', { action: 'upgrade', path: 'clusterpro.rpm' }, 'path'],
  ])('refuses %s before running anything', async (_what, request, field) => {
    await expect(agent.service.applyPackage(op(), request)).rejects.toMatchObject({ code: 'LOCKSTEP_E_INVALID_ARGUMENT', field });
    expect(executor.argvs).toEqual([]);
  });
});

describe.each(['sysv', 'systemd'] as const)('ControlService with the %s driver: the allow-list (SPEC §3.3)', (serviceManager) => {
  beforeEach(() => start(serviceManager));

  it.each(['sshd', 'clusterpro ', '../clusterpro', '-clusterpro', '', 'clusterpro;reboot'])(
    'refuses %j for every action before running anything',
    async (name) => {
      for (const action of ['enable', 'disable', 'start', 'stop'] as const) {
        await expect(agent.service.controlService(op(), name, action)).rejects.toThrow(refused('name'));
      }
      await expect(agent.service.controlService(undefined, name, 'status')).rejects.toThrow(refused('name'));
      expect(executor.requests).toEqual([]);
    },
  );

  it('says which services are allowed', async () => {
    await expect(agent.service.controlService(op(), 'sshd', 'stop')).rejects.toThrow(
      /"sshd" is not on this agent's allow-list \(clusterpro_alertsync, .*clusterpro_nm\)/,
    );
  });
});

describe('GetMirrorStatus and ClusterAction', () => {
  it('refuses a malformed resource name before running anything', async () => {
    await expect(agent.service.mirrorStatus('md1; reboot')).rejects.toThrow(refused('resource'));
    expect(executor.requests).toEqual([]);
  });

  it.each<[ClusterAction, string]>([
    [{ kind: 'move-group' }, 'group'],
    [{ kind: 'start-group', group: '-a' }, 'group'],
    [{ kind: 'stop-group', group: 'fail over' }, 'group'],
    [{ kind: 'move-group', group: 'failover1', server: 'server2 && reboot' }, 'server'],
    [{ kind: 'mirror-recover' }, 'mirror'],
    [{ kind: 'mirror-recover', mirror: '../md1' }, 'mirror'],
  ])('refuses %j (field %s) before running anything', async (action, field) => {
    await expect(agent.service.clusterAction(op(), action)).rejects.toThrow(refused(field));
    expect(executor.requests).toEqual([]);
  });
});
