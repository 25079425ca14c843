// What each step kind does on a node, through the agent's contract (shared/agent-api.ts):
// over gRPC in a run, or an in-process AgentService in a test. Mutating calls carry
// the task's op id, so sending one again (after a crash, or a lost answer) is answered from
// the agent's journal instead of running twice (SPEC §3.2, §4.2).
import type { AgentApi } from '../../shared/agent-api.js';
import type { ClusterAction, ClusterActionKind } from '../../shared/domain/cluster.js';
import type { OpContext, Operation } from '../../shared/domain/operation.js';
import type { PackageAction } from '../../shared/domain/package.js';
import type { ServiceAction } from '../../shared/domain/service.js';
import { isLockstepError, LockstepError } from '../../shared/errors.js';
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { StepParams } from '../runbook/step-params.js';
import { BOOT_ID_BEFORE, groupBeforeMove, observeEffect } from './observed-effect.js';

export interface StepOutcome {
  ok: boolean;
  message: string;
  outputTail: string;
}

export interface StepContext {
  agent: AgentApi;
  /** Another node's agent, for steps that wait on the whole cluster (cluster.shutdown). */
  agentFor: (node: string) => AgentApi;
  op: OpContext;
  params: StepParams;
  /** What the dispatch recorded (e.g. bootIdBefore); survives a coordinator restart. */
  recorded: Record<string, string>;
  /** Ends polling steps when the step's time is up. */
  deadline: number;
  sleep: (ms: number) => Promise<void>;
}

const POLL_MS = 200;

/**
 * Reads what a step must remember before it is dispatched (read-only; may run twice): the
 * boot ids that prove, afterwards, that a node went down and came back; where a group was
 * before a move that names no destination.
 */
export async function prepareDispatch(kind: NodeStepKind, node: string, nodes: readonly string[], agentFor: (node: string) => AgentApi, params: StepParams): Promise<Record<string, string>> {
  // A move without `to` is seen done by the group having left where it was: read that now.
  if (kind === 'group.move') return params.to === undefined ? groupBeforeMove(agentFor(node), params.group as string) : {};
  const watched = kind === 'cluster.shutdown' ? nodes : kind === 'node.reboot' || kind === 'server.shutdown' ? [node] : [];
  const bootIds = await Promise.all((SOLARIS_BOOT_KINDS.has(kind) ? [node] : watched).map(async (name) => [`${BOOT_ID_BEFORE}${name}`, (await agentFor(name).nodeInfo()).bootId] as const));
  return Object.fromEntries(bootIds);
}

export async function performStep(kind: NodeStepKind, context: StepContext): Promise<StepOutcome> {
  const { agent, params } = context;
  const op = params.plannedDowntime ? { ...context.op, plannedDowntime: true } : context.op;
  switch (kind) {
    case 'package.install':
    case 'package.upgrade':
    case 'package.downgrade': {
      const request = { action: PACKAGE_KINDS[kind], path: params.package as string, force: params.force ?? false };
      const operation = await agent.applyPackage(op, params.sha256 === undefined ? request : { ...request, expectedSha256: params.sha256 });
      return settle(operation, context, () => packageMatchesFile(agent, params.package as string));
    }
    case 'package.remove': {
      const operation = await agent.applyPackage(op, { action: 'remove', name: params.name as string });
      return settle(operation, context, async () => !(await agent.queryPackage(params.name as string)).installed);
    }
    case 'package.query': {
      const info = await agent.queryPackage(params.name as string);
      return done(true, info.installed ? `${info.name} ${info.version}-${info.release} (${info.summary})` : `${info.name} is not installed`);
    }
    case 'verify.package-version':
      return verifyVersion(agent, params.name as string, params.version as string);
    case 'service.enable':
    case 'service.disable':
    case 'service.start':
    case 'service.stop':
      return controlServices(kind, context);
    case 'node.reboot':
      return rebootAndWait(context, () => agent.reboot(op));
    case 'server.shutdown':
      // clpdown stops the server; it is powered on again (by its BMC, or the lab) and the
      // step ends when it answers with a new boot id — the manual's "restart and log in".
      return rebootAndWait(context, () => agent.clusterAction(op, { kind: 'stop-server' }));
    case 'cluster.shutdown':
      // CPRO-XL050-06 3.1.2 (2)-(3): clpstdn powers every server off; the step ends when every
      // one of them is back with a new boot id (powered on by the operator, a BMC or the lab).
      return rebootAndWait(context, () => agent.clusterAction(op, { kind: 'stop-cluster' }));
    case 'node.leave-cluster':
    case 'node.rejoin-cluster':
      // SPEC §5.3: `reboot -- -x` out of the cluster, `reboot` back in; done at the new boot id.
      return rebootAndWait(context, () => agent.clusterAction(op, clusterActionFor(kind, params)));
    case 'cluster.wait-healthy':
      return waitHealthy(context);
    case 'mirror.wait-green':
      return waitGreen(context);
    case 'hook.run':
      return settle(await agent.runHook(op, params.hook as string, params.args ?? []), context, unverifiable);
    default:
      // An INTERRUPTED cluster action is judged by what the cluster shows (observed-effect.ts).
      return settle(await agent.clusterAction(op, clusterActionFor(kind, params)), context, async () => (await observeEffect(kind, context))?.done ?? false);
  }
}

