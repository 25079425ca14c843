// The field schemas runbooks are made of. Each message says what was expected and what was
// found, so that `runbook.yaml:7: steps[2].with.services[0]: …` tells the operator what to
// write instead (SPEC §6.1).
import { posix } from 'node:path';
import { z } from 'zod';
import { MAX_TEXT_LENGTH, NAME_PATTERN, truncateForMessage } from '../../shared/names.js';
import { reservedNodeNameReason } from '../../shared/reserved-node-names.js';
import { parseDuration } from '../../shared/duration.js';

/** What zod passes to an error function; only the input matters to our messages. */
interface RawIssue {
  readonly input?: unknown;
}

/** A message for a field that is missing or has the wrong value. */
export function expecting(what: string): (issue: RawIssue) => string {
  return (issue) => (issue.input === undefined ? `required: expected ${what}` : `expected ${what}, got ${shown(issue.input)}`);
}

function shown(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  return typeof value === 'string' ? JSON.stringify(truncateForMessage(value)) : String(value);
}

/** A string matching every pattern, with one message for any mismatch. */
export function patterned(what: string, ...patterns: RegExp[]) {
  const error = expecting(what);
  return patterns.reduce((schema, pattern) => schema.regex(pattern, { error }), z.string({ error }));
}

/** A map that refuses keys it does not know, each at its own line, naming the keys it knows. */
export function strictMap<Shape extends z.ZodRawShape>(shape: Shape, what: string) {
  const known = Object.keys(shape).join(', ');
  const unknownKey = z.custom<never>(() => false, { error: `unknown key: expected one of ${known}` });
  return z.object(shape, { error: expecting(what) }).catchall(unknownKey);
}

export const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export const nodeName = patterned('a node name: a letter or digit, then up to 62 of A-Z a-z 0-9 _ . -', NODE_NAME_PATTERN).superRefine((value, ctx) => {
  const reason = reservedNodeNameReason(value);
  if (reason !== undefined) ctx.addIssue({ code: 'custom', input: value, message: reason });
});

/** Service, group, mirror, resource and hook names (SPEC §3.3); a leading dash would read as an option. */
export const name = patterned('a name of 1-128 characters A-Z a-z 0-9 _ . @ : - (not starting with -)', NAME_PATTERN, /^[^-]/);

/** What rpm accepts as a package name (the agent's rpm driver checks the same). */
export const packageName = patterned('a package name such as clusterpro', /^[A-Za-z0-9_][A-Za-z0-9._+~^:-]{0,254}$/);

/** [EPOCH:]VERSION-RELEASE, as `rpm -q` reports it. */
export const versionRelease = patterned('a version-release such as 2.1.3-1', /^(?:\d{1,9}:)?[A-Za-z0-9._+~^]{1,64}-[A-Za-z0-9._+~^]{1,64}$/);

export const hostPort = patterned(
  'HOST:PORT, e.g. 10.0.0.1:7451',
  /^(\[[0-9a-fA-F:.]{2,45}\]|[A-Za-z0-9.-]{1,253}):([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5])$/,
);

export const flag = z.boolean({ error: expecting('true or false') });

/** Free text an operator reads (messages, descriptions): bounded, one NUL-free string. */
export function text(what: string, maxLength = 1024) {
  return z
    .string({ error: expecting(what) })
    .min(1, { error: expecting(what) })
    .max(maxLength, { error: (issue) => `is ${String(issue.input).length} characters long; at most ${maxLength} are allowed` })
    .regex(/^[^\0]*$/, { error: 'must not contain a NUL character' });
}

/** A path on the nodes: absolute and normalised, so that it means one file everywhere. */
export function absolutePath(what: string, suffix = '') {
  return text(what, MAX_TEXT_LENGTH)
    .refine((path) => path.startsWith('/'), { error: (issue) => `expected an absolute path to ${what}, got ${shown(issue.input)}` })
    .refine((path) => posix.normalize(path) === path, {
      error: (issue) => `expected a normalised path (no ".", ".." or "//"), got ${shown(issue.input)}`,
    })
    .refine((path) => path.endsWith(suffix), { error: (issue) => `expected a path ending in "${suffix}", got ${shown(issue.input)}` });
}

/** A file on the coordinator's host; relative paths resolve against the runbook's directory (SPEC §8). */
export function localPath(what: string) {
  return text(what, MAX_TEXT_LENGTH);
}

const MAX_TIMEOUT_MS = 24 * 3_600_000;

/** A step timeout such as 30s, 10m or 2h, as milliseconds. */
export const timeout = z
  .string({ error: expecting('a duration such as 30s, 10m or 2h') })
  .transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined || ms < 1000 || ms > MAX_TIMEOUT_MS) {
      ctx.addIssue({ code: 'custom', input: value, message: `expected a duration from 1s to 24h such as 30s, 10m or 2h, got ${shown(value)}` });
      return z.NEVER;
    }
    return ms;
  });
