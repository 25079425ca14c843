// What a built-in vendor procedure gives the coordinator. A leaf, so that the registry and
// each vendor's procedures can both speak it without importing each other.
import type { ClusterFacts, FactsRequest } from '../plan/cluster-facts.js';
import type { Plan } from '../plan/plan.js';
import type { Runbook } from '../runbook/runbook-schema.js';

export interface BuiltInProcedure {
  /** What the coordinator must read from the nodes before compiling. */
  facts(runbook: Runbook): FactsRequest;
  /** Throws LOCKSTEP_E_PREFLIGHT (or LOCKSTEP_E_CONFIG for bad params) to refuse. */
  compile(runbook: Runbook, facts: ClusterFacts): Plan;
}