const PACKAGE_KINDS: Record<'package.install' | 'package.upgrade' | 'package.downgrade', Exclude<PackageAction, 'remove'>> = {
  'package.install': 'install',
  'package.upgrade': 'upgrade',
  'package.downgrade': 'downgrade',
};

type ServiceStepKind = 'service.enable' | 'service.disable' | 'service.start' | 'service.stop';

const SERVICE_KINDS: Record<ServiceStepKind, Exclude<ServiceAction, 'status'>> = {
  'service.enable': 'enable',
  'service.disable': 'disable',
  'service.start': 'start',
  'service.stop': 'stop',
};

/** Solaris Cluster's leave (`reboot -- -x`) and rejoin (`reboot`): reboots of the node they are sent to. */
const SOLARIS_BOOT_KINDS: ReadonlySet<NodeStepKind> = new Set(['node.leave-cluster', 'node.rejoin-cluster']);

const CLUSTER_KINDS: Partial<Record<NodeStepKind, ClusterActionKind>> = {
  'cluster.suspend': 'suspend',
  'cluster.resume': 'resume',
  'group.move': 'move-group',
  'group.start': 'start-group',
  'group.stop': 'stop-group',
  'mirror.recover': 'mirror-recover',
  'rt.register': 'register-type',
  'resource.migrate': 'set-type-version',
  'resource.monitor': 'monitor',
  'resource.unmonitor': 'unmonitor',
  'resource.enable': 'enable-resource',
  'resource.disable': 'disable-resource',
  'rg.offline': 'rg-offline',
  'rg.online': 'rg-online',
  'rg.manage': 'rg-manage',
  'rg.unmanage': 'rg-unmanage',
  'node.evacuate': 'evacuate',
  'node.leave-cluster': 'boot-noncluster',
  'node.rejoin-cluster': 'rejoin',
};

function clusterActionFor(kind: NodeStepKind, params: StepParams): ClusterAction {
  const action = CLUSTER_KINDS[kind];
  if (action === undefined) throw new LockstepError('LOCKSTEP_E_INTERNAL', `no agent action for step kind ${kind}`);
  const fields: Omit<ClusterAction, 'kind'> = {
    group: params.group,
    server: params.to,
    mirror: params.mirror,
    resource: params.resource,
    resourceGroup: params.resourceGroup,
    resourceType: params.resourceType,
    rtrPath: params.rtrPath,
    typeVersion: params.typeVersion,
  };
  const present = Object.entries(fields).filter(([, value]) => value !== undefined);
  return { kind: action, ...Object.fromEntries(present) };
}

/**
 * Turns a journaled operation into an outcome. INTERRUPTED (the agent died while it ran)
 * runs the step's verification probe: success only if the node shows the intended state.
 */
