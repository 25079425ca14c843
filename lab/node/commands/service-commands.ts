// Services on a simulated node: chkconfig and the init scripts (SysV, the seed manual's
// RHEL 5 era) and systemctl (systemd nodes), over node.json `services`. Exit codes are the
// answers the drivers read: `chkconfig NAME` 0/1, LSB `status` 0 running / 3 stopped,
// `systemctl is-enabled` 0/1, `is-active` 0/3. The `clusterpro` service is the cluster
// daemon: starting it joins this server to the cluster, stopping it takes it out.
import type { ClusterState, NodeState } from '../../state/lab-state.js';
import { serverJoins, serverStopped } from '../../clusterpro/cluster-model.js';
import type { LabView } from '../lab-store.js';
import { failed, notFound, succeeded, type CommandOutput, type SimCommand, type SimContext } from '../sim-command.js';

/** The service that is CLUSTERPRO's cluster daemon (CPRO-XL050-06 3.1.4 leaves it running). */
export const CLUSTER_DAEMON = 'clusterpro';
const RUNLEVELS = [0, 1, 2, 3, 4, 5, 6];
/** `# chkconfig: 2345 …`: the levels a service starts in once added. */
const START_LEVELS: ReadonlySet<number> = new Set([2, 3, 4, 5]);
/** Where RHEL's init scripts print [  OK  ]. */
const STATUS_COLUMN = 60;

type Service = NodeState['services'][string];

/** Starts or stops a node's service; the cluster as it is afterwards (the daemon joins or leaves). */
export function setRunning(node: NodeState, cluster: ClusterState, name: string, running: boolean, now: number): ClusterState {
  const service = node.services[name];
  if (service === undefined || service.running === running) return cluster;
  service.running = running;
  if (name !== CLUSTER_DAEMON) return cluster;
  return running ? serverJoins(cluster, node.name, now) : serverStopped(cluster, node.name, now);
}

function setRunningHere(view: LabView, name: string, running: boolean, now: number): void {
  view.cluster = setRunning(view.node, view.cluster, name, running, now);
}

// ---- chkconfig -------------------------------------------------------------------------

const chkconfigCommand: SimCommand = async (argv, context) => {
  const [first, second, third] = argv.slice(1);
  if (first === '--add' || first === '--del') return setEnabled(context, second, first === '--add', () => '');
  if (first === '--list') return chkconfigList(context.store.readNode(), second);
  if (first === undefined || first.startsWith('-')) return failed(1, chkconfigUsage());
  if (third === undefined && (second === 'on' || second === 'off')) return setEnabled(context, first, second === 'on', () => '');
  if (second !== undefined) return failed(1, chkconfigUsage());
  // `chkconfig NAME`: the exit code says whether it starts in the current runlevel.
  const service = context.store.readNode().services[first];
  if (service === undefined) return failed(1, noChkconfigInfo(first));
  return { exitCode: service.enabled ? 0 : 1, stdout: '', stderr: '' };
};

function chkconfigList(node: NodeState, name: string | undefined): CommandOutput {
  const names = name === undefined ? Object.keys(node.services).sort() : [name];
  let stdout = '';
  for (const service of names) {
    const state = node.services[service];
    if (state === undefined) return failed(1, noChkconfigInfo(service), stdout);
    const levels = RUNLEVELS.map((level) => `\t${level}:${state.enabled && START_LEVELS.has(level) ? 'on' : 'off'}`).join('');
    stdout += `${service.padEnd(15)}${levels}\n`;
  }
  return succeeded(stdout);
}

function noChkconfigInfo(name: string): string {
  return `error reading information on service ${name}: No such file or directory\n`;
}

function chkconfigUsage(): string {
  return 'usage:   chkconfig [--list] [name]\n         chkconfig --add <name>\n         chkconfig --del <name>\n         chkconfig <name> <on|off>\n';
}

// ---- /etc/init.d/NAME ------------------------------------------------------------------

export const initScriptCommand: SimCommand = async (argv, context) => {
  const program = argv[0] ?? '';
  const name = program.slice(program.lastIndexOf('/') + 1);
  const action = argv[1];
  const service = context.store.readNode().services[name];
  if (service === undefined) return notFound(program);
  switch (action) {
    case 'start':
    case 'stop':
      await context.store.update((view) => setRunningHere(view, name, action === 'start', context.now()));
      return succeeded(rhelAction(`${action === 'start' ? 'Starting' : 'Stopping'} ${name}: `));
    case 'restart':
      await context.store.update((view) => {
        setRunningHere(view, name, false, context.now());
        setRunningHere(view, name, true, context.now());
      });
      return succeeded(rhelAction(`Stopping ${name}: `) + rhelAction(`Starting ${name}: `));
    case 'status':
      return lsbStatus(name, service);
    default:
      return failed(2, `Usage: ${program} {start|stop|status|restart}\n`);
  }
};

