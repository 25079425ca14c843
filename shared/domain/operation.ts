import type { PackageInfo } from './package.js';
import type { ServiceStatus } from './service.js';

export type OperationState = 'UNKNOWN' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'INTERRUPTED';

/** Identifies one attempt of one step on one node, and the run's fencing epoch (§3.2). */
export interface OpContext {
  opId: string;
  runId: string;
  epoch: number;
  /**
   * The plan stops the cluster (or this server) by design (full-stop update, new install, a
   * runbook with `downtime: planned`): the agent's availability veto lets the action through.
   */
  plannedDowntime?: boolean;
}

/** What one external command did, as kept in the journal and shown to the operator. */
export interface CommandRecord {
  argv: string[];
  exitCode: number;
  /** The last bytes of stdout then stderr. */
  outputTail: string;
  timedOut: boolean;
  truncated: boolean;
  durationMs: number;
}

/** What an operation produced, stored in the journal once it has finished. */
export interface OperationResult {
  ok: boolean;
  commands: CommandRecord[];
  /** Why it failed, in words an operator can act on; empty on success. */
  message: string;
  packageChange?: { before: PackageInfo; after: PackageInfo };
  serviceStatus?: ServiceStatus;
}

export interface Operation {
  opId: string;
  runId: string;
  epoch: number;
  kind: string;
  state: OperationState;
  startedAtMs: number;
  finishedAtMs: number;
  bootId: string;
  result: OperationResult;
}

export function emptyResult(): OperationResult {
  return { ok: false, commands: [], message: '' };
}

export function unknownOperation(opId: string): Operation {
  return { opId, runId: '', epoch: 0, kind: '', state: 'UNKNOWN', startedAtMs: 0, finishedAtMs: 0, bootId: '', result: emptyResult() };
}
