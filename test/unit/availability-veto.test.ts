// The agent's availability veto (issue 16 part 1) over cluster states as clpstat and
// clpmdstat print them on a 2-node Replicator cluster: failover1 with mirror md1.
import { describe, expect, it } from 'vitest';
import { availabilityBreaches, exitOf, type ClusterView } from '../../agent/availability-veto.js';
import type { ClusterServer, MirrorStatus, ServerState } from '../../shared/domain/cluster.js';

function view(server2: ServerState, colors: { server1: string; server2: string } = { server1: 'GREEN', server2: 'GREEN' }, current: string | null = 'server1'): ClusterView {
  const servers: ClusterServer[] = [
    { name: 'server1', state: 'online', stateText: 'Online', local: true },
    { name: 'server2', state: server2, stateText: server2, local: false },
  ];
  const mirror: MirrorStatus = {
    name: 'md1',
    overall: 'normal',
    overallText: 'Normal',
    servers: Object.entries(colors).map(([server, color]) => ({ server, color, lastUpdate: '', breakTime: '', diskError: '', differencePercent: '' })),
  };
  return {
    status: {
      clusterName: 'lab',
      servers,
      groups: [{ name: 'failover1', state: current === null ? 'offline' : 'online', stateText: '', currentServer: current, resources: ['md1'] }],
      monitors: [],
      stopped: false,
    },
    mirrors: [mirror],
  };
}

const clpdown = exitOf({ kind: 'stop-server' }, 'server1');
const reboot = exitOf('reboot', 'server1');

describe('the agent refuses what would leave a group or a mirror without a server', () => {
  it('lets clpdown and a reboot through while the other server can take the group and has the mirror up to date', () => {
    expect(availabilityBreaches(clpdown!, view('online'))).toEqual([]);
    expect(availabilityBreaches(reboot!, view('online'))).toEqual([]);
  });

  it('refuses clpdown of server1 when server2 is down, naming failover1 and md1', () => {
    const breaches = availabilityBreaches(clpdown!, view('offline', { server1: 'GREEN', server2: 'RED' }));
    expect(breaches).toEqual([
      'group failover1 (on server1) would have no online server to fail over to (no other server is online)',
      'mirror md1 would have no up-to-date copy online (GREEN only on server1)',
    ]);
  });

  it('refuses when server2 is online but its copy of the group mirror is behind (RED): the group could not start there', () => {
    const breaches = availabilityBreaches(reboot!, view('online', { server1: 'GREEN', server2: 'RED' }));
    expect(breaches.some((line) => line.startsWith('group failover1'))).toBe(true);
    expect(breaches.some((line) => line.startsWith('mirror md1'))).toBe(true);
  });

  it('lets a server go whose groups run elsewhere and whose mirror copy is not the only current one', () => {
    expect(availabilityBreaches(clpdown!, view('online', { server1: 'RED', server2: 'GREEN' }, 'server2'))).toEqual([]);
  });

  it('refuses clpstdn whatever the state, and clpgrp -t of a running group', () => {
    expect(availabilityBreaches(exitOf({ kind: 'stop-cluster' }, 'server1')!, view('online'))).toHaveLength(1);
    expect(availabilityBreaches(exitOf({ kind: 'stop-group', group: 'failover1' }, 'server1')!, view('online'))).toEqual([
      'group failover1 would be stopped (it runs on server1) and run nowhere',
    ]);
    expect(availabilityBreaches(exitOf({ kind: 'stop-group', group: 'failover1' }, 'server1')!, view('online', undefined, null))).toEqual([]);
  });

  it('refuses moving a group to a server that is down, or where its mirror is behind; allows a move to a ready server', () => {
    const move = (to?: string) => exitOf({ kind: 'move-group', group: 'failover1', ...(to !== undefined && { server: to }) }, 'server1')!;
    expect(availabilityBreaches(move('server2'), view('offline'))).toEqual(['group failover1 (on server1) would be moved to server2, where it cannot run: server2 is not online']);
    expect(availabilityBreaches(move('server2'), view('online', { server1: 'GREEN', server2: 'RED' }))[0]).toMatch(/mirror md1 is not up to date there/);
    expect(availabilityBreaches(move(), view('offline'))).toEqual(['group failover1 (on server1) has no other online server to move to']);
    expect(availabilityBreaches(move('server2'), view('online'))).toEqual([]);
  });

  it('lets anything through from a server whose cluster service is stopped (it sees every server offline)', () => {
    const stopped = view('offline', undefined, null);
    stopped.status.servers = stopped.status.servers.map((server) => ({ ...server, state: 'offline' }));
    expect(availabilityBreaches(clpdown!, stopped)).toEqual([]);
  });

  it('takes nothing out for actions that keep every server and group where they are', () => {
    expect(exitOf({ kind: 'suspend' }, 'server1')).toBeUndefined();
    expect(exitOf({ kind: 'mirror-recover', mirror: 'md1' }, 'server1')).toBeUndefined();
  });
});

