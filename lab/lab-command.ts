// SPEC §7/§9: `lockstep lab up --dir LAB --nodes N [--platform P] [--version V] [--replicator]
// [--port-base P] [--failover-ms MS] [--mirror-size-mb MB] [--resync-mb-per-sec R] [--detach]`,
// `lockstep lab down --dir LAB` and `lockstep lab power --dir LAB NODE off|on`; or a Solaris
// Cluster lab (issue 13): `lockstep lab up --dir LAB --nodes N --product solaris-cluster
// --rt-change CHANGE [--rtr-tunable TUNABLE] [--sc-version 3.1|3.2] [--port-base P] [--detach]`. What they do is in
// lab-lifecycle.ts and lab-power.ts, imported when one of them runs: the rest of the CLI does
// not load the lab. A twin of a real cluster (issue 17): `lab up --dir LAB --like RUNBOOK
// [--from-facts FILE]`.
import type { Command } from 'commander';
import { exitCodeFor } from '../shared/cli-exit.js';
import { describeError } from '../shared/errors.js';
import { terminalText } from '../shared/terminal-text.js';
import { RT_CHANGES, TUNABLES } from '../shared/domain/solaris.js';
import { LAB_PLATFORMS } from './clusterpro/lab-platforms.js';
import { LAB_PRODUCT_NAMES } from './lab-choices.js';
import type { ReadLiveFacts, UpFlags } from './lab-lifecycle.js';

export type { ReadLiveFacts } from './lab-lifecycle.js';

export function registerLabCommand(program: Command, readLiveFacts?: ReadLiveFacts): void {
  const lab = program.command('lab').description('a simulated cluster on this machine: one real agent per simulated node (SPEC §9)');
  lab
    .command('up')
    .description('create a lab in --dir and supervise its agents (in the foreground unless --detach)')
    .requiredOption('--dir <dir>', 'a new directory for the lab (created 0700), or an empty one of yours that only you may write')
    .option('--nodes <n>', 'how many nodes (server1..serverN); not with --like or --from-facts')
    .option('--like <runbook>', "a twin of this runbook's cluster: its nodes, versions, services, groups and mirrors read through the agents by the coordinator's preflight (read-only), and LAB/runbook.yaml a copy of the runbook pointed at the lab")
    .option('--from-facts <file>', 'build the twin from a facts file saved by "lockstep plan RUNBOOK --save-facts FILE" instead of asking the agents (with --like, the runbook to copy)')
    .option('--platform <platform>', `${LAB_PLATFORMS.join(', ')} (default x86_64)`)
    .option('--version <version-release>', 'CLUSTERPRO version installed on every node (default 2.0.0-1)')
    .option('--replicator', 'one mirror disk resource per failover group (CLUSTERPRO X Replicator)')
    .option('--port-base <port>', 'server1 listens on this port, server2 on the next… (default 17451)')
    .option('--failover-ms <ms>', "how long a group takes to fail over when its server leaves (default 3000)")
    .option('--mirror-size-mb <mb>', 'each mirror disk\'s size: a resync copies it whole (default 150)')
    .option('--resync-mb-per-sec <rate>', 'the mirror resync rate (default 100)')
    .option('--product <product>', `${LAB_PRODUCT_NAMES.join(' or ')} (default clusterpro)`)
    .option('--rt-change <change>', `solaris-cluster: the row of table 3-1 to rehearse: ${RT_CHANGES.join(', ')}`)
    .option('--rtr-tunable <tunable>', `solaris-cluster: the Tunable of the new RTR's #$upgrade_from "1.0" line (default: the row's): ${TUNABLES.join(', ')}`)
    .option('--sc-version <release>', 'solaris-cluster: the Sun Cluster release the nodes run: 3.2 (default; the cl* commands) or 3.1 (scstat, scrgadm, scswitch only: the cl* commands are not found)')
    .option('--detach', 'return once every agent answers; stop the lab with "lockstep lab down"')
    .action((flags: UpFlags, command: Command) => reportFailure('lab up', async () => (await import('./lab-lifecycle.js')).runUp(flags, command, readLiveFacts)));
  lab
    .command('down')
    .description("stop a lab's supervisor and agents; its files stay for inspection")
    .requiredOption('--dir <dir>', 'the lab directory')
    .action((flags: { dir: string }) => reportFailure('lab down', async () => (await import('./lab-lifecycle.js')).runDown(flags.dir)));
  lab
    .command('power')
    .description('fail a node from outside, as a power loss would (off: it goes down, its groups fail over, its agent stops), or boot it again (on)')
    .requiredOption('--dir <dir>', 'the lab directory')
    .argument('<node>', 'the node, e.g. server2')
    .argument('<state>', 'off or on')
    .action((node: string, state: string, flags: { dir: string }) =>
      reportFailure('lab power', async () => (await import('./lab-lifecycle.js')).runPower(flags.dir, node, state)),
    );
  lab
    .command('supervise', { hidden: true })
    .requiredOption('--dir <dir>', 'the lab directory')
    .action((flags: { dir: string }) => reportFailure('lab supervise', async () => (await import('./lab-lifecycle.js')).runSupervise(flags.dir)));
}

async function reportFailure(command: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    process.stderr.write(`lockstep ${command}: ${terminalText(describeError(error))}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
