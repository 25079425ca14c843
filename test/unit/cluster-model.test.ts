// The simulated cluster's reactions, as the manual's procedures meet them (CPRO-XL050-06
// 3.1.2–3.1.4): failover when a server leaves, mirrors RED → resync → GREEN when it is back,
// group moves refused where the product refuses them.
import { describe, expect, it } from 'vitest';
import {
  advance,
  canRunGroup,
  clusterDown,
  forceMirrorRecovery,
  moveGroup,
  pendingTarget,
  recoverMirror,
  REFUSAL,
  resyncMs,
  serverDown,
  serverJoins,
  serverStopped,
  setSuspended,
  startGroup,
  stopGroup,
  type ClusterChange,
} from '../../lab/clusterpro/cluster-model.js';
import type { ClusterState } from '../../lab/state/lab-state.js';

const T0 = 1_000_000;

function cluster(overrides: Partial<ClusterState> = {}): ClusterState {
  return {
    clusterName: 'lab',
    servers: { server1: { state: 'online' }, server2: { state: 'online' }, server3: { state: 'online' } },
    groups: {
      failover1: { current: 'server1', state: 'online', home: 'server1', servers: ['server1', 'server2', 'server3'], mirrors: ['md1'] },
      failover2: { current: 'server2', state: 'online', home: 'server2', servers: ['server2', 'server3', 'server1'], mirrors: [] },
    },
    mirrors: { md1: { server1: 'GREEN', server2: 'GREEN', server3: 'GREEN' } },
    suspended: false,
    autoMirrorRecovery: true,
    mirrorSizeMb: { md1: 500 },
    mirrorResyncMbPerSec: 500,
    failoverMs: 0,
    failovers: {},
    resyncs: {},
    breakTimes: {},
    ...overrides,
  };
}

function accepted(change: ClusterChange): ClusterState {
  if (!change.ok) throw new Error(`refused: ${change.reason}`);
  return change.state;
}

function refusal(change: ClusterChange): string {
  return change.ok ? 'accepted' : change.reason;
}

describe('a server goes down', () => {
  it('fails its groups over to the next server that can run them, and breaks its mirrors', () => {
    const before = cluster();
    const after = serverDown(before, 'server1', T0);
    expect(after.servers.server1?.state).toBe('down');
    expect(after.groups.failover1).toMatchObject({ current: 'server2', state: 'online' });
    expect(after.mirrors.md1).toEqual({ server1: 'RED', server2: 'GREEN', server3: 'GREEN' });
    expect(after.breakTimes.md1?.server1).toBe(T0);
    expect(before.servers.server1?.state).toBe('online');
  });

  it('skips servers whose mirror is not GREEN, and leaves a group offline when none can run it', () => {
    const state = cluster({ mirrors: { md1: { server1: 'GREEN', server2: 'RED', server3: 'GREEN' } } });
    expect(serverDown(state, 'server1', T0).groups.failover1?.current).toBe('server3');
    const alone = serverDown(serverDown(state, 'server3', T0), 'server1', T0);
    expect(alone.groups.failover1).toMatchObject({ current: null, state: 'offline' });
  });

  it('keeps the last up-to-date copy GREEN when nobody is left to write', () => {
    const state = cluster({ servers: { server1: { state: 'online' }, server2: { state: 'down' }, server3: { state: 'down' } } });
    expect(serverDown(state, 'server1', T0).mirrors.md1?.server1).toBe('GREEN');
  });

  it('does not fail over while the cluster is suspended (3.1.4)', () => {
    const state = serverDown(cluster({ suspended: true }), 'server2', T0);
    expect(state.groups.failover2).toMatchObject({ current: null, state: 'offline' });
  });

  it('stopping the cluster service leaves the server up but offline; a down server stays down', () => {
    expect(serverStopped(cluster(), 'server2', T0).servers.server2?.state).toBe('offline');
    expect(serverStopped(serverDown(cluster(), 'server2', T0), 'server2', T0).servers.server2?.state).toBe('down');
  });

  it('clpstdn takes every server down together without breaking the mirrors (3.1.2 (2))', () => {
    const state = clusterDown(cluster(), ['server1', 'server2', 'server3'], T0);
    expect(Object.values(state.servers).map((server) => server.state)).toEqual(['down', 'down', 'down']);
    expect(state.mirrors.md1).toEqual({ server1: 'GREEN', server2: 'GREEN', server3: 'GREEN' });
    expect(Object.values(state.groups).map((group) => group.current)).toEqual([null, null]);
  });
});

