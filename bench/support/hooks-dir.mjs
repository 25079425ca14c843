// A hooks directory holding the one hook the barrier benchmarks run: `true`, a script that
// execs /bin/true (a symlink out of the directory would be refused by the agent).
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeHooksDir(dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'true'), '#!/bin/sh\nexec /bin/true\n');
  chmodSync(join(dir, 'true'), 0o755);
  return dir;
}

