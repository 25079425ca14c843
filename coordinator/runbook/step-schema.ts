// One runbook step (SPEC §6.1, §6.2): its id, kind, target (`on`) and the kind's parameters
// (`with`). The kind decides which `with` keys exist and whether `on`, `confirm`, `timeout`
// and `description` make sense, so those are checked once the kind is known.
import { z } from 'zod';
import { MAX_HOOK_ARG_LENGTH, MAX_HOOK_ARGS } from '../../shared/names.js';
import { STEP_KINDS, isNodeStepKind, type StepKind } from './step-kinds.js';
import type { StepParams } from './step-params.js';
import {
  absolutePath,
  expecting,
  flag,
  name,
  nodeName,
  packageName,
  patterned,
  strictMap,
  text,
  timeout,
  versionRelease,
} from './runbook-fields.js';

/** Where a node step runs: every node, the lead, one named node, or node by node. */
export type StepTarget = 'all' | 'one' | { node: string } | { rolling: string[]; batch: number };

/** A step's `with`, validated for its kind. */
export type StepWith = Omit<StepParams, 'timeoutMs'> & {
  /** gate, notice: what the operator reads. */
  message?: string;
};

export interface RunbookStep {
  id: string;
  kind: StepKind;
  /** Node steps only; absent means `all`. */
  on: StepTarget | undefined;
  with: StepWith;
  /** Barriers only: `confirm: operator`. */
  confirm: boolean;
  /** Gates only: `pre-approve: true` lets the gate be approved before the run reaches it. */
  preApprove: boolean;
  timeoutMs: number | undefined;
  description: string | undefined;
}

const rpmFile = absolutePath('the .rpm file on every node', '.rpm');
const services = z
  .array(name, { error: expecting('a list of service names') })
  .min(1, { error: 'expected at least one service' })
  .max(64, { error: 'expected at most 64 services' });
const hookArgs = z
  .array(text('an argument', MAX_HOOK_ARG_LENGTH), { error: expecting('a list of arguments') })
  .max(MAX_HOOK_ARGS, { error: `expected at most ${MAX_HOOK_ARGS} arguments` });
const typeVersion = patterned('a Type_version such as 3.2', /^[A-Za-z0-9._-]{1,64}$/);

const packageFile = strictMap({ package: rpmFile }, 'a map with package');
const packageByName = strictMap({ name: packageName }, 'a map with name');
const serviceList = strictMap({ services }, 'a map with services');
const groupOnly = strictMap({ group: name }, 'a map with group');
const resourceOnly = strictMap({ resource: name }, 'a map with resource');
const resourceGroup = strictMap({ resourceGroup: name }, 'a map with resourceGroup');
const messageOnly = strictMap({ message: text('a message for the operator') }, 'a map with message');

/** `with` per kind; undefined: the kind takes no parameters. */
const WITH_SCHEMAS: Record<StepKind, z.ZodType<StepWith> | undefined> = {
  'package.query': packageByName,
  'package.install': packageFile,
  'package.upgrade': packageFile,
  // CPRO-XL050-06 6: some downgrades need `rpm -U --force` rather than --oldpackage.
  'package.downgrade': strictMap({ package: rpmFile, force: flag.optional() }, 'a map with package and force'),
  'package.remove': packageByName,
  'service.enable': serviceList,
  'service.disable': serviceList,
  'service.start': serviceList,
  'service.stop': serviceList,
  'cluster.suspend': undefined,
  'cluster.resume': undefined,
  'cluster.shutdown': undefined,
  'cluster.wait-healthy': undefined,
  'server.shutdown': undefined,
  'node.reboot': undefined,
  'group.move': strictMap({ group: name, to: nodeName.optional() }, 'a map with group and to'),
  'group.start': groupOnly,
  'group.stop': groupOnly,
  'mirror.wait-green': strictMap({ mirror: name.optional(), recover: flag.optional() }, 'a map with mirror and recover'),
  'mirror.recover': strictMap({ mirror: name }, 'a map with mirror'),
  'rt.register': strictMap({ resourceType: name, rtrPath: absolutePath('the RTR file') }, 'a map with resourceType and rtrPath'),
  'resource.migrate': strictMap({ resource: name, typeVersion }, 'a map with resource and typeVersion'),
  'resource.monitor': resourceOnly,
  'resource.unmonitor': resourceOnly,
  'resource.enable': resourceOnly,
  'resource.disable': resourceOnly,
  'rg.offline': resourceGroup,
  'rg.online': resourceGroup,
  'rg.manage': resourceGroup,
  'rg.unmanage': resourceGroup,
  'node.evacuate': undefined,
  'node.leave-cluster': undefined,
  'node.rejoin-cluster': undefined,
  'hook.run': strictMap({ hook: name, args: hookArgs.optional() }, 'a map with hook and args'),
  'verify.package-version': strictMap({ name: packageName, version: versionRelease }, 'a map with name and version'),
  gate: messageOnly,
  barrier: undefined,
  notice: messageOnly,
  'safe-point': undefined,
};

const TARGET = 'all, one, {node: NAME} or {rolling: [NAMES…], batch: K}';

