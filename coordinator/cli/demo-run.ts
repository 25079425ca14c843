// SPEC §9 `lockstep demo` (= npm start): a 2-node CLUSTERPRO X lab with Replicator at 2.0.0-1
// in a temporary directory, a coordinator, the manual's rolling update (3.1.3) with live
// progress, its gates approved by the demo itself, then the versions before and after.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXIT } from '../../shared/cli-exit.js';
import type { PackageInfo } from '../../shared/domain/package.js';
import { labPaths } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { agentChannelOptions, clientCredentials, loadTlsMaterial } from '../../shared/tls.js';
import { AgentClient } from '../../shared/wire/agent-client.js';
import { CoordinatorClient } from '../../shared/wire/coordinator-client.js';
import { startCoordinator } from '../coordinator-server.js';
import { createEngine } from '../engine/engine.js';
import { createLab, type Lab } from '../../lab/lab-create.js';
import { freePortBase } from '../../lab/lab-ports.js';
import { waitUntilLabReady } from '../../lab/lab-readiness.js';
import { startSupervisor } from '../../lab/lab-supervisor.js';
import { readRunbookFile } from './runbook-file.js';
import { blockedOnly, followRun } from './run-follower.js';
import { renderTable } from './text-table.js';

const DEMO_NODES = 2;

/** The demo itself; `lockstep demo` (demo-command.ts) imports this module only when it runs. */
export async function runDemo(keep: boolean): Promise<number> {
  const began = Date.now();
  const root = mkdtempSync(join(tmpdir(), 'lockstep-demo-'));
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    say(`Building a ${DEMO_NODES}-node CLUSTERPRO X 2.0.0-1 lab with Replicator in ${root}`);
    const lab = await createLab({ dir: join(root, 'lab'), nodes: DEMO_NODES, replicator: true, version: '2.0.0-1', portBase: await freePortBase(DEMO_NODES) });
    const supervisor = startSupervisor({ root: lab.root, logger: silentLogger() });
    cleanups.push(() => supervisor.stop());
    await waitUntilLabReady({ root: lab.root, nodes: lab.nodes, timeoutMs: 60_000 });
    const coordinator = await startCoordinator(
      // The demo's own coordinator, for this process alone: --insecure on loopback, the lab's pki its credentials directory.
      { socket: undefined, listen: '127.0.0.1:0', http: '127.0.0.1:0', dbFile: join(root, 'coordinator.sqlite'), tls: undefined, credentialsDirs: [join(lab.root, 'pki')], fourEyes: false, logLevel: 'silent' },
      silentLogger(),
      { createRunService: createEngine },
    );
    cleanups.push(() => coordinator.stop());
    const client = new CoordinatorClient(coordinator.address);
    cleanups.push(() => client.close());

    const before = await versions(lab);
    const runbook = await readRunbookFile(lab.runbook);
    const submitted = await client.submit({ runbookYaml: runbook.yaml, runbookPath: runbook.path, dryRun: false, autoApprove: true, requestedBy: 'lockstep demo' });
    const runId = submitted.runId ?? '';
    say(`Run ${runId}: ${submitted.steps.length} steps of clusterpro/rolling-update; the demo approves its gates itself`);
    const code = await followRun(client, runId, { screen: process.stdout, stopWhen: blockedOnly });
    const after = await versions(lab);
    process.stdout.write(`\n${renderTable(['node', 'before', 'after'], lab.nodes.map((node) => [node.name, label(before.get(node.name)), label(after.get(node.name))]))}\n`);
    say(code === EXIT.ok ? `Rolling update finished in ${((Date.now() - began) / 1000).toFixed(1)} s` : `The run did not finish: lockstep status ${runId} in the kept lab shows why`);
    if (code !== EXIT.ok) keep = true;
    return code;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    if (keep) say(`The lab stays in ${root}`);
    else rmSync(root, { recursive: true, force: true });
  }
}

/** The installed clusterpro on each node, asked through the agents over mTLS. */
async function versions(lab: Lab): Promise<Map<string, PackageInfo>> {
  const pki = labPaths(lab.root).pki;
  const material = await loadTlsMaterial({ ca: join(pki, 'ca.pem'), cert: join(pki, 'coordinator.pem'), key: join(pki, 'coordinator.key') });
  const entries = await Promise.all(
    lab.nodes.map(async (node): Promise<[string, PackageInfo]> => {
      const agent = new AgentClient(node.address, clientCredentials(material, { expectedServerName: node.name }), { channelOptions: agentChannelOptions(node.name) });
      try {
        return [node.name, await agent.queryPackage('clusterpro')];
      } finally {
        agent.close();
      }
    }),
  );
  return new Map(entries);
}

function label(info: PackageInfo | undefined): string {
  return info?.installed ? `${info.version}-${info.release} (${info.summary})` : 'not installed';
}

function say(line: string): void {
  process.stdout.write(`» ${line}\n`);
}
