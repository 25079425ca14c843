// docs/security.md §3: with --hooks-dir mode 0777 and a hook owned by mallory, RunHook ran
// her hook as root. Now the hooks directory, every directory above it and the hook must be
// root's and writable by nobody else, and the hook runs through the descriptor it was checked on.
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki, startTestAgent, type TestAgent } from '../support/agent-harness.js';
import { makeTempDir } from '../support/temp-dir.js';
import { canCreateUsers, createUnprivilegedUser, type UnprivilegedUser } from '../support/unprivileged-user.js';

let temp: ReturnType<typeof makeTempDir>;
let base: string;
let hooksDir: string;
let harness: TestAgent;
let step = 0;
const op = () => ({ opId: `hook-run/step-${++step}/server1/1`, runId: 'hook-run', epoch: 1 });

function writeHook(name: string, body: string, mode = 0o755): string {
  const path = join(hooksDir, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`, { mode });
  chmodSync(path, mode);
  return path;
}

beforeAll(async () => {
  temp = makeTempDir();
  chmodSync(temp.dir, 0o755);
  base = join(temp.dir, 'etc');
  hooksDir = join(base, 'hooks');
  mkdirSync(hooksDir, { recursive: true, mode: 0o755 });
  harness = await startTestAgent({ root: temp.dir, pki: await makePki(join(temp.dir, 'pki')), hooksDir });
});

afterAll(async () => {
  await harness?.stop();
  temp?.remove();
});

describe('a hook the agent trusts', () => {
  it('runs through the descriptor it was checked on: $0 is /proc/PID/fd/N, LOCKSTEP_HOOK its path, the journal its name', async () => {
    const out = join(temp.dir, 'ran');
    const hook = writeHook('report', `echo "$0 $LOCKSTEP_HOOK $1" > "${out}"`);
    const operation = await harness.client.runHook(op(), 'report', ['hello']);
    expect(operation.state, operation.result.message).toBe('SUCCEEDED');
    expect(readFileSync(out, 'utf8').trim()).toMatch(new RegExp(`^/proc/${process.pid}/fd/\\d+ ${hook} hello$`));
    expect(operation.result.commands[0]?.argv).toEqual([hook, 'hello']);
  });
});

describe.skipIf(!canCreateUsers())('hooks a local user can change (as mallory)', () => {
  let mallory: UnprivilegedUser;
  const pwned = (): string => join(temp.dir, 'pwned');
  const untrusted = (pattern: RegExp) => expect.objectContaining({ code: 'LOCKSTEP_E_UNTRUSTED_PATH', message: expect.stringMatching(pattern) });

  beforeAll(() => {
    mallory = createUnprivilegedUser();
  });

  afterAll(() => {
    chmodSync(hooksDir, 0o755);
    chmodSync(base, 0o755);
    mallory?.remove();
  });

  it('refuses every hook while the hooks directory is 0777, her own included; nothing runs', async () => {
    chmodSync(hooksDir, 0o777);
    try {
      mallory.run(['sh', '-c', `printf '#!/bin/sh\\ntouch ${pwned()}\\n' > ${join(hooksDir, 'evil')} && chmod 755 ${join(hooksDir, 'evil')}`]);
      for (const name of ['evil', 'report']) {
        await expect(harness.client.runHook(op(), name)).rejects.toEqual(untrusted(new RegExp(`--hooks-dir: ${hooksDir} is writable by group and others \\(mode 0777`)));
      }
    } finally {
      chmodSync(hooksDir, 0o755);
    }
    expect(existsSync(pwned())).toBe(false);
  });

  it('refuses a hook mallory owns in a root-only directory', async () => {
    chownSync(join(hooksDir, 'evil'), mallory.uid, mallory.gid);
    await expect(harness.client.runHook(op(), 'evil')).rejects.toEqual(untrusted(new RegExp(`is owned by uid ${mallory.uid}, not root`)));
    expect(existsSync(pwned())).toBe(false);
  });

  it('refuses a group-writable hook, and a hooks directory under a directory others can write', async () => {
    writeHook('shared', `touch ${pwned()}`, 0o775);
    await expect(harness.client.runHook(op(), 'shared')).rejects.toEqual(untrusted(/is writable by its group \(mode 0775/));
    chmodSync(base, 0o777);
    try {
      await expect(harness.client.runHook(op(), 'report')).rejects.toEqual(untrusted(new RegExp(`--hooks-dir: ${base} is writable`)));
    } finally {
      chmodSync(base, 0o755);
    }
    expect(existsSync(pwned())).toBe(false);
  });
});
