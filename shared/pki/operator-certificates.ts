// SPEC §8: `lockstep certs issue --dir D --operator NAME --roles operator,approver` signs a
// person's client certificate for the coordinator's TLS API with the CA of `certs init`, as
// D/operators/NAME.pem and NAME.key (0600). The coordinator journals NAME and grants the roles.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LockstepError } from '../errors.js';
import { truncateForMessage } from '../names.js';
import { issueOperatorCertificate } from './certificate-authority.js';
import { firstExisting, pairPaths, readCertificateAuthority, writePair } from './certs-init.js';
import type { OperatorRole } from './roles.js';

// A login name or an e-mail-like handle: it is journaled and shown, so nothing else.
const OPERATOR_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/;

export interface IssueOperatorOptions {
  dir: string;
  operator: string;
  roles: readonly OperatorRole[];
}

export async function issueOperatorCertificates(options: IssueOperatorOptions): Promise<{ files: string[] }> {
  if (!OPERATOR_NAME_PATTERN.test(options.operator)) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--operator: "${truncateForMessage(options.operator)}" is not a valid name: 1-64 of A-Z a-z 0-9 _ . @ -, not starting with . @ -`, { field: '--operator' });
  }
  const operators = join(options.dir, 'operators');
  const paths = pairPaths(operators, options.operator);
  const existing = await firstExisting([paths.cert, paths.key]);
  if (existing !== undefined) throw new LockstepError('LOCKSTEP_E_CONFIG', `--operator: ${existing} already exists; remove it first to issue a new one`, { field: '--operator' });
  const ca = await readCertificateAuthority(options.dir);
  await mkdir(operators, { recursive: true, mode: 0o700 });
  return { files: await writePair(paths, await issueOperatorCertificate(ca, options.operator, options.roles)) };
}
