// `lockstep lab power --dir LAB NODE off|on` (issue 16): a server fails from outside, as a
// power loss would. Off: the node goes down in cluster.json and its groups fail over as the
// cluster model says; its services stop; the supervisor stops its agent and keeps it stopped.
// On: the flag is cleared and the supervisor starts the agent, which boots the node.
import { existsSync } from 'node:fs';
import { LockstepError } from '../shared/errors.js';
import { serverDown } from './clusterpro/cluster-model.js';
import { LabStore } from './node/lab-store.js';
import { powerDown } from './node/node-power.js';
import { labPaths } from './state/lab-state.js';
import { readScState, writeScState } from './solaris/sc-lab-state.js';
import { setNodeState } from './solaris/sc-model.js';

export type PowerSwitch = 'off' | 'on';

/** What the switch did, in one line for the operator. */
export async function switchPower(root: string, node: string, to: PowerSwitch, now: () => number = Date.now): Promise<string> {
  if (!existsSync(labPaths(root).node(node).state)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `NODE: "${node.slice(0, 64)}" is not a node of the lab in ${root}`, { field: 'NODE' });
  }
  const store = new LabStore(root, node, now);
  return store.update((view) => {
    if (to === 'off') {
      if (view.node.poweredOff === true) return `${node} is already powered off`;
      if (view.node.os === 'solaris') {
        const down = setNodeState(readScState(view), node, 'down');
        if (down.ok) writeScState(view, down.state);
        powerDown(view, node);
        view.node.poweredOff = true;
        const groups = (view.cluster.resourceGroups ?? []).map((group) => `${group.name} ${group.node === null ? group.state : `on ${group.node}`}`);
        return `${node} powered off; its agent stops${groups.length > 0 ? `; resource groups: ${groups.join(', ')}` : ''}`;
      }
      view.cluster = serverDown(view.cluster, node, now());
      powerDown(view, node);
      view.node.poweredOff = true;
      const moved = Object.entries(view.cluster.groups).map(([group, entry]) => `${group} ${entry.current === null ? 'runs nowhere' : `on ${entry.current}`}`);
      return `${node} powered off; its agent stops${moved.length > 0 ? `; groups: ${moved.join(', ')}` : ''}`;
    }
    if (view.node.poweredOff !== true) return `${node} is not powered off (lab power on only undoes lab power off)`;
    delete view.node.poweredOff;
    return `${node} powered on: the lab supervisor starts its agent, which boots the node`;
  });
}

export function parsePowerSwitch(value: string): PowerSwitch {
  if (value === 'off' || value === 'on') return value;
  throw new LockstepError('LOCKSTEP_E_CONFIG', `STATE: expected off or on, got "${value.slice(0, 40)}"`, { field: 'STATE' });
}