const rollingTarget = strictMap(
  {
    rolling: z
      .array(nodeName, { error: expecting('a list of node names, in the order they update') })
      .min(1, { error: 'expected at least one node' })
      .superRefine(refuseRepeats),
    batch: z.int({ error: expecting('a whole number of nodes per batch, 1 or more') }).min(1, { error: expecting('a whole number of nodes per batch, 1 or more') }).optional(),
  },
  'a map with rolling and batch',
).transform((target) => ({ rolling: target.rolling, batch: target.batch ?? 1 }));

const TARGET_SCHEMAS = {
  word: z.enum(['all', 'one'], { error: expecting(TARGET) }),
  node: strictMap({ node: nodeName }, 'a map with node'),
  rolling: rollingTarget,
  other: z.custom<never>(() => false, { error: expecting(TARGET) }),
};

/** The shape decides which target it is meant to be, so the message is about that shape. */
function targetSchema(value: unknown): z.ZodType<StepTarget> {
  if (typeof value === 'string') return TARGET_SCHEMAS.word;
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    if ('rolling' in value) return TARGET_SCHEMAS.rolling;
    if ('node' in value) return TARGET_SCHEMAS.node;
  }
  return TARGET_SCHEMAS.other;
}

function refuseRepeats(names: string[], ctx: z.RefinementCtx): void {
  names.forEach((node, index) => {
    const first = names.indexOf(node);
    if (first !== index) ctx.addIssue({ code: 'custom', path: [index], message: `"${node}" is already in this list (at [${first}]): each node updates once` });
  });
}

const stepFields = strictMap(
  {
    id: patterned('a step id: a lower-case letter or digit, then up to 63 of a-z 0-9 . _ -', /^[a-z0-9][a-z0-9._-]{0,63}$/),
    kind: z.enum(STEP_KINDS, { error: expecting(`a step kind (SPEC §6.2): ${STEP_KINDS.join(', ')}`) }),
    on: z.unknown().optional(),
    with: z.unknown().optional(),
    confirm: z.literal('operator', { error: expecting('operator') }).optional(),
    'pre-approve': flag.optional(),
    timeout: timeout.optional(),
    description: text('a description').optional(),
  },
  'a step: a map with id, kind, on, with',
);

type StepFields = z.output<typeof stepFields>;

export const stepSchema: z.ZodType<RunbookStep> = stepFields.transform((fields, ctx) => {
  const misplaced = misplacedFields(fields);
  for (const [field, message] of misplaced) ctx.addIssue({ code: 'custom', path: [field], message });
  const target = fields.on === undefined ? undefined : parseInto(targetSchema(fields.on), fields.on, ['on'], ctx);
  const params = parseWith(fields, ctx);
  if (misplaced.length > 0 || target === null || params === null) return z.NEVER;
  return {
    id: fields.id,
    kind: fields.kind,
    on: target,
    with: params,
    confirm: fields.confirm === 'operator',
    preApprove: fields['pre-approve'] === true,
    timeoutMs: fields.timeout,
    description: fields.description,
  };
});

/** Fields the step's kind has no use for, with what to do about them. */
function misplacedFields(fields: StepFields): Array<[keyof StepFields, string]> {
  const misplaced: Array<[keyof StepFields, string]> = [];
  const coordinatorStep = !isNodeStepKind(fields.kind);
  if (coordinatorStep && fields.on !== undefined) {
    misplaced.push(['on', `a ${fields.kind} is the coordinator's and runs on no node: remove "on"`]);
  }
  if (fields.kind !== 'barrier' && fields.confirm !== undefined) {
    misplaced.push(['confirm', `only a barrier can wait for an operator's confirmation (use a gate to ask a question): remove "confirm"`]);
  }
  if (fields.kind !== 'gate' && fields['pre-approve'] !== undefined) {
    misplaced.push(['pre-approve', `only a gate can be approved in advance: remove "pre-approve"`]);
  }
  if (coordinatorStep && fields.timeout !== undefined) {
    misplaced.push(['timeout', `a ${fields.kind} waits as long as it must: "timeout" is for node steps`]);
  }
  if (fields.description !== undefined && (fields.kind === 'gate' || fields.kind === 'notice' || fields.kind === 'safe-point')) {
    misplaced.push(['description', `a ${fields.kind} says what it says in with.message: remove "description"`]);
  }
  return misplaced;
}

/** The kind's parameters; null when they are wrong (the issues are on ctx). */
function parseWith(fields: StepFields, ctx: z.RefinementCtx): StepWith | null {
  const schema = WITH_SCHEMAS[fields.kind];
  if (schema === undefined) {
    if (fields.with === undefined) return {};
    ctx.addIssue({ code: 'custom', path: ['with'], message: `a ${fields.kind} step takes no parameters: remove "with"` });
    return null;
  }
  if (fields.with !== undefined) return parseInto(schema, fields.with, ['with'], ctx);
  // Absent `with` is fine when every parameter is optional (mirror.wait-green).
  const defaults = schema.safeParse({});
  if (defaults.success) return defaults.data;
  const needed = defaults.error.issues.map((issue) => String(issue.path[0])).join(', ');
  ctx.addIssue({ code: 'custom', path: ['with'], message: `required: a ${fields.kind} step needs with: {${needed}}` });
  return null;
}

/** Parses a nested value, reporting its issues under `path`; null when it fails. */
function parseInto<T>(schema: z.ZodType<T>, value: unknown, path: PropertyKey[], ctx: z.RefinementCtx): T | null {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: [...path, ...issue.path], message: issue.message });
  return null;
}
