// `lockstep lab up --like RUNBOOK` (issue 17): the runbook's cluster as the coordinator's
// preflight reads it through the agents — a dry run that answers its facts, read-only.
import type { Command } from 'commander';
import { parseDocument } from 'yaml';
import { parseFactsFile, type FactsFile } from '../../shared/facts-file.js';
import { withHint, invokingUser, openCoordinator } from './coordinator-connection.js';
import { readRunbookFile } from './runbook-file.js';

export async function readLiveFacts(command: Command, runbookFile: string): Promise<{ facts: FactsFile; runbook: { path: string; yaml: string } }> {
  const runbook = await readRunbookFile(runbookFile);
  const client = await openCoordinator(command);
  try {
    const plan = await client.submit({ runbookYaml: withoutRehearsal(runbook.yaml), runbookPath: runbook.path, dryRun: true, autoApprove: false, requestedBy: invokingUser(), includeFacts: true });
    return { facts: parseFactsFile(plan.factsJson ?? '', "the coordinator's facts"), runbook: { path: runbook.path, yaml: runbook.yaml } };
  } catch (error) {
    throw withHint(error);
  } finally {
    client.close();
  }
}

/**
 * The facts do not depend on predictions: a runbook's `rehearsal:` file is left unread, so the
 * first rehearsal of a runbook that names one (not written yet) can read its cluster.
 */
function withoutRehearsal(yaml: string): string {
  const doc = parseDocument(yaml);
  if (doc.errors.length > 0 || !doc.has('rehearsal')) return yaml;
  doc.delete('rehearsal');
  return doc.toString();
}