describe('a group still failing over (Online Pending)', () => {
  function pending(current: string | null): ClusterView {
    const base = view('online');
    return { ...base, status: { ...base.status, groups: [{ name: 'failover1', state: 'online-pending', stateText: 'Online Pending', currentServer: current, resources: ['md1'] }] } };
  }

  it('refuses taking any server out until the group has landed, whether it is heading here, elsewhere or nowhere yet', () => {
    for (const current of ['server1', 'server2', null]) {
      expect(availabilityBreaches(clpdown!, pending(current))).toEqual([expect.stringMatching(/^group failover1 is failing over \(Online Pending, .*\); wait until it is online before taking server1 out$/)]);
    }
    expect(availabilityBreaches(reboot!, pending(null))[0]).toMatch(/with no server to start on yet/);
  });

  it('says nothing about it once it is online', () => {
    expect(availabilityBreaches(clpdown!, view('online'))).toEqual([]);
  });
});

describe('a suspended cluster (clpcl --suspend, 3.1.4)', () => {
  it('refuses taking out a server that runs a group: nothing would fail over, even with the other server up', () => {
    const suspended = view('suspended');
    suspended.status.servers = suspended.status.servers.map((server) => ({ ...server, state: 'suspended', stateText: 'Suspend' }));
    expect(availabilityBreaches(clpdown!, suspended)).toEqual(['group failover1 (on server1) would have no online server to fail over to (the cluster is suspended: nothing fails over)']);
  });
});

describe('a Solaris resource group runs only on the nodes of its node list', () => {
  /** Three nodes, all in the cluster; app-rg on node1 with node list node1, node2 (no mirrors). */
  function solaris(node2: ServerState): ClusterView {
    const servers: ClusterServer[] = ['node1', 'node2', 'node3'].map((name) => ({ name, state: name === 'node2' ? node2 : 'online', stateText: '', local: name === 'node1' }));
    return {
      status: { clusterName: '', servers, groups: [{ name: 'app-rg', state: 'online', stateText: 'Online', currentServer: 'node1', nodeList: ['node1', 'node2'] }], monitors: [], stopped: false },
      mirrors: [],
    };
  }
  const evacuate = exitOf({ kind: 'evacuate', node: 'node1' } as never, 'node1');

  it('refuses evacuating node1 when the only other node of the list is out, although node3 is up', () => {
    expect(availabilityBreaches(evacuate!, solaris('offline'))).toEqual(['group app-rg (on node1) would have no online server to fail over to (online: node3)']);
    expect(availabilityBreaches(evacuate!, solaris('online'))).toEqual([]);
  });

  it('refuses moving the group to a node outside its list', () => {
    const move = exitOf({ kind: 'move-group', group: 'app-rg', server: 'node3' } as never, 'node1');
    expect(availabilityBreaches(move!, solaris('online'))).toEqual(['group app-rg (on node1) would be moved to node3, where it cannot run: node3 is not in its node list (node1, node2)']);
    const anywhere = exitOf({ kind: 'move-group', group: 'app-rg', server: '' } as never, 'node1');
    expect(availabilityBreaches(anywhere!, solaris('offline'))).toEqual(['group app-rg (on node1) has no other online server to move to']);
  });
});
