// The Solaris Cluster status and property parsers and pkginfo -l, on the samples in
// test/fixtures/solaris (their provenance: that folder's README).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseClresourceShow, parseClresourcetypeShow } from '../../agent/drivers/cluster/solaris/cl-show-parser.js';
import { parseClnodeStatus, parseClresourcegroupStatus, parseClresourceStatus } from '../../agent/drivers/cluster/solaris/cl-status-parser.js';
import { parseScstatGroups, parseScstatNodes } from '../../agent/drivers/cluster/solaris/scstat-parser.js';
import { isPkginfoNotFound, parsePkginfoLong } from '../../agent/drivers/package/pkginfo-parser.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/solaris/${name}`, import.meta.url), 'utf8');

describe('clnode status', () => {
  it('reads each node and whether it is in the cluster', () => {
    expect(parseClnodeStatus(fixture('clnode-status.txt'))).toEqual([
      { name: 'phys-schost-1', online: true, statusText: 'Online' },
      { name: 'phys-schost-2', online: true, statusText: 'Online' },
      { name: 'phys-schost-3', online: false, statusText: 'Offline' },
    ]);
  });

  it('refuses output with no node table, quoting it', () => {
    expect(() => parseClnodeStatus('clnode:  (C382054) Cluster is not running\n')).toThrow(/printed no "Node Name" table.*C382054/);
  });
});

describe('clresourcegroup status', () => {
  it('reads each group on each node of its node list, continuation rows included', () => {
    const groups = parseClresourcegroupStatus(fixture('clresourcegroup-status.txt'));
    expect(groups.map((group) => group.name)).toEqual(['app-rg1', 'app-rg2']);
    expect(groups[0]?.nodes).toEqual([
      { node: 'phys-schost-1', suspended: false, statusText: 'Online' },
      { node: 'phys-schost-2', suspended: false, statusText: 'Offline' },
      { node: 'phys-schost-3', suspended: false, statusText: 'Offline' },
    ]);
    expect(groups[1]?.nodes[0]).toEqual({ node: 'phys-schost-2', suspended: false, statusText: 'Online' });
  });

  it('keeps unknown and multi-word states as printed, and reads Suspended', () => {
    const groups = parseClresourcegroupStatus(fixture('clresourcegroup-status-unmanaged.txt'));
    expect(groups[0]?.nodes.map((node) => node.statusText)).toEqual(['Unmanaged', 'Unmanaged']);
    expect(groups[1]?.nodes).toEqual([
      { node: 'phys-schost-2', suspended: true, statusText: 'Pending_online' },
      { node: 'phys-schost-1', suspended: true, statusText: 'Error--stop failed' },
    ]);
  });

  it('reads a name longer than its column (columns by whitespace, not position)', () => {
    const text = [
      'Group Name       Node Name         Suspended      Status',
      '----------       ---------         ---------      ------',
      'a-very-long-resource-group-name-indeed phys-schost-1 No Online',
      '',
    ].join('\n');
    expect(parseClresourcegroupStatus(text)).toEqual([{ name: 'a-very-long-resource-group-name-indeed', nodes: [{ node: 'phys-schost-1', suspended: false, statusText: 'Online' }] }]);
  });
});

describe('clresource status', () => {
  it('reads each resource on each node, the status message whole', () => {
    const resources = parseClresourceStatus(fixture('clresource-status.txt'));
    expect(resources.map((resource) => resource.name)).toEqual(['app-rs1', 'app-rs2']);
    expect(resources[0]?.nodes[0]).toEqual({ node: 'phys-schost-1', stateText: 'Online', statusMessage: 'Online - Service is online.' });
    expect(resources[1]?.nodes[0]).toEqual({ node: 'phys-schost-2', stateText: 'Online_not_monitored', statusMessage: 'Online - Service is online.' });
    expect(resources[1]?.nodes).toHaveLength(3);
  });
});

describe('clresource show', () => {
  it('reads type, Type_version, group and the per-node Enabled and Monitored', () => {
    const [first, second] = parseClresourceShow(fixture('clresource-show.txt'));
    expect(first).toEqual({
      name: 'app-rs1',
      type: 'LAB.app:1.0',
      typeVersion: '1.0',
      group: 'app-rg1',
      dependsOn: [],
      enabled: { 'phys-schost-1': true, 'phys-schost-2': true },
      monitored: { 'phys-schost-1': true, 'phys-schost-2': true },
    });
    expect(second?.dependsOn).toEqual(['app-rs1']);
    expect(second?.enabled).toEqual({ 'phys-schost-1': false, 'phys-schost-2': false });
    expect(second?.monitored).toEqual({ 'phys-schost-1': false, 'phys-schost-2': true });
  });

  it('refuses a resource without Type_version, naming it, and a boolean that is neither True nor False', () => {
    expect(() => parseClresourceShow('=== Resources ===\n\nResource:   r1\n  Type:  LAB.app\n  Group:  g\n')).toThrow(/no Type_version for r1/);
    expect(() => parseClresourceShow('=== Resources ===\n\nResource:   r1\n  Type:  T\n  Type_version:  1\n  Group:  g\n  Enabled{n1}:  Maybe\n')).toThrow(/r1 Enabled\{n1\}: "Maybe", expected True or False/);
  });
});

describe('clresourcetype show', () => {
  it('reads each registered type with its RT_version and base directory', () => {
    expect(parseClresourcetypeShow(fixture('clresourcetype-show.txt'))).toEqual([
      { name: 'LAB.app:1.0', rtVersion: '1.0', basedir: '/opt/LABapp/bin' },
      { name: 'SUNW.LogicalHostname:2', rtVersion: '2', basedir: '/usr/cluster/lib/rgm/rt/hafoip' },
    ]);
  });
});

