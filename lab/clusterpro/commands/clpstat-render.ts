// `clpstat`'s layout (REFERENCE.md, from a public EXPRESSCLUSTER repository): sections
// <server>, <group>, <monitor>; `*` marks the local server; dot leaders up to column 21.
// When this server's cluster service is not running it sees nothing: every line Offline and
// every group's current None, as a stopped cluster prints (REFERENCE.md, "Stopped cluster").
// A group failing over is `Online Pending`, current the server it is starting on (None while
// no server can take it).
import { mirrorIsNormal, pendingTarget } from '../cluster-model.js';
import type { ClusterState } from '../../state/lab-state.js';

const RULE = ' =====================================================================';
const TITLE = ' ========================  CLUSTER STATUS  ===========================';
const NAME_WIDTH = 17;
const DETAIL_WIDTH = 15;
const STATE_WIDTH = 17;
const HEARTBEAT = 'lankhb1';

export function renderClpstat(cluster: ClusterState, local: string): string {
  const sees = cluster.servers[local]?.state === 'online';
  const lines = [TITLE, `  Cluster : ${cluster.clusterName}`, '  <server>'];
  for (const [server, { state }] of Object.entries(cluster.servers)) {
    const up = sees && state === 'online';
    lines.push(entry(server, up ? (cluster.suspended ? 'Suspend' : 'Online') : 'Offline', server === local));
    lines.push(detail(HEARTBEAT, `${(up ? 'Normal' : 'Offline').padEnd(STATE_WIDTH)}Kernel Mode LAN Heartbeat`));
  }
  lines.push('  <group>');
  for (const [group, { state, current, mirrors }] of Object.entries(cluster.groups)) {
    const pending = sees && state === 'moving';
    const running = sees && current !== null && state === 'online';
    lines.push(entry(group, pending ? 'Online Pending' : running ? 'Online' : 'Offline', false));
    lines.push(detail('current', (pending ? pendingTarget(cluster, group) : running ? current : undefined) ?? 'None'));
    for (const mirror of mirrors) lines.push(detail(mirror, pending ? 'Online Pending' : running ? 'Online' : 'Offline'));
  }
  lines.push('  <monitor>');
  const monitorState = (healthy: boolean): string => (!sees ? 'Offline' : cluster.suspended ? 'Suspend' : healthy ? 'Normal' : 'Caution');
  lines.push(entry('userw', monitorState(true), false, false));
  Object.keys(cluster.mirrors).forEach((mirror, index) => {
    lines.push(entry(`mdw${index + 1}`, monitorState(mirrorIsNormal(cluster, mirror)), false, false));
  });
  lines.push(RULE);
  return `${lines.join('\n')}\n`;
}

/** `    server2 .........: Online`, `   *server1 .........: Online`, `    userw            : Normal`. */
function entry(name: string, state: string, local: boolean, dots = true): string {
  const leader = name.length + 1 < NAME_WIDTH ? ` ${(dots ? '.' : ' ').repeat(NAME_WIDTH - name.length - 1)}` : '';
  return `${local ? '   *' : '    '}${name}${leader}: ${state}`;
}

function detail(name: string, value: string): string {
  return `      ${name.padEnd(DETAIL_WIDTH)}: ${value}`;
}