async function settle(operation: Operation, context: StepContext, verify: () => Promise<boolean>): Promise<StepOutcome> {
  let current = operation;
  while (current.state === 'RUNNING' && Date.now() < context.deadline) {
    await context.sleep(POLL_MS);
    current = await context.agent.getOperation(current.opId);
  }
  const tail = current.result.commands.map((command) => command.outputTail).join('');
  switch (current.state) {
    case 'SUCCEEDED':
      return done(true, current.result.message, tail);
    case 'FAILED':
      return done(false, current.result.message || 'the operation failed on the node', tail);
    case 'INTERRUPTED':
      if (await verify()) return done(true, 'interrupted on the node, but the node shows the intended state (verified)', tail);
      return done(false, `${current.result.message}; the verification probe could not confirm the step: check the node, then retry or cancel`, tail);
    default:
      return done(false, `the operation is still ${current.state} on the node after the step's time ran out`, tail);
  }
}

async function unverifiable(): Promise<boolean> {
  return false;
}

async function packageMatchesFile(agent: AgentApi, path: string): Promise<boolean> {
  const file = await agent.inspectPackageFile(path);
  const installed = await agent.queryPackage(file.package.name);
  return installed.installed && installed.version === file.package.version && installed.release === file.package.release;
}

async function verifyVersion(agent: AgentApi, name: string, version: string): Promise<StepOutcome> {
  const info = await agent.queryPackage(name);
  const actual = info.installed ? `${info.version}-${info.release}` : 'not installed';
  return actual === version ? done(true, `${name} ${actual}`) : done(false, `${name} is ${actual}, expected ${version}`);
}

/** The services in the order given (the manual's order), one journaled operation each. */
async function controlServices(kind: ServiceStepKind, context: StepContext): Promise<StepOutcome> {
  const action = SERVICE_KINDS[kind];
  const completed: string[] = [];
  for (const [index, service] of (context.params.services ?? []).entries()) {
    const op = { ...context.op, opId: `${context.op.opId}#${index}` };
    const answer = await context.agent.controlService(op, service, action);
    const outcome = await settle(answer.operation as Operation, { ...context, op }, async () => {
      const status = (await context.agent.controlService(undefined, service, 'status')).status;
      return action === 'enable' || action === 'disable' ? status.enabled === (action === 'enable') : status.running === (action === 'start');
    });
    if (!outcome.ok) return done(false, `${service}: ${outcome.message}`, outcome.outputTail);
    completed.push(service);
  }
  return done(true, `${action}: ${completed.join(', ')}`);
}

/**
 * The node still answers with its old boot id: normally its reboot is a moment away. But an
 * agent killed between answering and rebooting comes back under the same boot id with the op
 * INTERRUPTED: the node will not go down for it, and waiting would only end at the step's
 * timeout (found by the agent chaos test) — block now, saying so. A send that never arrived
 * (UNKNOWN: the agent was down when it was sent) is sent again with the same op id (SPEC §4.2).
 */
async function stalledReboot(context: StepContext, send: () => Promise<Operation>): Promise<StepOutcome | undefined> {
  const operation = await context.agent.getOperation(context.op.opId).catch(() => undefined);
  if (operation?.state === 'UNKNOWN') await send().catch(() => undefined);
  // The reboot command itself failed on the node (agent-service runReboot): it will not go down.
  if (operation?.state === 'FAILED') return done(false, `the reboot command failed on the node: ${operation.result.message}`, operation.result.commands.map((c) => c.outputTail).join(''));
  if (operation?.state !== 'INTERRUPTED') return undefined;
  return done(false, 'the agent restarted before the node went down (operation INTERRUPTED, boot id unchanged): the node did not reboot; retry the step to reboot it');
}

/**
 * Sends the reboot (or shutdown) and waits until every node whose boot id was recorded at
 * dispatch answers with a new one.
 */
