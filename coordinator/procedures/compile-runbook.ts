// From runbook text to an immutable plan. Reading the runbook and compiling it are two steps
// because the built-in procedures compile from facts the coordinator reads from the nodes
// in between (cluster-facts.ts). It sits above both compilers: a runbook names either its own
// steps (`custom`, plan/compile-custom.ts) or a built-in procedure (registry.ts).
import { ConfigError } from '../../shared/config-file.js';
import type { TlsPaths } from '../../shared/tls.js';
import type { ClusterFacts, FactsRequest } from '../plan/cluster-facts.js';
import { compileCustom } from '../plan/compile-custom.js';
import type { Plan } from '../plan/plan.js';
import { parseRunbook, resolveRunbookPaths } from '../runbook/load-runbook.js';
import { CUSTOM_PROCEDURE, type Runbook } from '../runbook/runbook-schema.js';
import { BUILT_IN_PROCEDURES } from './registry.js';
import { pinPackageDigests, runbookPackageFiles } from '../plan/pin-package-digests.js';
import { withAvailabilityProof } from '../plan/availability-proof.js';
import { mattersToAvailability } from '../plan/step-effects.js';
import { isNodeStepKind } from '../runbook/step-kinds.js';

export interface Submission {
  runbook: Runbook;
  tls: TlsPaths;
  /** What to read from the nodes before compile. */
  facts: FactsRequest;
}

export function readSubmission(runbookYaml: string, runbookPath: string): Submission {
  const runbook = resolveRunbookPaths(parseRunbook(runbookPath, runbookYaml), runbookPath);
  if (runbook.tls === undefined) {
    throw new ConfigError(runbookPath, [{ line: undefined, field: 'tls', message: 'is required: the coordinator talks to agents over mTLS only (tls: {ca, cert, key})' }]);
  }
  if (runbook.procedure === CUSTOM_PROCEDURE) return { runbook, tls: runbook.tls, facts: customFacts(runbook) };
  const procedure = BUILT_IN_PROCEDURES.get(runbook.procedure);
  if (procedure === undefined) {
    const known = [CUSTOM_PROCEDURE, ...BUILT_IN_PROCEDURES.keys()].join(', ');
    throw new ConfigError(runbookPath, [{ line: undefined, field: 'procedure', message: `"${runbook.procedure}" is not a procedure of this build; expected one of ${known}` }]);
  }
  return { runbook, tls: runbook.tls, facts: procedure.facts(runbook) };
}

/** The plan, its package tasks pinned to the digests the nodes reported. */
export function compileSubmission(submission: Submission, facts: ClusterFacts): Plan {
  const { runbook } = submission;
  const compiled = runbook.procedure === CUSTOM_PROCEDURE ? compileCustom(runbook) : (BUILT_IN_PROCEDURES.get(runbook.procedure) as NonNullable<ReturnType<typeof BUILT_IN_PROCEDURES.get>>).compile(runbook, facts);
  // Issue 16 part 3: every plan, built-in or custom, keeps its groups and mirrors available or says when it does not.
  return withAvailabilityProof(pinPackageDigests(compiled, facts), facts);
}

/** A custom runbook that takes servers or groups out reads the cluster's state (if it has one) for the availability proof. */
function customFacts(runbook: Runbook): FactsRequest {
  const touchesCluster = (runbook.steps ?? []).some((step) => isNodeStepKind(step.kind) && mattersToAvailability(step.kind, step.with.services));
  return { cluster: touchesCluster ? 'if-clustered' : false, packageFiles: runbookPackageFiles(runbook) };
}
