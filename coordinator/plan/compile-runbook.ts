// From runbook text to an immutable plan and the agents' credentials. Custom runbooks compile
// here; the built-in vendor procedures are not part of this build and are refused by name.
import { ConfigError } from '../../shared/config-file.js';
import type { TlsPaths } from '../../shared/tls.js';
import { parseRunbook, resolveRunbookPaths } from '../runbook/load-runbook.js';
import { CUSTOM_PROCEDURE } from '../runbook/runbook-schema.js';
import { compileCustom } from './compile-custom.js';
import type { Plan } from './plan.js';

export function compileRunbook(runbookYaml: string, runbookPath: string): { plan: Plan; tls: TlsPaths } {
  const runbook = resolveRunbookPaths(parseRunbook(runbookPath, runbookYaml), runbookPath);
  if (runbook.procedure !== CUSTOM_PROCEDURE) {
    throw new ConfigError(runbookPath, [{ line: undefined, field: 'procedure', message: `"${runbook.procedure}" is not available in this build; write the steps out with procedure: custom` }]);
  }
  if (runbook.tls === undefined) {
    throw new ConfigError(runbookPath, [{ line: undefined, field: 'tls', message: 'is required: the coordinator talks to agents over mTLS only (tls: {ca, cert, key})' }]);
  }
  return { plan: compileCustom(runbook), tls: runbook.tls };
}
