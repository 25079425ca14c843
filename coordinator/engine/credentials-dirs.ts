// SPEC §8: the coordinator reads TLS material only from the directories its own configuration
// names (--credentials-dir). A runbook comes from whoever may submit one; without this, any
// local user could have the coordinator load root's keys on their behalf (docs/security.md).
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { invalidArgument } from '../../shared/errors.js';
import type { TlsPaths } from '../../shared/tls.js';

/** The fields in the order a refusal names them: the key is what an attacker wants. */
const FIELDS = ['key', 'cert', 'ca'] as const;

export class CredentialsDirs {
  private readonly dirs: string[];

  constructor(readonly configured: readonly string[]) {
    this.dirs = configured.map((dir) => realPath(resolve(dir)));
  }

  /**
   * The runbook's paths, resolved through every symlink, once each is known to lie inside a
   * credentials directory; the caller reads only these. The answer depends on the path alone,
   * never on whether the file exists or may be read, so it tells nothing about files outside.
   */
  confine(tls: TlsPaths): TlsPaths {
    const resolved = { ca: realPath(resolve(tls.ca)), cert: realPath(resolve(tls.cert)), key: realPath(resolve(tls.key)) };
    const outside = FIELDS.filter((field) => !this.dirs.some((dir) => isInside(resolved[field], dir)));
    const [first] = outside;
    if (first !== undefined) {
      const named = outside.map((field) => `tls.${field} (${tls[field]})`).join(', ');
      throw invalidArgument(
        `tls.${first}`,
        `${named} ${outside.length === 1 ? 'is' : 'are'} not inside a credentials directory of this coordinator (${this.configured.join(', ')}); ` +
          'the coordinator uses only credentials its administrator put there (--credentials-dir)',
      );
    }
    return resolved;
  }
}

/** realpath of the deepest part of `path` that exists, with the rest appended: symlinks anywhere on the way are followed. */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    const parent = dirname(path);
    return parent === path ? path : join(realPath(parent), basename(path));
  }
}

function isInside(path: string, dir: string): boolean {
  const rest = relative(dir, path);
  return rest !== '' && rest !== '..' && !rest.startsWith('../') && !isAbsolute(rest);
}
