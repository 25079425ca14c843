// The built programs and modules the benchmarks drive (`npm run build` makes dist/).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DIST = fileURLToPath(new URL('../../dist/', import.meta.url));

if (!existsSync(`${DIST}agent/main.js`)) {
  console.error(`${DIST}agent/main.js is missing: run \`npm run build\` first (npm run bench does)`);
  process.exit(2);
}

export const AGENT_MAIN = `${DIST}agent/main.js`;
export const COORDINATOR_MAIN = `${DIST}coordinator/main.js`;
export const CLI_MAIN = `${DIST}coordinator/cli/main.js`;

/** Imports a module of dist/ by its path there, e.g. 'shared/tls.js'. */
export function distModule(path) {
  return import(`${DIST}${path}`);
}
