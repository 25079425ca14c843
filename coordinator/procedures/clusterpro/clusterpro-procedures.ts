// The CLUSTERPRO X procedures as the registry knows them: what each reads from the nodes
// (the product package, the runbook's rpm on every node, the cluster), and its compiler.
import type { BuiltInProcedure } from '../built-in-procedure.js';
import { compileClusterpro, loadRunbookBundle } from './compile-clusterpro.js';
import type { ProcedureDefinition } from './manual-step.js';
import { parseClusterproParams } from './params.js';
import { CLUSTERPRO_PROCEDURES } from './procedures.js';

function builtIn(definition: ProcedureDefinition): BuiltInProcedure {
  return {
    // Params and bundle are checked here, before any node is contacted.
    facts: (runbook) => ({
      productPackage: loadRunbookBundle(runbook).product.package,
      packageFile: parseClusterproParams(runbook).package,
      // 3.1.1: before the install there is no cluster to read.
      cluster: definition.packageAction !== 'install',
    }),
    compile: (runbook, facts) => compileClusterpro(definition, runbook, facts),
  };
}

export const CLUSTERPRO_BUILT_INS: ReadonlyArray<[string, BuiltInProcedure]> = CLUSTERPRO_PROCEDURES.map((definition) => [definition.name, builtIn(definition)]);
