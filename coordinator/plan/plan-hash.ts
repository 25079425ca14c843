// A plan's identity (SPEC §4.1: "the plan is stored with its hash"): sha256 of a canonical
// JSON — keys sorted, undefined left out — so equal plans hash equally whatever order their
// objects were built in, in this run or the next.
import { createHash } from 'node:crypto';
import type { Plan } from './plan.js';

export function planHash(plan: Plan): string {
  return createHash('sha256').update(canonicalJson(plan)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, nested: unknown) => (isPlainObject(nested) ? sortKeys(nested) : nested));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sortKeys(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.keys(object).sort().map((key) => [key, object[key]]));
}
