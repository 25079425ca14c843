// SPEC §7: `lockstep nodes RUNBOOK` — the runbook's nodes as their agents answer; exit 3 when
// any agent cannot be reached.
import type { Command } from 'commander';
import { EXIT } from '../../shared/cli-exit.js';
import type { NodeView } from '../../shared/domain/run.js';
import { withCoordinator } from './coordinator-connection.js';
import { readRunbookFile } from './runbook-file.js';
import { renderTable } from './text-table.js';

export function registerNodesCommand(program: Command): void {
  program
    .command('nodes')
    .description("ask every node of a runbook's cluster who and how it is")
    .argument('<runbook>', 'the runbook YAML file')
    .action((file: string, _flags: object, command: Command) =>
      withCoordinator(command, async (client) => {
        const runbook = await readRunbookFile(file);
        const nodes = await client.listNodes(runbook.yaml, runbook.path);
        process.stdout.write(renderNodeList(nodes));
        return nodes.every((node) => node.reachable) ? EXIT.ok : EXIT.unreachable;
      }),
    );
}

export function renderNodeList(nodes: readonly NodeView[]): string {
  return renderTable(
    ['NODE', 'ADDRESS', 'STATE', 'HOSTNAME', 'PLATFORM', 'BOOT ID', 'AGENT', 'ERROR'],
    nodes.map((node) => [node.name, node.address, node.reachable ? 'up' : 'UNREACHABLE', node.hostname, node.platform, node.bootId, node.agentVersion, node.error]),
  );
}
