import { describe, expect, it } from 'vitest';
import { parseClpstat } from '../../agent/drivers/cluster/clpstat-parser.js';
import { readFixture } from '../support/fixture.js';

const clpstat = (name: string): string => readFixture(`clusterpro/${name}`);

describe('parseClpstat', () => {
  it('reads a running cluster: servers, the local one, groups with their current server and resources, monitors', () => {
    expect(parseClpstat(clpstat('clpstat-running.txt'))).toEqual({
      clusterName: 'cluster-x600',
      servers: [
        { name: 'server1', state: 'online', stateText: 'Online', local: true },
        { name: 'server2', state: 'online', stateText: 'Online', local: false },
      ],
      groups: [{ name: 'failover1', state: 'online', stateText: 'Online', currentServer: 'server1', resources: ['exec1'] }],
      monitors: [{ name: 'userw', stateText: 'Normal' }],
      stopped: false,
    });
  });

  it('reads a stopped cluster: every server Offline, every group current None', () => {
    const status = parseClpstat(clpstat('clpstat-stopped.txt'));
    expect(status.stopped).toBe(true);
    expect(status.servers.map((server) => server.state)).toEqual(['offline', 'offline']);
    expect(status.groups).toEqual([
      { name: 'failover1', state: 'offline', stateText: 'Offline', currentServer: null, resources: ['exec1'] },
      { name: 'failover2', state: 'offline', stateText: 'Offline', currentServer: null, resources: ['md1'] },
    ]);
    expect(status.monitors.map((monitor) => monitor.name)).toEqual(['userw', 'mdw1']);
  });

  it('reads a suspended cluster (clpcl --suspend): Suspend is suspended, the groups stay online', () => {
    const status = parseClpstat(clpstat('clpstat-suspended.txt'));
    expect(status.servers.map(({ state, stateText }) => ({ state, stateText }))).toEqual([
      { state: 'suspended', stateText: 'Suspend' },
      { state: 'suspended', stateText: 'Suspend' },
    ]);
    expect(status.groups[0]).toMatchObject({ state: 'online', currentServer: 'server1' });
    expect(status.stopped).toBe(false);
  });

  describe('tolerates spacing, extra lines, unknown sections and unknown words', () => {
    const status = parseClpstat(clpstat('clpstat-unknown-words.txt'));

    it('maps state words case-insensitively and keeps the word as printed', () => {
      expect(status.clusterName).toBe('lab-cluster');
      expect(status.servers).toEqual([
        { name: 'server1', state: 'online', stateText: 'Online', local: false },
        { name: 'server2', state: 'caution', stateText: 'Caution', local: true },
        { name: 'server3', state: 'other', stateText: 'Isolated', local: false },
        { name: 'server4', state: 'suspended', stateText: 'SUSPENDED', local: false },
        { name: 'server5', state: 'error', stateText: 'error', local: false },
      ]);
    });

    it('reads two-word group states, groups without a dot leader, and current none or empty', () => {
      expect(status.groups).toEqual([
        { name: 'ManagementGroup', state: 'online-pending', stateText: 'Online Pending', currentServer: 'server2', resources: ['ManagementIP'] },
        { name: 'failover-with-a-long-name', state: 'offline-pending', stateText: 'Offline Pending', currentServer: null, resources: [] },
        { name: 'failover3', state: 'error', stateText: 'Error', currentServer: null, resources: [] },
        { name: 'failover4', state: 'other', stateText: 'Migrating', currentServer: 'server1', resources: ['fip4'] },
      ]);
    });

    it('skips an unknown section and keeps a monitor word it does not know', () => {
      expect(status.monitors).toEqual([
        { name: 'userw', stateText: 'Normal' },
        { name: 'fipw1', stateText: 'Warning' },
      ]);
      expect(status.stopped).toBe(false);
    });
  });

  it('reads CRLF line ends and an Offline Pending server as other', () => {
    const text = clpstat('clpstat-running.txt')
      .replaceAll('\n', '\r\n')
      .replace('*server1 .........: Online', '*server1 .........: Offline Pending');
    const status = parseClpstat(text);
    expect(status.servers[0]).toEqual({ name: 'server1', state: 'other', stateText: 'Offline Pending', local: true });
    expect(status.groups[0]?.currentServer).toBe('server1');
  });

  it('throws LOCKSTEP_E_PARSE only when there is no <server> section', () => {
    expect(() => parseClpstat('clpstat: Could not connect to the server.\n')).toThrow(
      expect.objectContaining({ code: 'LOCKSTEP_E_PARSE', message: expect.stringMatching(/no <server> section.*Could not connect/) }),
    );
    expect(parseClpstat('<server>\n').servers).toEqual([]);
  });
});
