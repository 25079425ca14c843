// SPEC §8 `lockstep certs init`: a CA, the coordinator's certificate and one per agent, laid
// out as D/ca.pem, D/ca.key, D/coordinator.pem, D/coordinator.key, D/agents/NAME.{pem,key}.
import { randomBytes } from 'node:crypto';
import { access, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { LockstepError, describeError } from '../errors.js';
import { truncateForMessage } from '../names.js';
import { reservedNodeNameReason } from '../reserved-node-names.js';
import { preparePrivateDir } from '../private-dir.js';
import {
  createCertificateAuthority,
  issueAgentCertificate,
  issueCoordinatorCertificate,
  type CertificateOptions,
  type KeyAndCertificate,
} from './certificate-authority.js';

/** A node name as it appears in a certificate's CN and SAN, and as a file name under agents/. */
export const NODE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export interface CertsInitOptions {
  dir: string;
  coordinator: string;
  agents: string[];
  /** Replace an existing CA (every certificate it signed stops being trusted). */
  force?: boolean;
  /** Leaf validity in days (--days); the default is DEFAULT_LEAF_DAYS. */
  days?: number;
  /** CA validity in days (--ca-days); the default is DEFAULT_CA_DAYS. */
  caDays?: number;
  /** Loopback SANs on every leaf: `lab up` only, never `certs init` (issue 21 §4). */
  loopbackNames?: boolean;
}

export interface WrittenFiles {
  files: string[];
}

const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export async function initCertificates(opts: CertsInitOptions): Promise<WrittenFiles> {
  const coordinator = requireNodeName('--coordinator', opts.coordinator);
  const agents = requireNodeNames(opts.agents);
  preparePrivateDir(opts.dir, { field: '--dir' });
  const caPaths = pairPaths(opts.dir, 'ca');
  const existingCa = opts.force ? undefined : await firstExisting([caPaths.cert, caPaths.key]);
  if (existingCa !== undefined) {
    throw new LockstepError(
      'LOCKSTEP_E_CONFIG',
      `--dir: ${existingCa} already exists: refusing to replace the CA, which would invalidate every certificate it signed; ` +
        'pass --force to replace it, or choose another directory',
      { field: '--dir' },
    );
  }
  // Sign everything before writing anything, so a failure leaves the directory as it was.
  const ca = await createCertificateAuthority(`lockstep CA (${coordinator})`, { validityDays: opts.caDays });
  const leafOptions = { validityDays: opts.days, loopbackNames: opts.loopbackNames };
  const leaves = [
    { paths: pairPaths(opts.dir, 'coordinator'), pair: await issueCoordinatorCertificate(ca, coordinator, leafOptions) },
    ...(await signAgents(ca, agentPaths(opts.dir, agents), leafOptions)),
  ];
  const files = await writeLeaves(opts.dir, leaves);
  // The CA goes last: an interrupted run leaves no CA behind, so a plain re-run completes it.
  files.push(...(await writePair(caPaths, ca)));
  return { files };
}

/** Signs certificates for more agents with the CA that `initCertificates` left in `dir`. */
export async function addAgentCertificates(dir: string, agentNames: string[], options: CertificateOptions = {}): Promise<WrittenFiles> {
  const agents = agentPaths(dir, requireNodeNames(agentNames));
  preparePrivateDir(dir, { field: '--dir' });
  const existing = await firstExisting(agents.flatMap((agent) => [agent.paths.cert, agent.paths.key]));
  if (existing !== undefined) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--agents: ${existing} already exists; remove it first to sign a new one`, {
      field: '--agents',
    });
  }
  return { files: await writeLeaves(dir, await signAgents(await readCertificateAuthority(dir), agents, options)) };
}

export interface PairPaths {
  cert: string;
  key: string;
}

interface AgentTarget {
  name: string;
  paths: PairPaths;
}

export interface SignedLeaf {
  paths: PairPaths;
  pair: KeyAndCertificate;
}

export function pairPaths(dir: string, base: string): PairPaths {
  return { cert: join(dir, `${base}.pem`), key: join(dir, `${base}.key`) };
}

function agentPaths(dir: string, agents: string[]): AgentTarget[] {
  return agents.map((name) => ({ name, paths: pairPaths(join(dir, 'agents'), name) }));
}

async function signAgents(ca: KeyAndCertificate, agents: AgentTarget[], options: CertificateOptions): Promise<SignedLeaf[]> {
  const signed: SignedLeaf[] = [];
  for (const agent of agents) signed.push({ paths: agent.paths, pair: await issueAgentCertificate(ca, agent.name, options) });
  return signed;
}

export function requireNodeName(field: string, value: string): string {
  if (!NODE_NAME_PATTERN.test(value)) {
    throw new LockstepError(
      'LOCKSTEP_E_CONFIG',
      `${field}: "${truncateForMessage(value)}" is not a valid node name: expected 1-63 characters of A-Z a-z 0-9 _ . -, starting with a letter or digit`,
      { field },
    );
  }
  const reserved = reservedNodeNameReason(value);
  if (reserved !== undefined) throw new LockstepError('LOCKSTEP_E_CONFIG', `${field}: ${reserved}`, { field });
  return value;
}

function requireNodeNames(values: string[]): string[] {
  if (values.length === 0) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', '--agents: name at least one agent, e.g. --agents server1,server2', {
      field: '--agents',
    });
  }
  const duplicate = values.find((value, index) => values.indexOf(value) !== index);
  if (duplicate !== undefined) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--agents: "${truncateForMessage(duplicate)}" is named twice`, { field: '--agents' });
  }
  return values.map((value) => requireNodeName('--agents', value));
}

export async function readCertificateAuthority(dir: string): Promise<KeyAndCertificate> {
  const paths = pairPaths(dir, 'ca');
  try {
    return { certPem: await readFile(paths.cert, 'utf8'), keyPem: await readFile(paths.key, 'utf8') };
  } catch (error) {
    throw new LockstepError('LOCKSTEP_E_CONFIG', `--dir: cannot read the CA in ${dir} (${describeError(error)}); run "lockstep certs init" first`, {
      field: '--dir',
      cause: error,
    });
  }
}

export async function firstExisting(paths: string[]): Promise<string | undefined> {
  for (const path of paths) {
    if (await access(path).then(() => true, () => false)) return path;
  }
  return undefined;
}

export async function writeLeaves(dir: string, leaves: SignedLeaf[]): Promise<string[]> {
  // Another user's agents/ would let them swap a certificate between our writes (docs/security.md).
  preparePrivateDir(join(dir, 'agents'), { field: '--dir' });
  const files: string[] = [];
  for (const leaf of leaves) files.push(...(await writePair(leaf.paths, leaf.pair)));
  return files;
}

export async function writePair(paths: PairPaths, pair: KeyAndCertificate): Promise<string[]> {
  await writeFileAtomically(paths.key, pair.keyPem, KEY_MODE);
  await writeFileAtomically(paths.cert, pair.certPem, CERT_MODE);
  return [paths.cert, paths.key];
}

/**
 * Temp file created with its final mode (a key is never readable by others, not even for an
 * instant), synced, then renamed over the target: readers see the old file or the whole new one.
 */
export async function writeFileAtomically(path: string, content: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.writeFile(content, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
