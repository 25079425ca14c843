// `lockstep demo` (= npm start) on a fresh build: a 2-node Replicator lab upgraded by the
// rolling update, its gates approved by the demo itself, the version table printed, exit 0.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { builtProgram } from '../support/processes.js';

const run = promisify(execFile);

describe('lockstep demo', () => {
  it('upgrades both servers from 2.0.0-1 to 2.1.3-1 and exits 0', async () => {
    const { stdout } = await run(process.execPath, [builtProgram('coordinator/cli/main.js'), 'demo'], { timeout: 120_000 });
    expect(stdout).toMatch(/server1\s+2\.0\.0-1 \(CLUSTERPRO X 2\.0 for Linux\(x86_64\)\)\s+2\.1\.3-1 \(CLUSTERPRO X 2\.1 for Linux\(x86_64\)\)/);
    expect(stdout).toMatch(/server2\s+2\.0\.0-1 .*\s+2\.1\.3-1 /);
    expect(stdout).toMatch(/Rolling update finished in/);
  }, 150_000);
});
