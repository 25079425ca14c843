// SPEC §3.3: the agent touches only the services on its service driver's allow-list; the
// service boundary refuses a request for any other before anything is journaled or run.
import { invalidArgument } from '../../../shared/errors.js';
import { requireName } from '../../../shared/names.js';

/** Validates the configured names once, so a bad entry fails at start-up, not mid-procedure. */
export function toAllowList(names: Iterable<string>): ReadonlySet<string> {
  return new Set([...names].map((name) => requireName('allowList', name)));
}

/** The name, when it is well-formed and allowed; otherwise INVALID_ARGUMENT on field `name`. */
export function requireAllowedService(allowList: ReadonlySet<string>, name: string): string {
  requireName('name', name);
  if (!allowList.has(name)) {
    throw invalidArgument('name', `service "${name}" is not on this agent's allow-list (${[...allowList].join(', ') || 'empty'})`);
  }
  return name;
}
