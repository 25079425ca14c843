// docs/security.md, "What a node can make the operator's terminal do", end to end: a real
// agent runs a hook whose output clears the screen, sets the window title and the clipboard
// and fakes a success line; the real engine blocks the run on it; the built `lockstep` prints
// it through `apply --wait`, `status` and `status --json` — as inert, visible text.
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { startCoordinator, type RunningCoordinator } from '../../coordinator/coordinator-server.js';
import { createEngine } from '../../coordinator/engine/engine.js';
import { silentLogger } from '../../shared/logger.js';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { expectInert, HOSTILE, rawControls } from '../support/hostile-text.js';
import { builtProgram } from '../support/processes.js';
import { makeTempDir } from '../support/temp-dir.js';

let temp: ReturnType<typeof makeTempDir>;
let agent: TestAgent;
let coordinator: RunningCoordinator;
let runbookPath: string;

function lockstep(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [builtProgram('coordinator/cli/main.js'), '--coordinator', coordinator.address, ...args], {
      env: { ...process.env, USER: 'operator', LOCKSTEP_TLS_CA: '', LOCKSTEP_TLS_CERT: '', LOCKSTEP_TLS_KEY: '', LOCKSTEP_DEBUG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

beforeAll(async () => {
  temp = makeTempDir('lockstep-terminal-');
  const pki = await makePki(join(temp.dir, 'pki'), ['server1']);
  const hooksDir = join(temp.dir, 'hooks');
  mkdirSync(hooksDir, { mode: 0o755 });
  writeFileSync(join(temp.dir, 'hostile.txt'), `${HOSTILE}\n`);
  writeFileSync(join(hooksDir, 'check-app'), `#!/bin/sh\ncat ${join(temp.dir, 'hostile.txt')}\nexit 1\n`, { mode: 0o755 });
  chmodSync(join(hooksDir, 'check-app'), 0o755);
  agent = await startTestAgent({ root: temp.dir, pki, hooksDir });
  coordinator = await startCoordinator(
    { listen: '127.0.0.1:0', socket: undefined, http: '127.0.0.1:0', dbFile: join(temp.dir, 'db', 'runs.sqlite'), tls: undefined, credentialsDirs: [temp.dir], fourEyes: false, logLevel: 'silent' },
    silentLogger(),
    { createRunService: createEngine },
  );
  runbookPath = join(temp.dir, 'runbook.yaml');
  writeFileSync(
    runbookPath,
    stringify({
      cluster: 'terminal',
      nodes: [{ name: 'server1', address: agent.agent.address }],
      procedure: 'custom',
      tls: { ca: pki.ca, cert: pki.coordinator.cert, key: pki.coordinator.key },
      steps: [{ id: 'check', kind: 'hook.run', on: 'all', with: { hook: 'check-app' } }],
    }),
  );
}, 60_000);

afterAll(async () => {
  await coordinator?.stop();
  await agent?.stop();
  temp?.remove();
});

describe('a hook’s hostile output, through the CLI', () => {
  it('apply --wait, status and status --json print it escaped, never obeyed', async () => {
    const applied = await lockstep(['apply', runbookPath, '--wait']);
    // Blocked on the failed hook: waiting for an operator.
    expect(applied.code, applied.out).toBe(4);
    expectInert(applied.out);
    const runId = /run (run-\S+) started/.exec(applied.out)?.[1] ?? '';
    expect(runId).not.toBe('');

    const status = await lockstep(['status', runId]);
    expect(status.code, status.out).toBe(0);
    expectInert(status.out);
    expect(status.out).toMatch(/ {2}\| checking app\\x1b\[2J\\x1b\]0;pwned title\\x07/);

    const json = await lockstep(['status', runId, '--json']);
    expect(rawControls(json.out)).toEqual([]);
    const parsed = JSON.parse(json.out) as { blocker: { outputTail: string } };
    expect(parsed.blocker.outputTail).toContain(HOSTILE);
  }, 60_000);
});
