// `clpmdstat --mirror MD` and `clpmdstat -l` (CLUSTERPRO X Replicator), laid out as the
// seed manual's samples (CPRO-XL050-06 3.1.3.2 and 3.1.3.5): the local server's column
// first; a Normal mirror shows only its colours; an Abnormal one adds the times, with `--`
// on the servers that fell behind and the break time on the one that kept the data. Under
// recovery the copy is YELLOW and Difference Percent falls as the resync proceeds.
import { mirrorIsNormal, resyncMs } from '../cluster-model.js';
import type { ClusterState } from '../../state/lab-state.js';

const LABEL_WIDTH = 19;
const COLUMN_WIDTH = 23;
const NONE = '--';

export function renderMirrorList(cluster: ClusterState): string {
  return Object.keys(cluster.mirrors)
    .map((mirror) => `<${mirror}>\n`)
    .join('');
}

export function renderMirror(cluster: ClusterState, mirror: string, local: string, now: number): string {
  const colors = cluster.mirrors[mirror] ?? {};
  const servers = Object.keys(colors).sort((a, b) => Number(b === local) - Number(a === local));
  const normal = mirrorIsNormal(cluster, mirror);
  const breaks = Object.values(cluster.breakTimes[mirror] ?? {});
  const brokeAt = breaks.length > 0 ? Math.max(...breaks) : now;
  const row = (label: string, cell: (server: string) => string): string =>
    `${label.padEnd(LABEL_WIDTH)}${servers.map((server) => cell(server).padEnd(COLUMN_WIDTH)).join('').trimEnd()}`;
  const current = (server: string): boolean => colors[server] === 'GREEN';
  const lines = ['', `Mirror Status: ${normal ? 'Normal' : 'Abnormal'}`, '', row(mirror, (server) => server), '-----'];
  lines.push(row('Mirror Color', (server) => colors[server] ?? 'GRAY'));
  if (!normal) {
    lines.push(row('Lastupdate Time', (server) => (current(server) ? formatTime(now) : NONE)));
    lines.push(row('Break Time', (server) => (current(server) ? formatTime(brokeAt) : NONE)));
    lines.push(row('Disk Error', () => 'OK'));
    const difference = `${differencePercent(cluster, mirror, now)}%`;
    lines.push(row('Difference Percent', (server) => (current(server) ? difference : '0%')));
  }
  return `${lines.join('\n')}\n`;
}

/** What is left to copy: the slowest resync under way, or the manual's 1% when none runs. */
function differencePercent(cluster: ClusterState, mirror: string, now: number): number {
  const total = resyncMs(cluster, mirror);
  const left = Object.values(cluster.resyncs[mirror] ?? {}).map((due) => Math.ceil((100 * Math.max(0, due - now)) / Math.max(1, total)));
  return left.length === 0 ? 1 : Math.max(1, ...left);
}

/** `2008/10/22 10:12:51`, local time, as the manual's samples. */
function formatTime(epochMs: number): string {
  const date = new Date(epochMs);
  const two = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}/${two(date.getMonth() + 1)}/${two(date.getDate())} ${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
