// The node facts of a simulated node (SPEC §9), read from its node.json on every call, so a
// simulated reboot shows a new boot id through GetNodeInfo exactly as a real one does.
import { readNodeState } from '../state/lab-state.js';
import type { NodeFacts } from '../../agent/node-facts.js';

export class SimFacts implements NodeFacts {
  constructor(
    private readonly labDir: string,
    private readonly node: string,
    private readonly now: () => number = Date.now,
  ) {}

  async hostname(): Promise<string> {
    return this.node;
  }

  async machine(): Promise<string> {
    return this.state().machine;
  }

  async kernelRelease(): Promise<string> {
    return this.state().kernel;
  }

  async bootId(): Promise<string> {
    return this.state().bootId;
  }

  async uptimeSeconds(): Promise<number> {
    const bootTime = this.state().bootTime ?? this.now();
    return Math.max(0, Math.floor((this.now() - bootTime) / 1000));
  }

  /** A Solaris Cluster lab's nodes are SunOS (node.json `os`). */
  os(): 'linux' | 'solaris' {
    return this.state().os ?? 'linux';
  }

  private state(): ReturnType<typeof readNodeState> {
    return readNodeState(this.labDir, this.node);
  }
}