function rhelAction(what: string): string {
  return `${what.padEnd(STATUS_COLUMN)}[  OK  ]\n`;
}

function lsbStatus(name: string, service: Service): CommandOutput {
  return service.running ? succeeded(`${name} is running...\n`) : { exitCode: 3, stdout: `${name} is stopped\n`, stderr: '' };
}

// ---- systemctl ---------------------------------------------------------------------------

const systemctlCommand: SimCommand = async (argv, context) => {
  const node = context.store.readNode();
  // A SysV node (RHEL 5) has no systemctl.
  if (node.serviceManager !== 'systemd') return notFound(argv[0] ?? 'systemctl');
  const [verb, unit] = argv.slice(1);
  if (verb === undefined || unit === undefined || argv.length !== 3) return failed(1, 'Too few or too many arguments.\n');
  const name = unit.replace(/\.service$/, '');
  const service = node.services[name];
  const verbCommand = SYSTEMCTL_VERBS.get(verb);
  if (verbCommand === undefined) return failed(1, `Unknown command verb ${verb}.\n`);
  return verbCommand(name, service, context);
};

type SystemctlVerb = (name: string, service: Service | undefined, context: SimContext) => Promise<CommandOutput>;

const SYSTEMCTL_VERBS: ReadonlyMap<string, SystemctlVerb> = new Map<string, SystemctlVerb>([
  ['enable', (name, service, context) => (service ? setEnabled(context, name, true, wantsLink('Created symlink', name)) : noUnitFile('enable', name))],
  ['disable', (name, service, context) => (service ? setEnabled(context, name, false, wantsLink('Removed', name)) : noUnitFile('disable', name))],
  ['start', (name, service, context) => runUnit(name, service, context, true)],
  ['stop', (name, service, context) => runUnit(name, service, context, false)],
  ['is-enabled', async (name, service) => isEnabled(name, service)],
  ['is-active', async (_name, service) => (service?.running ? succeeded('active\n') : { exitCode: 3, stdout: 'inactive\n', stderr: '' })],
]);

async function runUnit(name: string, service: Service | undefined, context: SimContext, start: boolean): Promise<CommandOutput> {
  if (service === undefined) return failed(5, `Failed to ${start ? 'start' : 'stop'} ${name}.service: Unit ${name}.service not loaded.\n`);
  await context.store.update((view) => setRunningHere(view, name, start, context.now()));
  return succeeded();
}

function isEnabled(name: string, service: Service | undefined): CommandOutput {
  if (service === undefined) return failed(1, `Failed to get unit file state for ${name}.service: No such file or directory\n`);
  return service.enabled ? succeeded('enabled\n') : { exitCode: 1, stdout: 'disabled\n', stderr: '' };
}

function noUnitFile(verb: string, name: string): Promise<CommandOutput> {
  return Promise.resolve(failed(1, `Failed to ${verb} unit: Unit file ${name}.service does not exist.\n`));
}

/** What systemctl enable/disable print (on stderr) when they change a link. */
function wantsLink(verb: 'Created symlink' | 'Removed', name: string): () => string {
  const link = `/etc/systemd/system/multi-user.target.wants/${name}.service`;
  return () => (verb === 'Removed' ? `Removed ${link}.\n` : `Created symlink ${link} → /usr/lib/systemd/system/${name}.service.\n`);
}

// ---- shared --------------------------------------------------------------------------------

/** Sets start-at-boot; `changed` is printed (on stderr) only when something changed. */
async function setEnabled(context: SimContext, name: string | undefined, enabled: boolean, changed: () => string): Promise<CommandOutput> {
  if (name === undefined) return failed(1, chkconfigUsage());
  return context.store.update(({ node }) => {
    const service = node.services[name];
    if (service === undefined) return failed(1, noChkconfigInfo(name));
    const before = service.enabled;
    service.enabled = enabled;
    return { exitCode: 0, stdout: '', stderr: before === enabled ? '' : changed() };
  });
}

export const SERVICE_COMMANDS: ReadonlyMap<string, SimCommand> = new Map([
  ['chkconfig', chkconfigCommand],
  ['systemctl', systemctlCommand],
]);
