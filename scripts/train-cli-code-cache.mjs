// Run by bundle-cli.mjs with a command line: runs the CLI's bundle as `lockstep` does, and as
// the process exits (commands end with process.exit) writes V8's code cache of every function
// it compiled on the way, for main.js to start from.
import { writeFileSync } from 'node:fs';
import { CLI_CODE_CACHE, loadCliBundle } from '../dist/coordinator/cli/cli-bundle.js';

const { cli, script } = loadCliBundle();
process.on('exit', () => writeFileSync(CLI_CODE_CACHE, script.createCachedData()));
await cli.runCli();
