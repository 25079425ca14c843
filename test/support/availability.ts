// SPEC §5.2's availability invariant of a rolling update, checked on a lab as it ran:
// cluster.json sampled every ~50 ms (every group online or moving, on a server that is up;
// at most `batch` servers out of the cluster; a group changes server only by its own
// `clpgrp -m`, never by a failover) and history.jsonl (the servers' update windows, from
// clpdown to the reboot that brings them back, overlap at most `batch` at a time).
import { readClusterState, type ClusterState, type HistoryEntry } from '../../lab/state/lab-state.js';

export interface ClusterSample {
  t: number;
  cluster: Pick<ClusterState, 'servers' | 'groups'>;
}

export interface ClusterSampler {
  /** Stops sampling; returns what was seen. */
  stop(): ClusterSample[];
}

export function sampleCluster(labDir: string, intervalMs = 50): ClusterSampler {
  const samples: ClusterSample[] = [];
  const take = (): void => {
    try {
      samples.push({ t: performance.timeOrigin + performance.now(), cluster: readClusterState(labDir) });
    } catch {
      // Replaced atomically, so a read never sees half a file; a vanished lab ends the samples.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** What the samples show breaking the invariant; empty when it held. */
export function sampleViolations(samples: readonly ClusterSample[], history: readonly HistoryEntry[], maxDown: number): string[] {
  const violations: string[] = [];
  samples.forEach((sample, index) => {
    const at = `at ${new Date(sample.t).toISOString()}`;
    const out = Object.entries(sample.cluster.servers).filter(([, server]) => server.state !== 'online').map(([name]) => name);
    if (out.length > maxDown) violations.push(`${at}: ${out.length} servers out of the cluster (${out.join(', ')}), at most ${maxDown}`);
    for (const [name, group] of Object.entries(sample.cluster.groups)) {
      if (group.state === 'moving') continue;
      if (group.state !== 'online' || group.current === null) violations.push(`${at}: group ${name} is ${group.state}`);
      else if (sample.cluster.servers[group.current]?.state !== 'online') violations.push(`${at}: group ${name} is on ${group.current}, which is not online`);
      const before = samples[index - 1]?.cluster.groups[name];
      if (before?.current && group.current && before.current !== group.current && !movedBetween(history, name, samples[index - 1]?.t ?? 0, sample.t)) {
        violations.push(`${at}: group ${name} went from ${before.current} to ${group.current} without a clpgrp -m (a failover)`);
      }
    }
  });
  return violations;
}

/** Update windows from history.jsonl: clpdown → the reboot after `chkconfig --add clusterpro_alertsync`. */
export function historyViolations(history: readonly HistoryEntry[], maxDown: number): string[] {
  const windows = updateWindows(history);
  const violations: string[] = [];
  for (const window of windows) {
    const overlapping = windows.filter((other) => other.from <= window.from && window.from < other.to);
    if (overlapping.length > maxDown) violations.push(`${overlapping.map((each) => each.node).join(', ')} were being updated at once, at most ${maxDown}`);
  }
  return violations;
}

function updateWindows(history: readonly HistoryEntry[]): Array<{ node: string; from: number; to: number }> {
  return history
    .filter((entry) => entry.argv[0] === 'clpdown')
    .map((down) => {
      const enabled = history.find((entry) => entry.node === down.node && entry.t > down.t && entry.argv.join(' ') === 'chkconfig --add clusterpro_alertsync');
      const reboot = history.find((entry) => entry.node === down.node && entry.t > (enabled?.t ?? Infinity) && isReboot(entry.argv));
      return { node: down.node, from: down.t, to: reboot?.t ?? Infinity };
    });
}

function isReboot(argv: readonly string[]): boolean {
  return argv[0] === 'reboot' || (argv[0] === 'shutdown' && argv[1] === '-r');
}

function movedBetween(history: readonly HistoryEntry[], group: string, from: number, to: number): boolean {
  // A move is recorded when clpgrp started; cluster.json may show it a sample later.
  return history.some((entry) => entry.argv[0] === 'clpgrp' && entry.argv[1] === '-m' && entry.argv[2] === group && entry.t <= to && entry.t >= from - 5_000);
}
