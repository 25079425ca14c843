// Custom runbooks for a lab: its nodes (optionally at other addresses), the lab's
// certificates, and the steps a test needs; and reading history.jsonl as the manual reads.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import { readHistory, type HistoryEntry } from '../../lab/state/lab-state.js';

export interface LabRunbookFacts {
  nodes: Array<{ name: string; address: string }>;
  /** The 2.1.3-1 rpm every node upgrades to. */
  targetPackage: string;
}

export function labRunbookFacts(labDir: string): LabRunbookFacts {
  const runbook = parseYaml(readFileSync(join(labDir, 'runbook.yaml'), 'utf8')) as { nodes: LabRunbookFacts['nodes']; params: { package: string } };
  return { nodes: runbook.nodes, targetPackage: runbook.params.package };
}

/** Writes LAB/NAME.yaml (procedure custom) and returns its path. */
export function writeCustomRunbook(labDir: string, name: string, nodes: LabRunbookFacts['nodes'], steps: unknown[]): string {
  const path = join(labDir, `${name}.yaml`);
  writeFileSync(path, stringify({ cluster: 'lab', nodes, procedure: 'custom', tls: { ca: 'pki/ca.pem', cert: 'pki/coordinator.pem', key: 'pki/coordinator.key' }, steps }));
  return path;
}

/** The command's argv starts with these words. */
export function isCommand(entry: HistoryEntry, ...prefix: string[]): boolean {
  return prefix.every((word, index) => entry.argv[index] === word);
}

export function historySince(labDir: string, since: number): HistoryEntry[] {
  return readHistory(labDir).filter((entry) => entry.t >= since);
}

/** Reads leave a node as it was: rpm -q/-qp, clpstat, clpmdstat, `chkconfig NAME`, `/etc/init.d/NAME status`. */
export function isRead(argv: string[]): boolean {
  const [program, first] = argv;
  if (program === 'rpm') return first === '-q' || first === '-qp';
  if (program === 'clpstat' || program === 'clpmdstat') return true;
  if (program === 'chkconfig') return argv.length === 2;
  return program?.startsWith('/etc/init.d/') === true && first === 'status';
}

/** Every command that changed a node of the lab at or after `since` (ms): none may run twice. */
export function changesSince(labDir: string, since: number): HistoryEntry[] {
  return historySince(labDir, since).filter((entry) => !isRead(entry.argv));
}

/** Wall-clock ms with a fraction, on the clock history.jsonl uses. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
