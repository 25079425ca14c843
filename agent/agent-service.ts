// The agent's operations (shared/agent-api.ts) on this node. Every request is checked here,
// once, so the drivers receive values that are already valid; every mutating call goes
// through the journal so it runs at most once. The gRPC adapter (agent/grpc) maps the wire.
import type { AgentApi, ServiceControlAnswer } from '../shared/agent-api.js';
import type { ClusterAction, ClusterStatus, MirrorStatus } from '../shared/domain/cluster.js';
import type { NodeInfo } from '../shared/domain/node.js';
import type { OpContext, Operation, OperationResult } from '../shared/domain/operation.js';
import { unknownOperation } from '../shared/domain/operation.js';
import type { PackageFile, PackageInfo, PackageRequest } from '../shared/domain/package.js';
import type { ServiceAction } from '../shared/domain/service.js';
import type { PackageText, ScResourceSummary } from '../shared/domain/solaris.js';
import { describeError, invalidArgument, LockstepError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { optionalName, requireName, requireText } from '../shared/names.js';
import { operationResult } from './drivers/command-outcome.js';
import { availabilityBreaches, exitOf, type ClusterView } from './availability-veto.js';
import { checkClusterAction } from './cluster-action-rules.js';
import type { ClusterDriver, PackageDriver, ServiceDriver } from './drivers/driver.js';
import { requireAllowedService } from './drivers/service/service-allow-list.js';
import type { HookRunner } from './hook-runner.js';
import type { NodeFacts } from './node-facts.js';
import { REBOOT_KIND, type OpJournal } from './op-journal.js';
import type { PackageFileReader } from './package-file-reader.js';
import type { PackageStaging } from './package-staging.js';
import type { Platform } from './platform.js';
import type { Rebooter } from './rebooter.js';

export interface AgentServiceDeps {
  journal: OpJournal;
  facts: NodeFacts;
  packages: PackageDriver;
  services: ServiceDriver;
  cluster: ClusterDriver;
  /** Opens, checks and copies package files; rpm reads only the copies. */
  staging: PackageStaging;
  /** Reads a file from inside an SVR4 package directory (the RTR), under the same path guard. */
  packageFiles: PackageFileReader;
  hooks: HookRunner;
  rebooter: Rebooter;
  logger: Logger;
  agentVersion: string;
  /** What detectPlatform found; Linux when absent. */
  platform?: Platform;
  /** How long after answering a Reboot the reboot command runs (lets the reply leave). */
  rebootDelayMs?: number;
}

export class AgentService implements AgentApi {
  /** Operations executing now, so a duplicate that arrives meanwhile waits for the result. */
  private readonly inFlight = new Map<string, Promise<Operation>>();

  constructor(private readonly deps: AgentServiceDeps) {}

  async nodeInfo(): Promise<NodeInfo> {
    const { facts, platform } = this.deps;
    return {
      hostname: await facts.hostname(),
      platform: await facts.machine(),
      kernelRelease: platform?.os === 'solaris' && platform.kernelRelease !== '' ? platform.kernelRelease : await facts.kernelRelease(),
      bootId: await facts.bootId(),
      agentVersion: this.deps.agentVersion,
      drivers: [
        { role: 'package', name: this.deps.packages.name },
        { role: 'service', name: this.deps.services.name },
        { role: 'cluster', name: this.deps.cluster.name },
      ],
      uptimeSeconds: await facts.uptimeSeconds(),
      os: platform?.os ?? facts.os(),
    };
  }

  async queryPackage(name: string): Promise<PackageInfo> {
    return this.deps.packages.query(requireName('name', name));
  }

  /** The header, size and digest of one copy of the file: what rpm reads is what is hashed. */
  async inspectPackageFile(path: string): Promise<PackageFile> {
    const staged = await this.deps.staging.stage('path', path);
    try {
      return { package: await this.deps.packages.inspectFile(staged.path), size: staged.size, sha256: staged.sha256 };
    } finally {
      await staged.remove();
    }
  }

  applyPackage(context: OpContext, request: PackageRequest): Promise<Operation> {
    return this.journaled(context, `package.${request.action}`, journalRecord(request), () => this.preparePackage(request));
  }

  async controlService(context: OpContext | undefined, name: string, action: ServiceAction): Promise<ServiceControlAnswer> {
    const { services } = this.deps;
    if (action === 'status') return { status: await services.status(requireAllowedService(services.allowList, name)) };
    if (context === undefined) throw invalidArgument('op', `is required for ${action.toUpperCase()}`);
    const operation = await this.journaled(context, `service.${action}`, { name, action }, async () => {
      const service = requireAllowedService(services.allowList, name);
      return { run: async () => ({ ...(await services.control(service, action)), serviceStatus: await services.status(service) }) };
    });
    return { operation, status: operation.result.serviceStatus ?? { name, enabled: false, running: false } };
  }

  clusterStatus(): Promise<ClusterStatus> {
    return this.deps.cluster.status();
  }

  async mirrorStatus(resource: string): Promise<MirrorStatus[]> {
    return this.deps.cluster.mirrors(optionalName('resource', resource));
  }

  async clusterAction(context: OpContext, sent: ClusterAction): Promise<Operation> {
    const action = await this.ownNodeFilled(sent);
    if (this.deps.platform?.os === 'solaris' && (action.kind === 'boot-noncluster' || action.kind === 'rejoin')) {
      return this.rebootOnce(context, `cluster.${action.kind}`, checkClusterAction(action), SOLARIS_BOOT_ARGV[action.kind]);
    }
    // The journaled request gains the flag only when it is set: a request without it digests as before.
    const request = context.plannedDowntime ? { ...action, plannedDowntime: true } : action;
    return this.journaled(context, `cluster.${action.kind}`, request, async () => {
      const checked = checkClusterAction(action);
      await this.vetoUnlessPlanned(context, checked);
      return { run: async () => plannedNote(context, await this.deps.cluster.act(checked)) };
    });
  }

  runHook(context: OpContext, name: string, args: readonly string[]): Promise<Operation> {
    return this.journaled(context, 'hook.run', { name, args }, async () => {
      const hook = await this.deps.hooks.open(name, args);
      return { run: () => this.deps.hooks.run(hook, args), release: () => hook.close() };
    });
  }

  /**
   * Journals the reboot as RUNNING and answers; the reboot command runs a moment later. The
   * row becomes SUCCEEDED when the agent next starts under a new boot id (op-journal).
   */
  reboot(context: OpContext): Promise<Operation> {
    return this.rebootOnce(context, REBOOT_KIND, {});
  }

  async clusterResources(type: string): Promise<ScResourceSummary[]> {
    const checked = requireName('resource_type', type);
    const { cluster } = this.deps;
    if (cluster.resourcesOfType === undefined) {
      throw new LockstepError('LOCKSTEP_E_UNSUPPORTED', `listing the resources of a type is a Solaris Cluster call; this node's cluster driver is ${cluster.name}`, { field: 'resource_type' });
    }
    return cluster.resourcesOfType(checked);
  }

  readPackageFile(packagePath: string, installedPath: string): Promise<PackageText> {
    return this.deps.packageFiles.read(packagePath, installedPath);
  }

  /**
   * The reboots: node.reboot, and Solaris Cluster's leave (`reboot -- -x`) and rejoin
   * (`reboot`). At most once per op id, under the availability veto like any exit of a node.
   */
  private async rebootOnce(context: OpContext, kind: string, request: object, argv?: readonly string[]): Promise<Operation> {
    validateContext(context);
    // A reboot already journaled is answered from the journal: the veto judged it when it was new.
    if (this.deps.journal.get(context.opId) === undefined) await this.vetoUnlessPlanned(context, 'reboot');
    const begun = this.deps.journal.begin(context, kind, context.plannedDowntime ? { ...request, plannedDowntime: true } : request);
    if (!begun.started) return begun.operation;
    this.deps.logger.warn({ ...logFields(context), kind, argv }, 'rebooting the node');
    setTimeout(() => void this.runReboot(context, argv), this.deps.rebootDelayMs ?? 200).unref();
    return begun.operation;
  }

  /** Solaris Cluster's `clnode evacuate` acts on this node: the agent names it when the request does not, and refuses another. */
  private async ownNodeFilled(action: ClusterAction): Promise<ClusterAction> {
    if (action.kind !== 'evacuate') return action;
    const own = await this.deps.facts.hostname();
    if (action.node === undefined || action.node === '') return { ...action, node: own };
    if (action.node !== own) throw invalidArgument('node', `"${action.node}" is not this node (${own}): a node evacuates itself; send EVACUATE to the agent of ${action.node}`);
    return action;
  }

  async getOperation(opId: string): Promise<Operation> {
    requireText('op_id', opId, 256);
    if (opId === '') throw invalidArgument('op_id', 'is required');
    return this.deps.journal.get(opId) ?? unknownOperation(opId);
  }

  /**
   * Issue 16 part 1: refuses (FAILED_PRECONDITION, before anything is journaled) an action
   * that would leave a running group with no server or a mirror with no up-to-date copy
   * online, as this node reads the cluster now. Planned downtime passes; so does a node whose
   * cluster state cannot be read (no cluster software, or its cluster service is stopped): it
   * runs no group, so taking it out changes nothing the cluster has.
   */
  private async vetoUnlessPlanned(context: OpContext, action: ClusterAction | 'reboot'): Promise<void> {
    if (context.plannedDowntime) return;
    let view: ClusterView;
    try {
      view = { status: await this.deps.cluster.status(), mirrors: await this.deps.cluster.mirrors() };
    } catch (error) {
      if (action !== 'reboot' && action.kind === 'stop-cluster') throw vetoError(context, ['clpstdn stops every server of the cluster, and no planned downtime was declared']);
      this.deps.logger.warn({ ...logFields(context), err: describeError(error) }, 'cluster state unreadable: the availability veto lets the action through');
      return;
    }
    const local = view.status.servers.find((server) => server.local)?.name ?? (await this.deps.facts.hostname());
    const exit = exitOf(action, local);
    const breaches = exit === undefined ? [] : availabilityBreaches(exit, view);
    if (breaches.length > 0) throw vetoError(context, breaches);
  }

  /**
   * A removal needs a well-formed name. A file is copied (package-staging) and rpm gets the
   * copy, once its digest is the one the plan recorded; FORCE only with DOWNGRADE.
   */
  private async preparePackage(request: PackageRequest): Promise<Prepared> {
    const testOnly = request.testOnly ?? false;
    if (request.action === 'remove') {
      const name = requireName('name', request.name);
      return { run: () => this.deps.packages.apply({ action: 'remove', name, testOnly }) };
    }
    const force = request.force ?? false;
    if (force && request.action !== 'downgrade') throw invalidArgument('force', 'applies to DOWNGRADE only');
    const expected = optionalDigest(request.expectedSha256);
    const staged = await this.deps.staging.stage('path', request.path);
    if (expected !== undefined && staged.sha256 !== expected) {
      await staged.remove();
      throw new LockstepError(
        'LOCKSTEP_E_DIGEST_MISMATCH',
        `sha256: ${request.path} is now ${staged.sha256}, not ${expected} as when the plan was made: the file changed after the plan; nothing was run — check the file, then plan again`,
        { field: 'sha256' },
      );
    }
    return { run: () => this.deps.packages.apply({ action: request.action, path: staged.path, testOnly, force }), release: staged.remove };
  }

  private async runReboot(context: OpContext, argv?: readonly string[]): Promise<void> {
    const result = operationResult(await this.deps.rebooter.reboot(argv));
    if (result.ok) return;
    // The node did not go down: say so, rather than leave the coordinator waiting for a boot.
    this.deps.journal.finish(context.opId, result);
    this.deps.logger.error({ ...logFields(context), message: result.message }, 'reboot command failed');
  }

  /**
   * The at-most-once wrapper. A known op_id answers from the journal. Otherwise `prepare`
   * validates (throwing INVALID_ARGUMENT before anything is written) and returns the action,
   * which runs once between the RUNNING row and the result row; what it holds (a staged copy,
   * an open hook) is released afterwards, whether it ran or not.
   */
  private async journaled(context: OpContext, kind: string, request: unknown, prepare: () => Promise<Prepared>): Promise<Operation> {
    validateContext(context);
    const running = this.inFlight.get(context.opId);
    if (running !== undefined) {
      this.deps.journal.begin(context, kind, request); // refuses a conflicting reuse of the op_id
      return running;
    }
    const known = this.deps.journal.get(context.opId);
    if (known !== undefined) return this.answerKnown(context, kind, request);
    const prepared = await prepare();
    try {
      const begun = this.deps.journal.begin(context, kind, request);
      if (!begun.started) return await this.answerKnown(context, kind, request);
      const execution = this.execute(context, kind, prepared.run);
      this.inFlight.set(context.opId, execution);
      try {
        return await execution;
      } finally {
        this.inFlight.delete(context.opId);
      }
    } finally {
      await prepared.release?.();
    }
  }

  private answerKnown(context: OpContext, kind: string, request: unknown): Promise<Operation> {
    const begun = this.deps.journal.begin(context, kind, request);
    this.deps.logger.info({ ...logFields(context), kind, state: begun.operation.state }, 'known op_id: answered from the journal, nothing run');
    return this.inFlight.get(context.opId) ?? Promise.resolve(begun.operation);
  }

  private async execute(context: OpContext, kind: string, action: () => Promise<OperationResult>): Promise<Operation> {
    const fields = logFields(context);
    this.deps.logger.info({ ...fields, kind }, 'operation started');
    let result: OperationResult;
    try {
      result = await action();
    } catch (error) {
      result = { ok: false, commands: [], message: describeError(error) };
    }
    const operation = this.deps.journal.finish(context.opId, result);
    this.deps.logger.info({ ...fields, kind, state: operation.state, message: result.message || undefined }, 'operation finished');
    return operation;
  }
}

/** SPEC §5.3: out of the cluster is a boot with `-x` (non-cluster mode); back in is a plain reboot. */
const SOLARIS_BOOT_ARGV: Record<'boot-noncluster' | 'rejoin', readonly string[]> = {
  'boot-noncluster': ['reboot', '--', '-x'],
  rejoin: ['reboot'],
};

/** The journal's result says the action ran as planned downtime, past the veto. */
function plannedNote(context: OpContext, result: OperationResult): OperationResult {
  if (!context.plannedDowntime) return result;
  const note = 'planned downtime (declared by the plan): the availability veto was not applied';
  return { ...result, message: result.message === '' ? note : `${result.message}; ${note}` };
}

function vetoError(context: OpContext, breaches: readonly string[]): LockstepError {
  return new LockstepError(
    'LOCKSTEP_E_AVAILABILITY_VETO',
    `refused by the agent's availability check: ${breaches.join('; ')}. Nothing was run (op ${context.opId}); bring the missing server back or recover the mirror, then retry — or, if the plan stops the cluster by design, declare the downtime (\`downtime: planned\`)`,
  );
}

/** A checked request, ready to run, and what to let go of once it has (or has not) run. */
interface Prepared {
  run: () => Promise<OperationResult>;
  release?: () => Promise<void>;
}

// Fields on each log line rather than a child logger per operation: a pino child costs more
// to build than the two lines it would write.
function logFields(context: OpContext): { op_id: string; run: string; epoch: number } {
  return { op_id: context.opId, run: context.runId, epoch: context.epoch };
}

export function validateContext(context: OpContext): void {
  if (context.opId === '') throw invalidArgument('op.op_id', 'is required for a mutating request');
  requireText('op.op_id', context.opId, 256);
  if (context.runId === '') throw invalidArgument('op.run_id', 'is required for a mutating request');
  requireText('op.run_id', context.runId, 256);
  if (!Number.isSafeInteger(context.epoch) || context.epoch < 1) throw invalidArgument('op.epoch', `must be a positive integer, got ${context.epoch}`);
}

/**
 * The request as the journal digests it to recognise a repeat: every field, in the order the
 * agent has always written them, so that a journal kept by an earlier agent still matches.
 */
function journalRecord(request: PackageRequest): { action: string; path: string; name: string; testOnly: boolean; force: boolean; expectedSha256?: string } {
  const testOnly = request.testOnly ?? false;
  if (request.action === 'remove') return { action: request.action, path: '', name: request.name, testOnly, force: false };
  // The pinned digest goes last, and only when there is one: a request without it digests as before.
  const pinned = request.expectedSha256 ? { expectedSha256: request.expectedSha256 } : {};
  return { action: request.action, path: request.path, name: '', testOnly, force: request.force ?? false, ...pinned };
}

/** A sha256 as the plan records it (64 lowercase hex digits), or undefined when the request pins none. */
function optionalDigest(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (!/^[0-9a-f]{64}$/.test(value)) throw invalidArgument('expected_sha256', `"${value.slice(0, 80)}" is not a sha256 (64 lowercase hex digits)`);
  return value;
}
