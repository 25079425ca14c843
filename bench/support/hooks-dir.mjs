// A hooks directory holding the one hook the barrier benchmarks run, `true`, in one of two forms
// (BENCH_HOOK; a symlink out of the directory would be refused by the agent):
//   script  — `#!/bin/sh` + `exec /bin/true`: a shell starts, then /bin/true (the default);
//   binary  — a copy of /bin/true: the program alone, as Ansible's `command: /bin/true` runs it.
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const HOOK_FORMS = ['script', 'binary'];

/** The form BENCH_HOOK asks for, else `fallback`; anything else ends the benchmark naming the choices. */
export function hookForm(fallback = 'script') {
  const form = process.env.BENCH_HOOK || fallback;
  if (!HOOK_FORMS.includes(form)) {
    console.error(`BENCH_HOOK=${form}: expected one of ${HOOK_FORMS.join(', ')}`);
    process.exit(2);
  }
  return form;
}

export function makeHooksDir(dir, form = hookForm()) {
  mkdirSync(dir, { recursive: true });
  const hook = join(dir, 'true');
  if (form === 'binary') copyFileSync('/bin/true', hook);
  else writeFileSync(hook, '#!/bin/sh\nexec /bin/true\n');
  chmodSync(hook, 0o755);
  return dir;
}
