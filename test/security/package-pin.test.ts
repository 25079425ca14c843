// docs/security.md §2, the digest pin, end to end on a lab: the plan records each node's
// sha256 of the package file; a file replaced while the run waits at a gate is refused on
// every node (LOCKSTEP_E_DIGEST_MISMATCH naming sha256) and rpm -U never runs.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify } from 'yaml';
import { createEngine, type Engine } from '../../coordinator/engine/engine.js';
import type { RunView } from '../../coordinator/engine/run-types.js';
import { readHistory } from '../../lab/state/lab-state.js';
import { silentLogger } from '../../shared/logger.js';
import { isCommand } from '../support/custom-runbook.js';
import { startLab, type TestLab } from '../support/lab-harness.js';
import { waitFor } from '../support/processes.js';

let lab: TestLab;
let engine: Engine;
let nodes: Array<{ name: string; address: string }>;
let target: string;

beforeAll(async () => {
  lab = await startLab({ nodes: 2 });
  const runbook = parseYaml(readFileSync(lab.runbook, 'utf8')) as { nodes: typeof nodes; params: { package: string } };
  nodes = runbook.nodes;
  target = runbook.params.package;
  engine = await createEngine({ dbFile: join(lab.dir, 'coordinator.sqlite'), credentialsDirs: [join(lab.dir, 'pki')], logger: silentLogger() });
}, 120_000);

afterAll(async () => {
  await engine?.close();
  await lab?.down();
});

function submit(name: string, steps: unknown[]): Promise<{ runId?: string; planHash: string; plan: unknown }> {
  const yaml = stringify({ cluster: 'lab', nodes, procedure: 'custom', tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' }, steps });
  const path = join(lab.dir, `${name}.yaml`);
  writeFileSync(path, yaml);
  return engine.submit({ runbookYaml: yaml, runbookPath: path, dryRun: name.endsWith('-plan'), autoApprove: false, requestedBy: 'test' });
}

const until = (runId: string, states: Array<RunView['state']>): Promise<RunView> =>
  waitFor(`run ${runId} to reach ${states.join('/')}`, () => {
    const run = engine.getRun(runId);
    return states.includes(run.state) ? run : undefined;
  }, 60_000);

describe('a package file replaced between plan and apply', () => {
  it('is in the plan (and its hash) per node', async () => {
    const { plan } = await submit('pin-plan', [{ id: 'upgrade', kind: 'package.upgrade', with: { package: target } }]);
    const stage = (plan as { stages: Array<{ lanes: Record<string, Array<{ params: { sha256?: string } }>> }> }).stages[0];
    for (const node of nodes) expect(stage?.lanes[node.name]?.[0]?.params.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 60_000);

  it('is refused on every node, naming sha256, and rpm -U never runs', async () => {
    const started = performance.timeOrigin + performance.now();
    const original = readFileSync(target);
    const { runId } = await submit('pin-apply', [
      { id: 'window', kind: 'gate', with: { message: 'maintenance window open?' } },
      { id: 'upgrade', kind: 'package.upgrade', with: { package: target } },
    ]);
    await until(runId as string, ['awaiting-approval']);
    // While the run waits, the file at the planned path becomes other bytes.
    copyFileSync('/etc/hostname', target);
    try {
      engine.approve(runId as string, 'window', 'operator1', 'go', engine.getRun(runId as string).planHash);
      const blocked = await until(runId as string, ['blocked', 'succeeded', 'failed']);
      expect(blocked.state).toBe('blocked');
      expect(blocked.blocker?.message).toMatch(/sha256: .* is now [0-9a-f]{64}, not [0-9a-f]{64} as when the plan was made/);
    } finally {
      writeFileSync(target, original);
    }
    expect(readHistory(lab.dir).filter((entry) => entry.t >= started && isCommand(entry, 'rpm', '-U'))).toEqual([]);
  }, 90_000);
});
