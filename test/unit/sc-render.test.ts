// The simulated Solaris Cluster prints what the agent's parsers read from a real one: every
// listing rendered from a model state parses back to that state (lab/solaris/commands).
import { describe, expect, it } from 'vitest';
import { parseClresourceShow, parseClresourcetypeShow } from '../../agent/drivers/cluster/solaris/cl-show-parser.js';
import { parseClnodeStatus, parseClresourcegroupStatus, parseClresourceStatus } from '../../agent/drivers/cluster/solaris/cl-status-parser.js';
import { parseScstatGroups, parseScstatNodes } from '../../agent/drivers/cluster/solaris/scstat-parser.js';
import { parsePkginfoLong } from '../../agent/drivers/package/pkginfo-parser.js';
import {
  renderResourceProperty,
  renderScstatGroups,
  renderScstatNodes,
  renderClnodeStatus,
  renderClresourceShow,
  renderClresourceStatus,
  renderClresourcegroupStatus,
  renderClresourcetypeShow,
  renderPkginfo,
} from '../../lab/solaris/commands/sc-render.js';
import type { ScState } from '../../lab/solaris/sc-model.js';

function state(): ScState {
  return {
    nodes: { 'lab-sc1': 'cluster', 'lab-sc2': 'noncluster', 'a-node-with-a-name-longer-than-its-column-is-wide': 'cluster' },
    resourceTypes: [
      { name: 'LAB.app:1.0', rtr: '' },
      { name: 'LAB.app:2.0', rtr: '' },
    ],
    resourceGroups: [
      { name: 'app-rg1', state: 'online', node: 'lab-sc1', nodeList: ['lab-sc1', 'lab-sc2'] },
      { name: 'app-rg2', state: 'unmanaged', node: null, nodeList: ['lab-sc2', 'lab-sc1'] },
    ],
    resources: [
      { name: 'app-rs1', type: 'LAB.app:2.0', typeVersion: '2.0', group: 'app-rg1', enabled: true, monitored: false, dependsOn: [] },
      { name: 'app-rs2', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg2', enabled: false, monitored: true, dependsOn: ['app-rs1'] },
    ],
    packages: { 'lab-sc1': { LABapp: { version: '2.0,REV=2026.12.01', type: 'LAB.app', replaces: 'new-path', rtrFiles: {} } } },
    violations: [],
  };
}

describe('the simulated cl* listings parse back to the model', () => {
  it('clnode status', () => {
    expect(parseClnodeStatus(renderClnodeStatus(state())).map(({ name, online }) => [name, online])).toEqual([
      ['lab-sc1', true],
      ['lab-sc2', false],
      ['a-node-with-a-name-longer-than-its-column-is-wide', true],
    ]);
  });

  it('clresourcegroup status', () => {
    expect(parseClresourcegroupStatus(renderClresourcegroupStatus(state()))).toEqual([
      { name: 'app-rg1', nodes: [{ node: 'lab-sc1', suspended: false, statusText: 'Online' }, { node: 'lab-sc2', suspended: false, statusText: 'Offline' }] },
      { name: 'app-rg2', nodes: [{ node: 'lab-sc2', suspended: false, statusText: 'Unmanaged' }, { node: 'lab-sc1', suspended: false, statusText: 'Unmanaged' }] },
    ]);
  });

  it('clresource status: online only where its group is online and it is enabled', () => {
    const [rs1, rs2] = parseClresourceStatus(renderClresourceStatus(state()));
    expect(rs1?.nodes[0]).toEqual({ node: 'lab-sc1', stateText: 'Online_not_monitored', statusMessage: 'Online - Service is online.' });
    expect(rs2?.nodes.map((node) => node.stateText)).toEqual(['Offline', 'Offline']);
  });

  it('clresource show: type, Type_version, group, dependencies, and Enabled/Monitored per node', () => {
    expect(parseClresourceShow(renderClresourceShow(state()))).toEqual([
      { name: 'app-rs1', type: 'LAB.app:2.0', typeVersion: '2.0', group: 'app-rg1', dependsOn: [], enabled: { 'lab-sc1': true, 'lab-sc2': true }, monitored: { 'lab-sc1': false, 'lab-sc2': false } },
      { name: 'app-rs2', type: 'LAB.app:1.0', typeVersion: '1.0', group: 'app-rg2', dependsOn: ['app-rs1'], enabled: { 'lab-sc2': false, 'lab-sc1': false }, monitored: { 'lab-sc2': true, 'lab-sc1': true } },
    ]);
    expect(parseClresourceShow(renderClresourceShow(state(), ['app-rs2'])).map((resource) => resource.name)).toEqual(['app-rs2']);
  });

  it('clresourcetype show', () => {
    expect(parseClresourcetypeShow(renderClresourcetypeShow(state())).map(({ name, rtVersion }) => [name, rtVersion])).toEqual([
      ['LAB.app:1.0', '1.0'],
      ['LAB.app:2.0', '2.0'],
    ]);
  });

  it('pkginfo -l, and nothing for a package that is not installed', () => {
    const model = state();
    expect(parsePkginfoLong(renderPkginfo('LABapp', model.packages['lab-sc1']?.LABapp) as string)).toEqual([
      { pkginst: 'LABapp', name: 'LAB.app data service', arch: 'sparc', version: '2.0,REV=2026.12.01', statusText: 'completely installed', complete: true },
    ]);
    expect(renderPkginfo('LABapp', undefined)).toBeNull();
  });
});

describe('the simulated 3.1 scstat listings parse back to the model', () => {
  it('scstat -n', () => {
    expect(parseScstatNodes(renderScstatNodes(state())).map(({ name, online }) => [name, online])).toEqual([
      ['lab-sc1', true],
      ['lab-sc2', false],
      ['a-node-with-a-name-longer-than-its-column-is-wide', true],
    ]);
  });

  it('scstat -g: members, group states, and resource states split from their messages (Online not monitored)', () => {
    const read = parseScstatGroups(renderScstatGroups(state()));
    expect([...read.members]).toEqual([
      ['app-rg1', ['app-rs1']],
      ['app-rg2', ['app-rs2']],
    ]);
    expect(read.groups.map((group) => [group.name, group.nodes.map((node) => `${node.node} ${node.statusText}`)])).toEqual([
      ['app-rg1', ['lab-sc1 Online', 'lab-sc2 Offline']],
      ['app-rg2', ['lab-sc2 Unmanaged', 'lab-sc1 Unmanaged']],
    ]);
    expect(read.resources[0]?.nodes).toEqual([
      { node: 'lab-sc1', stateText: 'Online not monitored', statusMessage: 'Online - Service is online.' },
      { node: 'lab-sc2', stateText: 'Offline', statusMessage: 'Offline' },
    ]);
  });

  it('scha_resource_get: one value per line, switches as ENABLED or DISABLED', () => {
    const [rs1, rs2] = state().resources;
    expect(renderResourceProperty(rs1 as ScState['resources'][number], 'type_version')).toBe('2.0\n');
    expect(renderResourceProperty(rs2 as ScState['resources'][number], 'ON_OFF_SWITCH')).toBe('DISABLED\n');
    expect(renderResourceProperty(rs2 as ScState['resources'][number], 'RESOURCE_DEPENDENCIES')).toBe('app-rs1\n');
    expect(renderResourceProperty(rs1 as ScState['resources'][number], 'RESOURCE_DEPENDENCIES')).toBe('');
    expect(renderResourceProperty(rs1 as ScState['resources'][number], 'NOSUCH')).toBeUndefined();
  });
});
