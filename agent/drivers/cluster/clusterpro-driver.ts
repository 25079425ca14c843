// CLUSTERPRO X / EXPRESSCLUSTER X: reads state with clpstat and clpmdstat, and acts with the
// commands the seed manual uses (clpcl, clpstdn, clpdown, clpgrp, clpmdctrl). Program names
// are looked up on PATH, as the manual types them.
import type { ClusterAction, ClusterActionKind, ClusterStatus, MirrorStatus } from '../../../shared/domain/cluster.js';
import type { OperationResult } from '../../../shared/domain/operation.js';
import { LockstepError } from '../../../shared/errors.js';
import { requireName } from '../../../shared/names.js';
import type { ExecResult, Executor } from '../../exec/executor.js';
import { operationResult, queryOutput } from '../command-outcome.js';
import type { ClusterDriver } from '../driver.js';
import { parseClpmdstatList, parseClpmdstatMirror } from './clpmdstat-parser.js';
import { parseClpstat } from './clpstat-parser.js';

export interface ClusterproDriverOptions {
  executor: Executor;
  /** Per command; the executor's default when unset. */
  timeoutMs?: number;
}

type ArgvFor = (action: ClusterAction) => string[];

// SPEC §3.1 ClusterAction. The Solaris Cluster kinds are absent on purpose: act() refuses them.
const ACTION_ARGV: ReadonlyMap<ClusterActionKind, ArgvFor> = new Map<ClusterActionKind, ArgvFor>([
  // CPRO-XL050-06 3.1.4 (2) and (7): suspend and resume the cluster daemon for a nonstop update.
  ['suspend', () => ['clpcl', '--suspend']],
  ['resume', () => ['clpcl', '--resume']],
  ['stop-cluster', () => ['clpstdn']],
  ['stop-server', () => ['clpdown']],
  ['move-group', (action) => ['clpgrp', '-m', required(action, 'group'), ...destination(action)]],
  ['start-group', (action) => ['clpgrp', '-s', required(action, 'group')]],
  ['stop-group', (action) => ['clpgrp', '-t', required(action, 'group')]],
  // CPRO-XL050-06 3.1.3.2: recover by hand when automatic mirror recovery is off.
  ['mirror-recover', (action) => ['clpmdctrl', '-r', required(action, 'mirror')]],
]);

export class ClusterproDriver implements ClusterDriver {
  readonly name = 'clusterpro';
  private readonly executor: Executor;
  private readonly timeoutMs: number | undefined;

  constructor(options: ClusterproDriverOptions) {
    this.executor = options.executor;
    this.timeoutMs = options.timeoutMs;
  }

  async status(): Promise<ClusterStatus> {
    return parseClpstat(await this.query(['clpstat']));
  }

  /** An empty or missing `resource` means every mirror `clpmdstat -l` lists. */
  async mirrors(resource?: string): Promise<MirrorStatus[]> {
    const names = resource === undefined || resource === '' ? await this.mirrorNames() : [resource];
    const statuses: MirrorStatus[] = [];
    // One at a time: the nodes are small, and the order of the answer follows clpmdstat -l.
    for (const name of names) {
      statuses.push(parseClpmdstatMirror(await this.query(['clpmdstat', '--mirror', name]), name));
    }
    return statuses;
  }

  async act(action: ClusterAction): Promise<OperationResult> {
    const argvFor = ACTION_ARGV.get(action.kind);
    if (argvFor === undefined) {
      throw new LockstepError(
        'LOCKSTEP_E_UNSUPPORTED',
        `cluster action "${action.kind}" is not supported by the ${this.name} driver: it is a Solaris Cluster action; send it to a node whose cluster driver is Solaris Cluster`,
      );
    }
    return operationResult(await this.run(argvFor(action)));
  }

  private async mirrorNames(): Promise<string[]> {
    // The names go back into argv, so they pass the same check as names from a request.
    return parseClpmdstatList(await this.query(['clpmdstat', '-l'])).map((name) => requireName('mirror', name));
  }

  private query(argv: string[]): Promise<string> {
    return queryOutput(this.executor, { argv, timeoutMs: this.timeoutMs });
  }

  private run(argv: string[]): Promise<ExecResult> {
    return this.executor.run({ argv, timeoutMs: this.timeoutMs });
  }
}

/** A field cluster-action-rules requires for this kind: its absence here is a bug, not a bad request. */
function required(action: ClusterAction, field: 'group' | 'mirror'): string {
  const value = action[field];
  if (value === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `cluster action ${action.kind} reached the driver without ${field}: the agent service should have refused it`);
  return value;
}

/** Without a server the failover policy picks the destination. */
function destination(action: ClusterAction): string[] {
  return action.server === undefined || action.server === '' ? [] : ['-a', action.server];
}
