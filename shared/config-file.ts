// Loads a YAML file and validates it with a schema (zod's, or a check of the same shape).
// Every error names the file, the line, the field and what was expected; nothing is used
// from a file that fails.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { LockstepError, describeError } from './errors.js';

/**
 * What the loaders need of a schema: zod's `safeParse`. The agent validates its few flat
 * settings without zod, which would be the largest part of its idle memory (PERFORMANCE.md §3).
 */
export interface ConfigSchema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: readonly SchemaIssue[] } };
}

export interface SchemaIssue {
  path: readonly PropertyKey[];
  message: string;
}

export interface ConfigIssue {
  line: number | undefined;
  field: string;
  message: string;
}

export class ConfigError extends LockstepError {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super('LOCKSTEP_E_CONFIG', issues.map((issue) => formatIssue(file, issue)).join('\n'), { field: issues[0]?.field });
    this.name = 'ConfigError';
  }
}

function formatIssue(file: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? file : `${file}:${issue.line}`;
  return `${where}: ${issue.field || '(document)'}: ${issue.message}`;
}

/** Parses YAML text and validates it; `file` is only for messages. */
export function parseYamlWith<T>(file: string, text: string, schema: ConfigSchema<T>): T {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((error) => ({ line: error.linePos?.[0]?.line ?? lineCounter.linePos(error.pos[0]).line, field: '', message: `not valid YAML: ${error.message.split('\n')[0]}` })),
    );
  }
  let value: unknown;
  try {
    // Unresolved aliases and alias bombs throw here, not in parseDocument.
    value = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (error) {
    throw new ConfigError(file, [{ line: undefined, field: '', message: `not valid YAML: ${describeError(error)}` }]);
  }
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ConfigError(
    file,
    result.error.issues.map((issue) => ({
      line: lineOf(doc, lineCounter, issue.path),
      field: fieldPath(issue.path),
      message: issue.message,
    })),
  );
}

export function loadYamlFile<T>(file: string, schema: ConfigSchema<T>): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [{ line: undefined, field: '', message: `cannot be read: ${describeError(error)}` }]);
  }
  return parseYamlWith(file, text, schema);
}

/** `nodes[1].address` */
export function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${String(key)}` : String(key)), '');
}

/** The line of the deepest node on the path that exists (the parent, for a missing key). */
function lineOf(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]).line;
  }
  return undefined;
}