async function rebootAndWait(context: StepContext, send: () => Promise<Operation>): Promise<StepOutcome> {
  const waiting = new Map(
    Object.entries(context.recorded)
      .filter(([key]) => key.startsWith(BOOT_ID_BEFORE))
      .map(([key, bootId]) => [key.slice(BOOT_ID_BEFORE.length), bootId]),
  );
  if (waiting.size === 0) return done(false, 'the boot ids before the reboot were not recorded');
  try {
    const operation = await send();
    if (operation.state === 'FAILED') return done(false, operation.result.message, operation.result.commands.map((c) => c.outputTail).join(''));
  } catch (error) {
    // The node may already be going down (a resend after a coordinator crash): keep waiting.
    if (!isLockstepError(error, 'LOCKSTEP_E_UNAVAILABLE')) throw error;
  }
  const back: string[] = [];
  // node.reboot and server.shutdown wait on the node that was sent the op, and only on it.
  const ownNodeOnly = waiting.size === 1;
  while (Date.now() < context.deadline) {
    for (const [node, before] of [...waiting]) {
      const bootId = await context.agentFor(node).nodeInfo().then(
        (info) => info.bootId,
        () => undefined,
      );
      if (bootId !== undefined && bootId !== before) {
        waiting.delete(node);
        back.push(`${node} (boot id ${bootId})`);
      } else if (bootId === before && ownNodeOnly) {
        const stalled = await stalledReboot(context, send);
        if (stalled !== undefined) return stalled;
      }
    }
    if (waiting.size === 0) return done(true, `back: ${back.join(', ')}`);
    await context.sleep(POLL_MS);
  }
  return done(false, `${[...waiting.keys()].join(', ')} did not come back with a new boot id within the step's timeout`);
}

async function waitHealthy(context: StepContext): Promise<StepOutcome> {
  let last = '';
  while (Date.now() < context.deadline) {
    const status = await context.agent.clusterStatus().catch(() => undefined);
    if (status !== undefined) {
      const servers = status.servers.filter((server) => server.state !== 'online').map((server) => `${server.name} ${server.stateText}`);
      const groups = status.groups.filter((group) => group.state !== 'online').map((group) => `${group.name} ${group.stateText}`);
      if (servers.length === 0 && groups.length === 0 && status.servers.length > 0) return done(true, 'every server and group is online');
      last = [...servers, ...groups].join(', ');
    }
    await context.sleep(POLL_MS);
  }
  return done(false, `the cluster did not become healthy in time${last ? `: ${last}` : ''}`);
}

/** CPRO-XL050-06 3.1.3.2: wait until every mirror disk is GREEN on every server. */
async function waitGreen(context: StepContext): Promise<StepOutcome> {
  let recovered = false;
  let last = '';
  while (Date.now() < context.deadline) {
    const mirrors = await context.agent.mirrorStatus(context.params.mirror ?? '').catch(() => undefined);
    if (mirrors !== undefined) {
      const notGreen = mirrors.flatMap((mirror) => mirror.servers.filter((server) => server.color !== 'GREEN').map((server) => ({ mirror: mirror.name, ...server })));
      if (notGreen.length === 0) return done(true, `GREEN on every server: ${mirrors.map((mirror) => mirror.name).join(', ')}`);
      last = notGreen.map((entry) => `${entry.mirror} ${entry.color} on ${entry.server}`).join(', ');
      if (context.params.recover && !recovered && notGreen.some((entry) => entry.color === 'RED')) {
        // Auto recovery is off: start it by hand, once per mirror (clpmdctrl -r).
        for (const [index, mirror] of [...new Set(notGreen.filter((entry) => entry.color === 'RED').map((entry) => entry.mirror))].entries()) {
          await context.agent.clusterAction({ ...context.op, opId: `${context.op.opId}#recover-${index}` }, { kind: 'mirror-recover', mirror });
        }
        recovered = true;
      }
    }
    await context.sleep(POLL_MS);
  }
  return done(false, `mirrors did not become GREEN in time: ${last}`);
}

function done(ok: boolean, message: string, outputTail = ''): StepOutcome {
  return { ok, message, outputTail };
}
