// Command-line flags checked against the same schema as the program's config file, so a
// flag and its YAML key accept exactly the same values. The errors name the flag.
import type { ConfigSchema } from './config-file.js';
import { LockstepError } from './errors.js';

/** The flags that were given (undefined dropped, so they do not hide the file's values), validated. */
export function checkFlags<T>(schema: ConfigSchema<T>, flags: object): T {
  const given = Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined));
  const result = schema.safeParse(given);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw configError(`--${String(issue?.path[0] ?? '')}`, issue?.message ?? 'invalid');
}

/** A bad setting (exit 2), naming the flag. */
export function configError(field: string, message: string): LockstepError {
  return new LockstepError('LOCKSTEP_E_CONFIG', `${field}: ${message}`, { field });
}