describe('a server comes back (3.1.3.2)', () => {
  it('resyncs its RED mirrors (YELLOW) and turns GREEN when the resync is done', () => {
    const down = serverDown(cluster(), 'server1', T0);
    const back = serverJoins(down, 'server1', T0 + 10);
    expect(back.servers.server1?.state).toBe('online');
    expect(back.mirrors.md1?.server1).toBe('YELLOW');
    expect(back.resyncs.md1?.server1).toBe(T0 + 10 + 1000);
    expect(advance(back, T0 + 1009).mirrors.md1?.server1).toBe('YELLOW');
    const done = advance(back, T0 + 1010);
    expect(done.mirrors.md1?.server1).toBe('GREEN');
    expect(done.resyncs.md1).toEqual({});
    expect(done.breakTimes.md1?.server1).toBeUndefined();
  });

  it('stays RED without automatic recovery until clpmdctrl -r', () => {
    const down = serverDown(cluster({ autoMirrorRecovery: false }), 'server1', T0);
    const back = serverJoins(down, 'server1', T0);
    expect(back.mirrors.md1?.server1).toBe('RED');
    const recovering = accepted(recoverMirror(back, 'md1', T0 + 5));
    expect(recovering.mirrors.md1?.server1).toBe('YELLOW');
    expect(advance(recovering, T0 + 1005).mirrors.md1?.server1).toBe('GREEN');
  });

  it('a resync stops when its only source goes down', () => {
    const state = cluster({
      servers: { server1: { state: 'online' }, server2: { state: 'online' }, server3: { state: 'down' } },
      mirrors: { md1: { server1: 'GREEN', server2: 'YELLOW', server3: 'RED' } },
      resyncs: { md1: { server2: T0 + 500 } },
    });
    const after = serverDown(state, 'server1', T0);
    expect(after.mirrors.md1).toEqual({ server1: 'GREEN', server2: 'RED', server3: 'RED' });
    expect(refusal(recoverMirror(after, 'md1', T0))).toBe(REFUSAL.noRecoverySource);
  });

  it('starts groups that run nowhere on their home server', () => {
    const all = ['server1', 'server2', 'server3'];
    const stopped = clusterDown(cluster(), all, T0);
    const first = serverJoins(stopped, 'server2', T0);
    expect(first.groups.failover2).toMatchObject({ current: 'server2', state: 'online' });
    expect(first.groups.failover1).toMatchObject({ current: 'server2', state: 'online' });
    const again = serverJoins(first, 'server1', T0);
    expect(again.groups.failover1?.current).toBe('server2');
  });

  it('joining twice changes nothing, so a stopped group is not restarted', () => {
    const stopped = accepted(stopGroup(cluster(), 'failover1'));
    expect(serverJoins(stopped, 'server1', T0)).toBe(stopped);
  });
});

describe('group operations (clpgrp)', () => {
  it('moves a group to a server that can run it', () => {
    const state = accepted(moveGroup(cluster(), 'failover1', 'server3'));
    expect(state.groups.failover1).toMatchObject({ current: 'server3', state: 'online' });
  });

  it('without -a the failover order picks the destination', () => {
    expect(accepted(moveGroup(cluster(), 'failover1', undefined)).groups.failover1?.current).toBe('server2');
  });

  it('refuses where the product refuses', () => {
    const red = cluster({ mirrors: { md1: { server1: 'GREEN', server2: 'RED', server3: 'GREEN' } } });
    expect(refusal(moveGroup(red, 'failover1', 'server2'))).toMatch(/^Failed to start one or more resources.*md1 is RED on server2/);
    expect(refusal(moveGroup(serverDown(cluster(), 'server2', T0), 'failover1', 'server2'))).toBe(REFUSAL.serverNotActive);
    expect(refusal(moveGroup(cluster({ suspended: true }), 'failover1', 'server2'))).toBe(REFUSAL.suspended);
    expect(refusal(moveGroup(cluster(), 'nosuch', 'server2'))).toBe(REFUSAL.noGroup);
    expect(refusal(moveGroup(cluster(), 'failover1', 'server9'))).toBe(REFUSAL.noServer);
    expect(refusal(moveGroup(cluster(), 'failover1', 'server1'))).toBe(REFUSAL.badTarget);
  });

  it('stops and starts a group', () => {
    const stopped = accepted(stopGroup(cluster(), 'failover2'));
    expect(stopped.groups.failover2).toMatchObject({ current: null, state: 'offline' });
    expect(refusal(stopGroup(stopped, 'failover2'))).toBe(REFUSAL.alreadyStopped);
    expect(refusal(moveGroup(stopped, 'failover2', 'server3'))).toBe(REFUSAL.alreadyStopped);
    const started = accepted(startGroup(stopped, 'failover2', 'server3'));
    expect(started.groups.failover2).toMatchObject({ current: 'server3', state: 'online' });
    expect(refusal(startGroup(started, 'failover2', 'server3'))).toBe(REFUSAL.startedHere);
    expect(refusal(startGroup(started, 'failover2', 'server1'))).toBe(REFUSAL.startedElsewhere);
  });

  it('canRunGroup needs the server online, listed and GREEN', () => {
    expect(canRunGroup(cluster(), 'failover1', 'server3')).toBe(true);
    expect(canRunGroup(serverStopped(cluster(), 'server3', T0), 'failover1', 'server3')).toBe(false);
  });
});

