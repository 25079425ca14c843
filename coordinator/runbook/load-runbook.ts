// Reading a runbook: YAML, validated whole, errors as `file:line: field: what was expected`
// (SPEC §6.1). Nothing is used from a runbook that fails.
import { dirname, resolve } from 'node:path';
import { loadYamlFile, parseYamlWith } from '../../shared/config-file.js';
import { runbookSchema, type Runbook } from './runbook-schema.js';

export type { Runbook } from './runbook-schema.js';

/** Validates runbook text; `file` names it in messages. Throws ConfigError (LOCKSTEP_E_CONFIG). */
export function parseRunbook(file: string, text: string): Runbook {
  return parseYamlWith(file, text, runbookSchema);
}

/** Reads and validates a runbook file. Throws ConfigError (LOCKSTEP_E_CONFIG). */
export function loadRunbook(path: string): Runbook {
  return loadYamlFile(path, runbookSchema);
}

/**
 * SPEC §8: relative paths in a runbook are the runbook directory's, wherever the coordinator
 * was started. Package paths are not touched: they are paths on the nodes, always absolute.
 */
export function resolveRunbookPaths(runbook: Runbook, runbookPath: string): Runbook {
  const directory = dirname(resolve(runbookPath));
  const tls = runbook.tls && { ca: resolve(directory, runbook.tls.ca), cert: resolve(directory, runbook.tls.cert), key: resolve(directory, runbook.tls.key) };
  return { ...runbook, ...(tls && { tls }), ...(runbook.rehearsal !== undefined && { rehearsal: resolve(directory, runbook.rehearsal) }) };
}
