// A local etcd cluster for the HA benchmarks (issue 15): Debian's etcd (/usr/bin/etcd) on free
// loopback ports, each member's data dir under `dir` (on disk: etcd's fsyncs are part of what
// is measured), etcd's default timings (heartbeat 100 ms, election 1 s). Every member runs in
// its own process group with a time limit and is killed at exit however the benchmark ends.
/* global fetch, AbortSignal */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, startProcess, waitFor } from './bounded-process.mjs';

export const ETCD_BINARY = '/usr/bin/etcd';

/** Why the HA benchmarks cannot run here, or undefined when they can. */
export function etcdMissing() {
  return existsSync(ETCD_BINARY) ? undefined : `${ETCD_BINARY} is missing (Debian 12: apt-get install -y etcd-server)`;
}

/**
 * Starts `members` members and resolves once the cluster has a leader (every member's /health
 * says true, which needs quorum). `maxMs`: each member is killed after that long.
 */
export async function startEtcdCluster({ dir, members = 3, maxMs }) {
  const token = `lockstep-bench-${process.pid}-${Date.now()}`;
  const layout = [];
  for (let index = 1; index <= members; index += 1) {
    layout.push({ name: `etcd${index}`, clientUrl: `http://127.0.0.1:${await freePort()}`, peerUrl: `http://127.0.0.1:${await freePort()}`, dataDir: join(dir, `etcd${index}.etcd`) });
  }
  const initialCluster = layout.map((member) => `${member.name}=${member.peerUrl}`).join(',');
  const running = layout.map((member) => {
    mkdirSync(member.dataDir, { recursive: true, mode: 0o700 });
    const argv = [
      ETCD_BINARY,
      `--name=${member.name}`,
      `--data-dir=${member.dataDir}`,
      `--listen-client-urls=${member.clientUrl}`,
      `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`,
      `--initial-advertise-peer-urls=${member.peerUrl}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=${token}`,
      '--logger=zap',
      '--log-level=warn',
    ];
    return { ...member, process: startProcess(argv, { timeoutMs: maxMs, log: join(dir, `${member.name}.log`), env: { PATH: '/usr/bin:/bin' } }) };
  });
  const cluster = {
    endpoints: running.map((member) => member.clientUrl),
    members: running,
    /** SIGTERM to every member (SIGKILL after 3 s); resolves once all have exited. */
    stop: () => Promise.all(running.map((member) => member.process.stop())),
    /** Counters from each member's /metrics: puts, transactions, WAL fsyncs, bytes received from clients. */
    metrics: () => Promise.all(running.map((member) => readMetrics(member.clientUrl))),
  };
  try {
    await waitFor('the etcd cluster to elect a leader', async () => ((await Promise.all(running.map((member) => healthy(member)))).every(Boolean) ? true : undefined), 30_000, 100);
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}

async function healthy(member) {
  if (member.process.child.exitCode !== null) throw Object.assign(new Error(`etcd member ${member.name} exited (log: ${member.dataDir}/../${member.name}.log)`), { fatal: true });
  const response = await fetch(`${member.clientUrl}/health`, { signal: AbortSignal.timeout(1_000) });
  return response.ok && (await response.json()).health === 'true';
}

const COUNTERS = {
  puts: 'etcd_mvcc_put_total',
  txns: 'etcd_mvcc_txn_total',
  walFsyncs: 'etcd_disk_wal_fsync_duration_seconds_count',
  backendCommits: 'etcd_disk_backend_commit_duration_seconds_count',
  clientBytesIn: 'etcd_network_client_grpc_received_bytes_total',
};

/** The counters of one member (a counter etcd does not export reads NaN). */
export async function readMetrics(clientUrl) {
  const text = await (await fetch(`${clientUrl}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return Object.fromEntries(
    Object.entries(COUNTERS).map(([name, metric]) => {
      const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric} `) || candidate.startsWith(`${metric}{`));
      return [name, line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))];
    }),
  );
}

/** after − before, counter by counter, for each member. */
export function metricsDelta(before, after) {
  return after.map((member, index) => Object.fromEntries(Object.entries(member).map(([name, value]) => [name, value - before[index][name]])));
}