describe('suspend and resume (3.1.4 (2), (7))', () => {
  it('suspends a running cluster and resumes it; groups stay put', () => {
    const suspended = accepted(setSuspended(cluster(), true));
    expect(suspended.suspended).toBe(true);
    expect(suspended.groups).toEqual(cluster().groups);
    expect(accepted(setSuspended(suspended, false)).suspended).toBe(false);
  });

  it('refuses when no server runs the cluster service', () => {
    const stopped = clusterDown(cluster(), ['server1', 'server2', 'server3'], T0);
    expect(refusal(setSuspended(stopped, true))).toBe(REFUSAL.serverNotActive);
  });
});

describe('clpmdctrl -r', () => {
  it('is a success when there is nothing to recover, and refuses an unknown mirror', () => {
    expect(accepted(recoverMirror(cluster(), 'md1', T0)).mirrors.md1?.server1).toBe('GREEN');
    expect(refusal(recoverMirror(cluster(), 'md9', T0))).toBe(REFUSAL.noMirror);
  });
});

describe('failover takes time', () => {
  const slow = (overrides: Partial<ClusterState> = {}): ClusterState => cluster({ failoverMs: 3_000, ...overrides });

  it('a group whose server leaves is moving for the failover time, then online on the next server of its policy', () => {
    const left = serverDown(slow(), 'server1', T0);
    expect(left.groups.failover1).toMatchObject({ current: null, state: 'moving' });
    expect(left.failovers.failover1).toEqual({ from: 'server1', due: T0 + 3_000 });
    expect(pendingTarget(left, 'failover1')).toBe('server2');
    expect(advance(left, T0 + 2_999).groups.failover1).toMatchObject({ current: null, state: 'moving' });
    const after = advance(left, T0 + 3_000);
    expect(after.groups.failover1).toMatchObject({ current: 'server2', state: 'online' });
    expect(after.failovers).toEqual({});
  });

  it('picks the next server that is up when the time is over, and stays offline when none is', () => {
    const left = serverDown(slow(), 'server1', T0);
    const secondGone = serverDown(left, 'server2', T0 + 1_000);
    expect(advance(secondGone, T0 + 3_000).groups.failover1?.current).toBe('server3');
    const allGone = serverDown(secondGone, 'server3', T0 + 2_000);
    expect(advance(allGone, T0 + 5_000).groups.failover1).toMatchObject({ current: null, state: 'offline' });
  });

  it('a group failing over cannot be moved or started, and clpgrp -t abandons the failover', () => {
    const left = serverDown(slow(), 'server1', T0);
    expect(refusal(moveGroup(left, 'failover1', 'server3'))).toBe(REFUSAL.pending);
    expect(refusal(startGroup(left, 'failover1', 'server3'))).toBe(REFUSAL.pending);
    const stopped = accepted(stopGroup(left, 'failover1'));
    expect(stopped.failovers).toEqual({});
    expect(advance(stopped, T0 + 10_000).groups.failover1).toMatchObject({ current: null, state: 'offline' });
  });

  it('a server that joins during a failover does not start the group early', () => {
    const everyoneElseDown = slow({ servers: { server1: { state: 'online' }, server2: { state: 'down' }, server3: { state: 'down' } } });
    const left = serverDown(everyoneElseDown, 'server1', T0);
    const joined = serverJoins(left, 'server3', T0 + 100);
    expect(joined.groups.failover1?.state).toBe('moving');
    expect(advance(joined, T0 + 3_000).groups.failover1?.current).toBe('server3');
  });

  it('clpstdn stops the groups at once: a cluster shutdown is no failover', () => {
    const state = clusterDown(slow(), ['server1', 'server2', 'server3'], T0);
    expect(Object.values(state.groups).map((group) => group.state)).toEqual(['offline', 'offline']);
    expect(state.failovers).toEqual({});
  });
});

