// A facts file (issue 17): what a plan's preflight read from the nodes — names, platform,
// installed product, services, the cluster's groups and mirrors — saved by
// `lockstep plan RUNBOOK --save-facts FILE` and read back by `lockstep lab up --from-facts FILE`
// to build a twin of the cluster where the cluster cannot be reached. Versioned; every read
// is checked against the schema, and a bad file is refused naming the field.
import { z } from 'zod';
import { LockstepError } from './errors.js';

export const FACTS_FORMAT = 'lockstep-facts';
export const FACTS_VERSION = 1;

// Names as the runbook and the tools accept them; a hostile file must not smuggle paths or escapes.
const word = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@:+~^-]{0,127}$/, 'a name of letters, digits and _ . @ : + ~ ^ -');
const text = z.string().max(1024);

const packageSchema = z.strictObject({
  name: word,
  epoch: z.string().regex(/^\d{0,9}$/),
  version: word,
  release: word,
  arch: word,
  summary: text,
});

const nodeSchema = z.strictObject({
  name: word,
  address: text,
  hostname: text,
  /** `uname -m`. */
  machine: text,
  agentVersion: text,
  /** The installed product package; null when not installed or not asked. */
  installed: packageSchema.nullable(),
  /** The runbook's package file as `rpm -qp` read it on the node; null when missing or not asked. */
  packageFile: packageSchema.extend({ path: text }).nullable(),
  /** The product's services as the node reported them (STATUS). */
  services: z.array(z.strictObject({ name: word, enabled: z.boolean(), running: z.boolean() })),
});

const clusterSchema = z.strictObject({
  clusterName: word,
  servers: z.array(z.strictObject({ name: word, state: text })),
  /** Every group, where it runs (null: nowhere) and the resources clpstat lists under it. */
  groups: z.array(z.strictObject({ name: word, state: text, current: word.nullable(), resources: z.array(word) })),
});

const mirrorSchema = z.strictObject({
  name: word,
  /** Each server's copy, coloured as clpmdstat prints it (GREEN, RED…). */
  servers: z.array(z.strictObject({ server: word, color: word })),
});

export const factsFileSchema = z.strictObject({
  format: z.literal(FACTS_FORMAT),
  version: z.literal(FACTS_VERSION),
  /** ISO 8601, when the preflight read the nodes. */
  readAt: text,
  runbook: z.strictObject({ cluster: text, procedure: text }),
  nodes: z.array(nodeSchema).min(1),
  /** The cluster as the first reachable node saw it; null for custom runbooks. */
  cluster: clusterSchema.nullable(),
  mirrors: z.array(mirrorSchema),
});

export type FactsFile = z.infer<typeof factsFileSchema>;
export type FactsNode = FactsFile['nodes'][number];
export type FactsPackage = NonNullable<FactsNode['installed']>;

/** The facts in `text` (a facts file's content), checked; `source` names it in errors. */
export function parseFactsFile(text: string, source: string): FactsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw badFacts(source, '(file)', `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (typeof json === 'object' && json !== null && version !== undefined && version !== FACTS_VERSION) {
    throw badFacts(source, 'version', `this lockstep reads facts files of version ${FACTS_VERSION}, not ${JSON.stringify(version)}; save them again with "lockstep plan RUNBOOK --save-facts FILE"`);
  }
  const parsed = factsFileSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const [issue] = parsed.error.issues;
  const field = fieldPath(issue?.path ?? []);
  throw badFacts(source, field, issue?.message ?? 'invalid');
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, index) => (typeof part === 'number' ? `[${part}]` : `${index === 0 ? '' : '.'}${String(part)}`)).join('');
}

function badFacts(source: string, field: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${source}: ${field}: ${message}`, { field });
}
