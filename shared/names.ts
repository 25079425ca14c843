import { invalidArgument } from './errors.js';

// SPEC §3.3: service, group, resource and hook names. No shell metacharacters, no slashes,
// no spaces, bounded length.
export const NAME_PATTERN = /^[A-Za-z0-9_.@:-]{1,128}$/;

/** Bounds every free-text input that reaches a node (arguments of hooks, ids). */
export const MAX_TEXT_LENGTH = 4096;

/** RunHook's arguments: the runbook (`with.args`) and the agent take the same bounds. */
export const MAX_HOOK_ARGS = 64;
export const MAX_HOOK_ARG_LENGTH = 1024;

export function requireName(field: string, value: string | undefined): string {
  if (value === undefined || value === '') throw invalidArgument(field, 'is required');
  if (!NAME_PATTERN.test(value)) {
    throw invalidArgument(
      field,
      `"${truncateForMessage(value)}" is not a valid name: expected 1-128 characters of A-Z a-z 0-9 _ . @ : -`,
    );
  }
  // A leading dash would read as an option to the tool the name is passed to.
  if (value.startsWith('-')) throw invalidArgument(field, `"${value}" must not start with "-"`);
  return value;
}

export function optionalName(field: string, value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : requireName(field, value);
}

export function requireText(field: string, value: string, maxLength = MAX_TEXT_LENGTH): string {
  if (value.length > maxLength) throw invalidArgument(field, `is ${value.length} characters long; at most ${maxLength} are allowed`);
  if (value.includes('\0')) throw invalidArgument(field, 'must not contain a NUL character');
  return value;
}

export function truncateForMessage(value: string, max = 60): string {
  return value.length <= max ? value : `${value.slice(0, max)}…`;
}
