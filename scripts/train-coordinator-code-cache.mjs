// Run by bundle-cli.mjs with a command line: runs the coordinator's bundle as
// `lockstep-coordinator` does, and as the process exits writes V8's code cache of every function
// it compiled on the way, for main.js to start from.
import { writeFileSync } from 'node:fs';
import { COORDINATOR_CODE_CACHE, loadCoordinatorBundle } from '../dist/coordinator/coordinator-bundle.js';

const { coordinator, script } = loadCoordinatorBundle();
process.on('exit', () => writeFileSync(COORDINATOR_CODE_CACHE, script.createCachedData()));
coordinator.runCoordinator();
