// How a rehearsal's faults (fault-spec.ts) reach the twin: through the lab's own knobs — a
// node's fault list (fault-knobs.ts), cluster.json's resync rate, the agent's pid, lab power.
import { LabStore } from '../node/lab-store.js';
import { agentPidFile, livePid, signal } from '../lab-processes.js';
import { switchPower } from '../lab-power.js';
import { labPaths } from '../state/lab-state.js';

/** The next `command` on `node` exits 1, once (the node's fault list, used up after one firing). */
export async function armFailOnce(root: string, node: string, command: readonly string[]): Promise<void> {
  await new LabStore(root, node, Date.now).update((view) => {
    view.node.faults.push({ match: [...command], mode: 'fail', delayMs: 0, exitCode: 1, stderr: `rehearsal: injected failure of ${command.join(' ')}\n`, times: 1 });
  });
}

/** Every mirror's resync takes `factor` times longer from now on. */
export async function slowMirrors(root: string, anyNode: string, factor: number): Promise<number> {
  return new LabStore(root, anyNode, Date.now).update((view) => {
    view.cluster.mirrorResyncMbPerSec = Math.round((view.cluster.mirrorResyncMbPerSec / factor) * 100) / 100;
    return view.cluster.mirrorResyncMbPerSec;
  });
}

/** SIGKILLs the node's agent, as a crash would; the lab supervisor starts it again. The pid killed, or undefined when none ran. */
export function killAgent(root: string, node: string): number | undefined {
  const nodeDir = labPaths(root).node(node).dir;
  const pid = livePid(agentPidFile(nodeDir), ['--sim', nodeDir]);
  if (pid !== undefined) signal(pid, 'SIGKILL');
  return pid;
}

export function powerOff(root: string, node: string): Promise<string> {
  return switchPower(root, node, 'off');
}

export function powerOn(root: string, node: string): Promise<string> {
  return switchPower(root, node, 'on');
}
