// uid → user name and groups, group name → gid, as the system's user database (NSS: files, LDAP, sssd) says:
// `id`, not /etc/passwd, so directory users are named and grouped like local ones.
import { execFile } from 'node:child_process';
import { LockstepError, describeError } from '../../shared/errors.js';

export interface LocalAccount {
  uid: number;
  name: string;
  groups: string[];
}

const LOOKUP_TIMEOUT_MS = 5_000;
const LOOKUP_MAX_OUTPUT_BYTES = 64 * 1024;

/** The account of `uid`; a uid the database does not know keeps its number as name and has no groups. */
export async function localAccount(uid: number): Promise<LocalAccount> {
  // `+UID` makes id read a number as a uid even if some user is named like one.
  const [name, groups] = await Promise.all([runCommand('id', ['-nu', '--', `+${uid}`], NO_SUCH_USER), runCommand('id', ['-nG', '--', `+${uid}`], NO_SUCH_USER)]);
  if (name === undefined) return { uid, name: String(uid), groups: [] };
  return { uid, name, groups: (groups ?? '').split(/\s+/).filter((group) => group !== '') };
}

const NO_SUCH_USER = /no such user/;

/** The command's answer, or undefined when it exits non-zero with `notFound` on stderr (getent: exit 2, nothing said). */
function runCommand(command: string, args: string[], notFound: RegExp): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: LOOKUP_TIMEOUT_MS, maxBuffer: LOOKUP_MAX_OUTPUT_BYTES, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout.trim());
      else if (typeof error.code === 'number' && notFound.test(stderr.trim())) resolve(undefined);
      else reject(new LockstepError('LOCKSTEP_E_COMMAND', `${command} ${args.join(' ')}: ${describeError(error)}`, { cause: error }));
    });
  });
}

/** The gid of a group, or undefined when the database has no such group. */
export async function groupId(name: string): Promise<number | undefined> {
  const line = await runCommand('getent', ['group', '--', name], /^$/);
  const gid = Number(line?.split(':')[2]);
  return line === undefined || !Number.isInteger(gid) ? undefined : gid;
}
