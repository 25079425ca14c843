// The built-in vendor procedures, by the name a runbook gives in `procedure:`. Each says what
// it must read from the nodes, then compiles the runbook and those facts into a plan —
// refusing, with the manual's own reason, what the manual refuses (the preflight).
import type { ClusterFacts, FactsRequest } from '../plan/cluster-facts.js';
import type { Plan } from '../plan/plan.js';
import type { Runbook } from '../runbook/runbook-schema.js';
import { CLUSTERPRO_BUILT_INS } from './clusterpro/clusterpro-procedures.js';

export interface BuiltInProcedure {
  /** What the coordinator must read from the nodes before compiling. */
  facts(runbook: Runbook): FactsRequest;
  /** Throws LOCKSTEP_E_PREFLIGHT (or LOCKSTEP_E_CONFIG for bad params) to refuse. */
  compile(runbook: Runbook, facts: ClusterFacts): Plan;
}

export const BUILT_IN_PROCEDURES: ReadonlyMap<string, BuiltInProcedure> = new Map<string, BuiltInProcedure>([...CLUSTERPRO_BUILT_INS]);
