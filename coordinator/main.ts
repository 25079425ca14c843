#!/usr/bin/env node
// lockstep-coordinator (SPEC §1, §4, §7): coordinator-main.ts, started from the bundle the
// build makes of it (coordinator-bundle.ts, issue 19).
import { loadCoordinatorBundle } from './coordinator-bundle.js';

loadCoordinatorBundle().coordinator.runCoordinator();
