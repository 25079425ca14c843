// Moved to lab/ so that `lockstep rehearse` judges a rehearsal with the same checker (issue 17).
// SPEC §5.2's availability invariant of a rolling update, checked on a lab as it ran — the one
// checker of the chaos test, the procedure tests and the rollback tests. cluster.json is
// sampled every ~50 ms and read as the cluster model sees it at that instant (a failover or a
// resync that came due has finished, whether or not a node wrote it back yet):
// - at most `maxDown` servers out of the cluster, counting `offline` (cluster service stopped)
//   and `down` (powered off or rebooting) alike;
// - every group `online` on a server that is online: a group `offline`, or `moving` (failing
//   over: it serves nowhere until the failover time is over), is a gap;
// - a group changes server only by its own `clpgrp -m`, never by a failover (a failover shorter
//   than the sampling interval would otherwise go unseen).
// history.jsonl adds the servers' update windows, from clpdown to the reboot that brings them
// back, which overlap at most `maxDown` at a time.
import { advance } from './clusterpro/cluster-model.js';
import { readClusterState, type ClusterState, type HistoryEntry } from './state/lab-state.js';

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
    const t = performance.timeOrigin + performance.now();
    try {
      const { servers, groups } = advance(readClusterState(labDir), t);
      samples.push({ t, cluster: { servers, groups } });
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
    const out = Object.entries(sample.cluster.servers).filter(([, server]) => server.state !== 'online');
    if (out.length > maxDown) violations.push(`${at}: ${out.length} servers out of the cluster (${out.map(([name, server]) => `${name} ${server.state}`).join(', ')}), at most ${maxDown}`);
    for (const [name, group] of Object.entries(sample.cluster.groups)) {
      if (group.state === 'moving') violations.push(`${at}: group ${name} is failing over (moving): it runs nowhere`);
      else if (group.state !== 'online' || group.current === null) violations.push(`${at}: group ${name} is ${group.state}`);
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

/** Both checks: what broke the invariant over the samples and the history; empty when it held. */
export function availabilityViolations(samples: readonly ClusterSample[], history: readonly HistoryEntry[], maxDown: number): string[] {
  return [...sampleViolations(samples, history, maxDown), ...historyViolations(history, maxDown)];
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
