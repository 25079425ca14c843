#!/usr/bin/env node
// lockstep: the operator's command line (SPEC §7). The commands are program.ts; this starts
// them from the bundle the build makes of it (cli-bundle.ts, issue 19).
import { loadCliBundle } from './cli-bundle.js';

await loadCliBundle().cli.runCli();
