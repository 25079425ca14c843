// tsc emits only JavaScript; the data files the code reads beside itself at run time (the
// CLUSTERPRO update bundles, *.yaml) are copied to the same place under dist/, so that the
// built tree (and the packages made from it) runs without the sources.
import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const repo = new URL('..', import.meta.url).pathname;
const { include } = JSON.parse(readFileSync(join(repo, 'tsconfig.build.json'), 'utf8'));

for (const top of include) {
  for (const file of readdirSync(join(repo, top), { recursive: true })) {
    if (!file.endsWith('.yaml')) continue;
    mkdirSync(dirname(join(repo, 'dist', top, file)), { recursive: true });
    copyFileSync(join(repo, top, file), join(repo, 'dist', top, file));
  }
}
