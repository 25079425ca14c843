// The simulated Solaris Cluster refuses what the real one refuses (lab/solaris/sc-model.ts):
// each rule of issue 13's simulator, and a wrong order of steps failing as it would on a
// real cluster.
import { describe, expect, it } from 'vitest';
import {
  changePackage,
  evacuate,
  groupManage,
  groupOffline,
  groupOnline,
  groupUnmanage,
  onlineOn,
  registerType,
  setEnabled,
  setMonitored,
  setNodeState,
  setTypeVersion,
  type ScChange,
  type ScPackage,
  type ScState,
} from '../../lab/solaris/sc-model.js';

const RTR_PATH = '/opt/LABapp/etc/LAB.app';
const rtr = (version: string, tunable: string): string => `Resource_type = "app";\nVendor_id = LAB;\nRT_version = "${version}";\n#$upgrade\n#$upgrade_from "1.0" ${tunable}\n`;
const pkg = (version: string, tunable: string, replaces: ScPackage['replaces']): ScPackage => ({ version, type: 'LAB.app', replaces, rtrFiles: { [RTR_PATH]: rtr(version, tunable) } });

function cluster(): ScState {
  const nodes = ['n1', 'n2', 'n3'];
  return {
    nodes: { n1: 'cluster', n2: 'cluster', n3: 'cluster' },
    resourceTypes: [{ name: 'LAB.app:1.0', rtr: rtr('1.0', 'ANYTIME') }],
    resourceGroups: [
      { name: 'app-rg1', state: 'online', node: 'n1', nodeList: ['n1', 'n2', 'n3'] },
      { name: 'app-rg2', state: 'online', node: 'n2', nodeList: ['n2', 'n3', 'n1'] },
    ],
    resources: [
      { name: 'app-rs1', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg1', enabled: true, monitored: true, dependsOn: [] },
      { name: 'app-rs2', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg2', enabled: true, monitored: true, dependsOn: ['app-rs1'] },
    ],
    packages: Object.fromEntries(nodes.map((node) => [node, { LABapp: pkg('1.0', 'ANYTIME', 'new-path') }])),
    violations: [],
  };
}

function ok(change: ScChange): ScState {
  if (!change.ok) throw new Error(`refused: ${change.reason}`);
  return change.state;
}

/** Installs version 2.0 (whose RTR asks for `tunable`) on every node and registers it. */
function registered(tunable: string, replaces: ScPackage['replaces'] = 'new-path'): ScState {
  let state = cluster();
  for (const node of ['n1', 'n2', 'n3']) state = ok(changePackage(state, node, 'LABapp', pkg('2.0', tunable, replaces)));
  return ok(registerType(state, RTR_PATH, 'n1'));
}

describe('registering a type', () => {
  it('needs the RTR file on every node, and names the nodes that lack it', () => {
    const state = ok(changePackage(cluster(), 'n1', 'LABapp', pkg('2.0', 'ANYTIME', 'new-path')));
    expect(registerType(state, RTR_PATH, 'n1')).toEqual({ ok: false, reason: expect.stringMatching(/is not installed on node\(s\) n2, n3/) });
  });

  it('registers VENDOR.TYPE:VERSION from the RTR, once', () => {
    const state = registered('ANYTIME');
    expect(state.resourceTypes.map((type) => type.name)).toEqual(['LAB.app:1.0', 'LAB.app:2.0']);
    expect(registerType(state, RTR_PATH, 'n2')).toEqual({ ok: false, reason: expect.stringMatching(/already registered/) });
  });
});

describe('setting Type_version under each Tunable', () => {
  it.each([
    ['ANYTIME', (state: ScState) => state],
    ['WHEN_UNMONITORED', (state: ScState) => ok(setMonitored(state, 'app-rs1', false))],
    ['WHEN_OFFLINE', (state: ScState) => ok(groupOffline(state, 'app-rg1'))],
    ['WHEN_DISABLED', (state: ScState) => ok(setEnabled(ok(setEnabled(state, 'app-rs2', false)), 'app-rs1', false))],
    ['WHEN_UNMANAGED', (state: ScState) => ok(groupUnmanage(ok(groupOffline(state, 'app-rg1')), 'app-rg1'))],
  ])('%s: refused while the resource runs, allowed once the condition holds', (tunable, prepare) => {
    const state = registered(tunable);
    if (tunable !== 'ANYTIME') expect(setTypeVersion(state, 'app-rs1', '2.0')).toEqual({ ok: false, reason: expect.stringContaining(`allows it ${tunable}`) });
    const migrated = ok(setTypeVersion(prepare(state), 'app-rs1', '2.0'));
    expect(migrated.resources[0]).toMatchObject({ type: 'LAB.app:2.0', typeVersion: '2.0' });
  });

  it('refuses AT_CREATION always, and a version whose type is not registered', () => {
    const state = registered('AT_CREATION');
    const unmanaged = ok(groupUnmanage(ok(groupOffline(state, 'app-rg1')), 'app-rg1'));
    expect(setTypeVersion(unmanaged, 'app-rs1', '2.0').ok).toBe(false);
    expect(setTypeVersion(cluster(), 'app-rs1', '2.0')).toEqual({ ok: false, reason: 'clresource: resource type LAB.app:2.0 is not registered' });
  });
});

describe('the rules of resources and groups', () => {
  it('refuses to disable a resource an enabled resource depends on, and to enable one whose dependency is disabled', () => {
    expect(setEnabled(cluster(), 'app-rs1', false)).toEqual({ ok: false, reason: 'clresource: cannot disable app-rs1: enabled resource(s) app-rs2 depend on it' });
    const bothOff = ok(setEnabled(ok(setEnabled(cluster(), 'app-rs2', false)), 'app-rs1', false));
    expect(setEnabled(bothOff, 'app-rs2', true).ok).toBe(false);
  });

  it('unmanages only an offline group, and brings online only a managed one', () => {
    expect(groupUnmanage(cluster(), 'app-rg1')).toEqual({ ok: false, reason: expect.stringMatching(/must be offline/) });
    const unmanaged = ok(groupUnmanage(ok(groupOffline(cluster(), 'app-rg1')), 'app-rg1'));
    expect(groupOnline(unmanaged, 'app-rg1')).toEqual({ ok: false, reason: expect.stringMatching(/unmanaged; manage it first/) });
    expect(ok(groupOnline(ok(groupManage(unmanaged, 'app-rg1')), 'app-rg1')).resourceGroups[0]).toMatchObject({ state: 'online', node: 'n1' });
  });

  it('evacuates a node to the next primary, and a node leaving the cluster takes its groups with it first', () => {
    expect(ok(evacuate(cluster(), 'n1')).resourceGroups[0]).toMatchObject({ state: 'online', node: 'n2' });
    const left = ok(setNodeState(cluster(), 'n2', 'noncluster'));
    expect(left.resourceGroups[1]).toMatchObject({ state: 'online', node: 'n3' });
    expect(left.nodes.n2).toBe('noncluster');
  });
});

describe('replacing methods in place', () => {
  it('is a violation on a node in the cluster where a resource of the type is online; recorded, and the command fails', () => {
    const change = changePackage(cluster(), 'n1', 'LABapp', pkg('2.0', 'ANYTIME', 'methods-in-place'));
    expect(change.ok).toBe(false);
    if (change.ok || !('violation' in change)) throw new Error('expected a violation');
    expect(change.state.violations).toEqual([change.violation]);
    expect(change.violation).toMatch(/pkgadd LABapp on n1 replaced the methods of LAB.app in place while app-rs1 ran on it/);
  });

  it('is allowed out of the cluster (the rolling rows), and for a new path', () => {
    const out = ok(setNodeState(cluster(), 'n1', 'noncluster'));
    expect(changePackage(out, 'n1', 'LABapp', pkg('2.0', 'ANYTIME', 'methods-in-place')).ok).toBe(true);
    expect(changePackage(cluster(), 'n1', 'LABapp', pkg('2.0', 'ANYTIME', 'new-path')).ok).toBe(true);
  });

  it('allows a monitor replaced in place once the resources are unmonitored (the new-monitor row)', () => {
    expect(changePackage(cluster(), 'n1', 'LABapp', pkg('2.0', 'WHEN_UNMONITORED', 'monitor-in-place')).ok).toBe(false);
    const unmonitored = ok(setMonitored(cluster(), 'app-rs1', false));
    expect(changePackage(unmonitored, 'n1', 'LABapp', pkg('2.0', 'WHEN_UNMONITORED', 'monitor-in-place')).ok).toBe(true);
  });

  it('reports where each resource runs', () => {
    const state = cluster();
    expect(state.resources.map((resource) => onlineOn(state, resource))).toEqual(['n1', 'n2']);
  });
});
