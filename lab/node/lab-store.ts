// The simulated node's access to the lab's state on disk (SPEC §9). Reads are lock-free
// (files are replaced atomically); every change is a read-modify-write under the lab lock,
// so nodes changing cluster.json at the same time never lose an update. The cluster model's
// clock runs on every access: a resync that is due has finished, whoever looks.
import { existsSync } from 'node:fs';
import { LockstepError } from '../../shared/errors.js';
import { advance } from '../clusterpro/cluster-model.js';
import {
  labPaths,
  readClusterState,
  readNodeState,
  withLabLock,
  writeClusterState,
  writeNodeState,
  type ClusterState,
  type NodeState,
} from '../state/lab-state.js';

/** The state a change works on; it mutates these objects (or replaces `cluster`). */
export interface LabView {
  cluster: ClusterState;
  /** This node. */
  node: NodeState;
  /** Another node's state, read on first use and written back with the rest; undefined if there is none. */
  otherNode(name: string): NodeState | undefined;
}

export class LabStore {
  constructor(
    readonly labDir: string,
    readonly nodeName: string,
    private readonly now: () => number,
  ) {}

  readNode(): NodeState {
    return readNodeState(this.labDir, this.nodeName);
  }

  /** The cluster as of now; a finished resync is also written back, for readers of cluster.json. */
  async readCluster(): Promise<ClusterState> {
    const stored = readClusterState(this.labDir);
    const current = advance(stored, this.now());
    if (JSON.stringify(current) === JSON.stringify(stored)) return current;
    return this.update((view) => view.cluster);
  }

  /** Runs `change` under the lab lock and writes back whatever it changed. */
  update<T>(change: (view: LabView) => T): Promise<T> {
    return withLabLock(this.labDir, () => {
      const storedCluster = readClusterState(this.labDir);
      const nodes = new Map<string, { stored: string; state: NodeState }>();
      const load = (name: string): NodeState | undefined => {
        const loaded = nodes.get(name);
        if (loaded !== undefined) return loaded.state;
        if (!existsSync(labPaths(this.labDir).node(name).state)) return undefined;
        const state = readNodeState(this.labDir, name);
        nodes.set(name, { stored: JSON.stringify(state), state });
        return state;
      };
      const node = load(this.nodeName);
      if (node === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `simulated node ${this.nodeName}: ${labPaths(this.labDir).node(this.nodeName).state} does not exist`);
      const view: LabView = { cluster: advance(storedCluster, this.now()), node, otherNode: load };
      const result = change(view);
      if (JSON.stringify(view.cluster) !== JSON.stringify(storedCluster)) writeClusterState(this.labDir, view.cluster);
      for (const { stored, state } of nodes.values()) if (JSON.stringify(state) !== stored) writeNodeState(this.labDir, state);
      return result;
    });
  }
}