describe('mirror resync takes the size over the rate, and gates failover', () => {
  it('lasts size / rate', () => {
    const state = cluster({ mirrorSizeMb: { md1: 2_048 }, mirrorResyncMbPerSec: 512 });
    expect(resyncMs(state, 'md1')).toBe(4_000);
    const back = serverJoins(serverDown(state, 'server1', T0), 'server1', T0 + 10);
    expect(back.resyncs.md1?.server1).toBe(T0 + 10 + 4_000);
  });

  it('a failover waits for no resync: a server still YELLOW is passed over for the next GREEN one', () => {
    const state = cluster({ failoverMs: 1_000, mirrors: { md1: { server1: 'GREEN', server2: 'YELLOW', server3: 'GREEN' } }, resyncs: { md1: { server2: T0 + 5_000 } } });
    expect(advance(serverDown(state, 'server1', T0), T0 + 1_000).groups.failover1?.current).toBe('server3');
  });

  it('a resync that ends within the failover time lets the group start there', () => {
    const state = cluster({ failoverMs: 1_000, mirrors: { md1: { server1: 'GREEN', server2: 'YELLOW', server3: 'GREEN' } }, resyncs: { md1: { server2: T0 + 500 } } });
    const left = serverDown(state, 'server1', T0);
    expect(left.mirrors.md1?.server2).toBe('YELLOW');
    expect(advance(left, T0 + 1_000).groups.failover1?.current).toBe('server2');
  });

  it('a resync whose last source leaves stops, and the group has nowhere to go', () => {
    const state = cluster({ failoverMs: 1_000, mirrors: { md1: { server1: 'GREEN', server2: 'YELLOW', server3: 'RED' } }, resyncs: { md1: { server2: T0 + 500 } } });
    const left = serverDown(state, 'server1', T0);
    expect(left.mirrors.md1?.server2).toBe('RED');
    expect(advance(left, T0 + 1_000).groups.failover1).toMatchObject({ current: null, state: 'offline' });
  });

  it('a group will not start on a stale copy, unless the recovery is forced (clpmdctrl -f)', () => {
    const alone = cluster({ servers: { server1: { state: 'down' }, server2: { state: 'online' }, server3: { state: 'down' } }, mirrors: { md1: { server1: 'GREEN', server2: 'RED', server3: 'RED' } } });
    const stopped = accepted(stopGroup(alone, 'failover1'));
    expect(refusal(startGroup(stopped, 'failover1', 'server2'))).toMatch(/^Failed to start one or more resources.*md1 is RED on server2/);
    const forced = accepted(forceMirrorRecovery(stopped, 'md1', 'server2', T0));
    expect(forced.mirrors.md1).toEqual({ server1: 'RED', server2: 'GREEN', server3: 'RED' });
    expect(accepted(startGroup(forced, 'failover1', 'server2')).groups.failover1).toMatchObject({ current: 'server2', state: 'online' });
    expect(refusal(forceMirrorRecovery(stopped, 'md1', 'server1', T0))).toBe(REFUSAL.serverNotActive);
    expect(refusal(forceMirrorRecovery(stopped, 'md9', 'server2', T0))).toBe(REFUSAL.noMirror);
  });

  it('a forced recovery resyncs the other servers that are up from the forced copy', () => {
    const state = cluster({ mirrors: { md1: { server1: 'GREEN', server2: 'RED', server3: 'GREEN' } } });
    const forced = accepted(forceMirrorRecovery(state, 'md1', 'server2', T0));
    expect(forced.mirrors.md1).toEqual({ server1: 'YELLOW', server2: 'GREEN', server3: 'YELLOW' });
    expect(advance(forced, T0 + 1_000).mirrors.md1).toEqual({ server1: 'GREEN', server2: 'GREEN', server3: 'GREEN' });
  });
});
