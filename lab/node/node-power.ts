// A simulated node powering off (reboot, clpdown, clpstdn): its services stop with it. The
// lab supervisor notices power 'down', waits the node's reboot delay and starts its agent
// again, which boots the node (sim-boot.ts). An agent whose node is powered off from
// elsewhere (clpstdn on another server) exits through watchPowerOff.
import { serverDown } from '../clusterpro/cluster-model.js';
import { readNodeState } from '../state/lab-state.js';
import type { LabView } from './lab-store.js';
import type { CommandOutput, SimContext } from './sim-command.js';

/** This node leaves the cluster (its groups fail over) and powers off; the agent exits after answering. */
export async function powerOffThisNode(context: SimContext, stdout: string): Promise<CommandOutput> {
  const powerOff = (): Promise<void> =>
    context.store.update((view) => {
      view.cluster = serverDown(view.cluster, context.node, context.now());
      powerDown(view, context.node);
    });
  return { exitCode: 0, stdout, stderr: '', powerOff };
}

export function powerDown(view: LabView, name: string): void {
  const node = name === view.node.name ? view.node : view.otherNode(name);
  if (node === undefined) return;
  node.power = 'down';
  for (const service of Object.values(node.services)) service.running = false;
}

/** Polls node.json; calls `onDown` once when the node is powered off. Returns a stop function. */
export function watchPowerOff(labDir: string, node: string, onDown: () => void, intervalMs = 200): () => void {
  const timer = setInterval(() => {
    let power: string;
    try {
      power = readNodeState(labDir, node).power;
    } catch {
      // Mid-replacement or being recreated: look again next time.
      return;
    }
    if (power !== 'down') return;
    clearInterval(timer);
    onDown();
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
