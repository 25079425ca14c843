// The built-in vendor procedures, by the name a runbook gives in `procedure:`. Each says what
// it must read from the nodes, then compiles the runbook and those facts into a plan —
// refusing, with the manual's own reason, what the manual refuses (the preflight).
import type { BuiltInProcedure } from './built-in-procedure.js';
import { CLUSTERPRO_BUILT_INS } from './clusterpro/clusterpro-procedures.js';
import { SOLARIS_BUILT_INS } from './solaris/solaris-procedures.js';

export const BUILT_IN_PROCEDURES: ReadonlyMap<string, BuiltInProcedure> = new Map<string, BuiltInProcedure>([...CLUSTERPRO_BUILT_INS, ...SOLARIS_BUILT_INS]);
