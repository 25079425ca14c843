// `shutdown -r now` (the agent's Rebooter) and `reboot`: the node answers, powers off and its
// agent exits (SPEC §9); the lab supervisor starts it again after the node's reboot delay and
// the new agent boots the node with a new boot id (sim-boot.ts).
import { powerOffThisNode } from '../node-power.js';
import { failed, type SimCommand } from '../sim-command.js';

/** `shutdown -r|-h TIME`: only "now" (or +0) is simulated; a delayed shutdown is refused. */
const shutdown: SimCommand = (argv, context) => {
  const [mode, time] = argv.slice(1);
  const known = (mode === '-r' || mode === '-h') && (time === 'now' || time === '+0' || time === '0') && argv.length === 3;
  if (!known) return Promise.resolve(failed(1, `shutdown: the simulated node only runs "shutdown -r now"\n`));
  return powerOffThisNode(context, '');
};

const reboot: SimCommand = (argv, context) => {
  if (argv.length > 2 || (argv[1] !== undefined && argv[1] !== '-f')) return Promise.resolve(failed(1, `reboot: invalid option ${argv[1] ?? ''}\n`));
  return powerOffThisNode(context, '');
};

export const POWER_COMMANDS: ReadonlyMap<string, SimCommand> = new Map([
  ['shutdown', shutdown],
  ['reboot', reboot],
]);
