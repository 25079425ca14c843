// What a node will do for a task, in the words an operator would use — the command where the
// kind has exactly one (rpm, clp*), the effect where the node's drivers choose (SysV or systemd).
import type { NodeStepKind } from '../runbook/step-kinds.js';
import type { StepParams } from '../runbook/step-params.js';

type Describe = (params: StepParams) => string;

const list = (names: readonly string[] | undefined): string => (names ?? []).join(', ');
const packageFile = (params: StepParams): string => params.package ?? '';
// Quoted only where a word would be ambiguous on screen; nothing here reaches a shell.
const word = (arg: string): string => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg));

const DESCRIPTIONS: Record<NodeStepKind, Describe> = {
  'package.query': (p) => `rpm -q ${p.name}`,
  'package.install': (p) => `rpm -i ${packageFile(p)}`,
  'package.upgrade': (p) => `rpm -U ${packageFile(p)}`,
  'package.downgrade': (p) => `rpm -U ${p.force ? '--force' : '--oldpackage'} ${packageFile(p)}`,
  'package.remove': (p) => `rpm -e ${p.name}`,
  'service.enable': (p) => `enable auto-start: ${list(p.services)}`,
  'service.disable': (p) => `disable auto-start: ${list(p.services)}`,
  'service.start': (p) => `start ${list(p.services)}`,
  'service.stop': (p) => `stop ${list(p.services)}`,
  'cluster.suspend': () => 'suspend the cluster (clpcl --suspend)',
  'cluster.resume': () => 'resume the cluster (clpcl --resume)',
  'cluster.shutdown': () => 'shut the whole cluster down (clpstdn)',
  'cluster.wait-healthy': () => 'wait until every server and group is healthy',
  'server.shutdown': () => 'stop the cluster on this server (clpdown)',
  'node.reboot': () => 'reboot, wait for the new boot id',
  'group.move': (p) => (p.to === undefined ? `move group ${p.group} away (clpgrp -m)` : `move group ${p.group} to ${p.to} (clpgrp -m)`),
  'group.start': (p) => `start group ${p.group}`,
  'group.stop': (p) => `stop group ${p.group}`,
  'mirror.wait-green': (p) =>
    `wait until ${p.mirror === undefined ? 'every mirror is' : `mirror ${p.mirror} is`} GREEN on every server` +
    (p.recover ? ' (clpmdctrl -r if it stays RED)' : ''),
  'mirror.recover': (p) => `recover mirror ${p.mirror} (clpmdctrl -r)`,
  'rt.register': (p) => `register resource type ${p.resourceType} from ${p.rtrPath}`,
  'resource.migrate': (p) => `set Type_version=${p.typeVersion} on resource ${p.resource}`,
  'resource.monitor': (p) => `monitor resource ${p.resource}`,
  'resource.unmonitor': (p) => `unmonitor resource ${p.resource}`,
  'resource.enable': (p) => `enable resource ${p.resource}`,
  'resource.disable': (p) => `disable resource ${p.resource}`,
  'rg.offline': (p) => `take resource group ${p.resourceGroup} offline`,
  'rg.online': (p) => `bring resource group ${p.resourceGroup} online`,
  'rg.manage': (p) => `manage resource group ${p.resourceGroup}`,
  'rg.unmanage': (p) => `unmanage resource group ${p.resourceGroup}`,
  'node.evacuate': () => 'evacuate every resource group from this node',
  'node.leave-cluster': () => 'leave the cluster (boot in non-cluster mode)',
  'node.rejoin-cluster': () => 'rejoin the cluster (boot in cluster mode)',
  'hook.run': (p) => ['run hook', p.hook, ...(p.args ?? []).map(word)].join(' '),
  'verify.package-version': (p) => `check that ${p.name} is at ${p.version}`,
};

export function describeTask(kind: NodeStepKind, params: StepParams): string {
  const described = DESCRIPTIONS[kind](params);
  return params.plannedDowntime ? `${described} (planned downtime)` : described;
}