describe('pkginfo -l', () => {
  it('reads PKGINST, NAME, ARCH, VERSION and STATUS, ignoring the FILES continuation lines', () => {
    expect(parsePkginfoLong(fixture('pkginfo-l.txt'))).toEqual([
      { pkginst: 'LABapp', name: 'LAB application data service for Sun Cluster', arch: 'sparc', version: '2.0,REV=2008.10.22', statusText: 'completely installed', complete: true },
    ]);
  });

  it('reports a partially installed package as not complete', () => {
    expect(parsePkginfoLong(fixture('pkginfo-l-partial.txt'))[0]).toMatchObject({ version: '1.0', complete: false, statusText: 'partially installed' });
  });

  it('reads several packages, one block each', () => {
    const two = `${fixture('pkginfo-l.txt')}\n${fixture('pkginfo-l-partial.txt').replace('LABapp', 'LABtools')}`;
    expect(parsePkginfoLong(two).map((pkg) => pkg.pkginst)).toEqual(['LABapp', 'LABtools']);
  });

  it('recognises "not found" and refuses output without a package', () => {
    const notFound = 'ERROR: information for "LABapp" was not found\n';
    expect(isPkginfoNotFound(notFound)).toBe(true);
    expect(isPkginfoNotFound(fixture('pkginfo-l.txt'))).toBe(false);
    expect(() => parsePkginfoLong(notFound)).toThrow(/printed no PKGINST/);
    expect(() => parsePkginfoLong('   PKGINST:  LABapp\n    STATUS:  completely installed\n')).toThrow(/no VERSION for package "LABapp"/);
  });
});

describe('verbatim 3.2 status tables from a real cluster (heading without its leading ===)', () => {
  it('clnode status', () => {
    expect(parseClnodeStatus(fixture('clnode-status-real.txt'))).toEqual([
      { name: 'vincent', online: true, statusText: 'Online' },
      { name: 'theo', online: true, statusText: 'Online' },
    ]);
  });

  it('clrg status', () => {
    expect(parseClresourcegroupStatus(fixture('clrg-status-real.txt'))).toEqual([
      {
        name: 'nfs-rg',
        nodes: [
          { node: 'vincent', suspended: false, statusText: 'Offline' },
          { node: 'theo', suspended: false, statusText: 'Online' },
        ],
      },
    ]);
  });

  it('clrs status, status messages with blanks', () => {
    const resources = parseClresourceStatus(fixture('clrs-status-real.txt'));
    expect(resources.map((resource) => resource.name)).toEqual(['nfs-stor', 'orangecat-nfs', 'nfs-res']);
    expect(resources[1]?.nodes).toEqual([
      { node: 'vincent', stateText: 'Offline', statusMessage: 'Offline' },
      { node: 'theo', stateText: 'Online', statusMessage: 'Online - LogicalHostname online.' },
    ]);
    expect(resources[2]?.nodes[1]?.statusMessage).toBe('Online - Service is online.');
  });
});

describe('scstat (Sun Cluster 3.1), verbatim manual samples', () => {
  it('scstat -g: groups with multi-word states, each group\'s resources, and each resource\'s state split from its status message', () => {
    const read = parseScstatGroups(fixture('scstat-g-sc31-rac.txt'));
    expect(read.groups).toEqual([
      {
        name: 'rac-framework-rg',
        nodes: [
          { node: 'node1', suspended: false, statusText: 'Online faulted' },
          { node: 'node2', suspended: false, statusText: 'Online' },
        ],
      },
    ]);
    expect([...read.members]).toEqual([['rac-framework-rg', ['rac_framework', 'rac_udlm', 'rac_cvm']]]);
    expect(read.resources).toEqual([
      {
        name: 'rac_framework',
        nodes: [
          { node: 'node1', stateText: 'Start failed', statusMessage: 'Degraded - reconfiguration in progress' },
          { node: 'node2', stateText: 'Online', statusMessage: 'Online' },
        ],
      },
      {
        name: 'rac_udlm',
        nodes: [
          { node: 'node1', stateText: 'Offline', statusMessage: 'Unknown - RAC framework is running' },
          { node: 'node2', stateText: 'Online', statusMessage: 'Online' },
        ],
      },
    ]);
  });

  it('scstat -n (here the nodes section of scstat -p): each node, the other sections skipped', () => {
    expect(parseScstatNodes(fixture('scstat-p-sc31.txt'))).toEqual(['phys-schost-1', 'phys-schost-2', 'phys-schost-3', 'phys-schost-4'].map((name) => ({ name, online: true, statusText: 'Online' })));
  });

  it('reads "-" in the Resources column as a group without resources', () => {
    expect([...parseScstatGroups(' Resources: empty-rg          -\n     Group: empty-rg          node1      Offline\n').members]).toEqual([['empty-rg', []]]);
  });

  it('refuses output without its rows, quoting it', () => {
    expect(() => parseScstatGroups('scstat:  not a cluster member.\n')).toThrow(/scstat -g printed no "Group:" rows.*not a cluster member/);
    expect(() => parseScstatNodes('')).toThrow(/scstat -n printed no "Cluster node:" rows/);
    expect(() => parseScstatGroups('     Group: rg1\n')).toThrow(/a "Group:" row without a group, node and state/);
  });
});

describe('pkginfo -l, verbatim manual sample', () => {
  it('reads SUNWcar (Solaris 9 System Administration Guide)', () => {
    expect(parsePkginfoLong(fixture('pkginfo-l-sunwcar.txt'))).toEqual([
      { pkginst: 'SUNWcar', name: 'Core Architecture, (Root)', arch: 'sparc.sun4u', version: '11.9.0,REV=2001.10.16.17.05', statusText: 'completely installed', complete: true },
    ]);
  });
});
